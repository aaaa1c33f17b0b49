// The chain's price history in the history database (next to the live tables of store/history.ts):
// one row per block of the active chain and one per UTC day. In: a priced day with its blocks,
// written in one transaction (so a killed build leaves whole days or nothing). Out: the stored
// block hashes (to skip what is done and to find rows a reorg replaced), days and blocks by range,
// the price at a time, and the last confident day before a date (the seed a resumed build carries).

import { createHash } from 'node:crypto';
import { MIN_SEED_CONFIDENCE } from '../oracle/seed-price.ts';
import { type Database, inTransaction, type Statement } from '../store/sqlite.ts';
import type { PricedBlock, PricedDay } from './day-pricing.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS chain_blocks (
  height INTEGER PRIMARY KEY,
  hash TEXT NOT NULL,
  time INTEGER NOT NULL,
  day TEXT NOT NULL,
  price REAL,
  confidence REAL NOT NULL,
  candidates INTEGER NOT NULL,
  outputs_used INTEGER NOT NULL,
  transactions INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  seed REAL
);
CREATE INDEX IF NOT EXISTS chain_blocks_by_day ON chain_blocks (day);
CREATE INDEX IF NOT EXISTS chain_blocks_by_time ON chain_blocks (time);
CREATE TABLE IF NOT EXISTS chain_days (
  day TEXT PRIMARY KEY,
  start INTEGER NOT NULL,
  price REAL,
  confidence REAL NOT NULL,
  blocks INTEGER NOT NULL,
  candidates INTEGER NOT NULL,
  outputs_used INTEGER NOT NULL,
  transactions INTEGER NOT NULL,
  first_height INTEGER NOT NULL,
  last_height INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  digest TEXT NOT NULL,
  built_at REAL NOT NULL
);
`;

export interface DayRow extends PricedDay {
  /** Digest of the day's block hashes in height order: a day is done when the chain's digest matches. */
  digest: string;
}

export type BlockRow = PricedBlock & { day: string };

/** A short digest of the day's block hashes (in the order given). */
export function digestOf(hashes: readonly string[]): string {
  return createHash('sha256').update(hashes.join('\n')).digest('hex').slice(0, 32);
}

const DAY_COLUMNS = `day, start, price, confidence, blocks, candidates, outputs_used AS outputsUsed,
  transactions, first_height AS firstHeight, last_height AS lastHeight, bytes, digest`;
const BLOCK_COLUMNS = `height, hash, time, day, price, confidence, candidates, outputs_used AS outputsUsed,
  transactions, bytes, seed`;

export class HistoryTables {
  private readonly db: Database;
  private readonly insertDay: Statement;
  private readonly insertBlock: Statement;

  /** A history opened to read only (store/history.ts openHistoryToRead): null when it has no chain history. */
  static toRead(db: Database): HistoryTables | null {
    const found = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chain_days'")
      .get();
    return found === undefined ? null : new HistoryTables(db, false);
  }

  constructor(db: Database, create = true) {
    this.db = db;
    if (create) db.exec(SCHEMA);
    this.insertDay = db.prepare(
      `INSERT OR REPLACE INTO chain_days (day, start, price, confidence, blocks, candidates, outputs_used,
         transactions, first_height, last_height, bytes, digest, built_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.insertBlock = db.prepare(
      `INSERT OR REPLACE INTO chain_blocks (height, hash, time, day, price, confidence, candidates,
         outputs_used, transactions, bytes, seed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /** Writes a day and its blocks in one transaction, replacing the day's old rows and any row at the same heights. */
  writeDay(day: DayRow, blocks: readonly PricedBlock[]): void {
    inTransaction(this.db, () => {
      this.db.prepare('DELETE FROM chain_blocks WHERE day = ?').run(day.day);
      this.insertDay.run(
        day.day,
        day.start,
        day.price,
        day.confidence,
        day.blocks,
        day.candidates,
        day.outputsUsed,
        day.transactions,
        day.firstHeight,
        day.lastHeight,
        day.bytes,
        day.digest,
        Date.now() / 1000,
      );
      for (const b of blocks) {
        this.insertBlock.run(
          b.height,
          b.hash,
          b.time,
          day.day,
          b.price,
          b.confidence,
          b.candidates,
          b.outputsUsed,
          b.transactions,
          b.bytes,
          b.seed,
        );
      }
    });
  }

  /** Removes every chain row (the demo rebuilds its simulated past on each start). */
  clear(): void {
    inTransaction(this.db, () => {
      this.db.exec('DELETE FROM chain_blocks');
      this.db.exec('DELETE FROM chain_days');
    });
  }

  /** The stored digests of these days (missing days are absent from the map). */
  digests(days: readonly string[]): Map<string, string> {
    const out = new Map<string, string>();
    const get = this.db.prepare('SELECT digest FROM chain_days WHERE day = ?');
    for (const day of days) {
      const row = get.get(day) as { digest: string } | undefined;
      if (row) out.set(day, row.digest);
    }
    return out;
  }

  /** Stored block hashes by height in [from, to]. */
  hashes(from: number, to: number): Map<number, string> {
    const rows = this.db
      .prepare('SELECT height, hash FROM chain_blocks WHERE height >= ? AND height <= ?')
      .all(from, to) as { height: number; hash: string }[];
    return new Map(rows.map((r) => [r.height, r.hash]));
  }

  /**
   * Removes what the chain no longer has: blocks above `tipHeight` and blocks at `stale` heights
   * (a reorg replaced them), with their days (rebuilt when in the range built). Returns the days removed.
   */
  forget(tipHeight: number, stale: readonly number[]): string[] {
    return inTransaction(this.db, () => {
      const days = new Set<string>();
      const above = this.db
        .prepare('SELECT DISTINCT day FROM chain_blocks WHERE height > ?')
        .all(tipHeight) as {
        day: string;
      }[];
      for (const r of above) days.add(r.day);
      const at = this.db.prepare('SELECT day FROM chain_blocks WHERE height = ?');
      for (const h of stale) {
        const row = at.get(h) as { day: string } | undefined;
        if (row) days.add(row.day);
      }
      const dropDay = this.db.prepare('DELETE FROM chain_days WHERE day = ?');
      const dropBlocks = this.db.prepare('DELETE FROM chain_blocks WHERE day = ?');
      for (const day of days) {
        dropDay.run(day);
        dropBlocks.run(day);
      }
      return [...days].sort();
    });
  }

  /** The price of the last day before `day` confident enough to seed with, or null. */
  seedBefore(day: string): number | null {
    const row = this.db
      .prepare(
        'SELECT price FROM chain_days WHERE day < ? AND price IS NOT NULL AND confidence >= ? ORDER BY day DESC LIMIT 1',
      )
      .get(day, MIN_SEED_CONFIDENCE) as { price: number } | undefined;
    return row?.price ?? null;
  }

  /** Days with from ≤ day ≤ to (YYYY-MM-DD), oldest first. */
  days(from: string, to: string): DayRow[] {
    return (
      this.db
        .prepare(`SELECT ${DAY_COLUMNS} FROM chain_days WHERE day >= ? AND day <= ? ORDER BY day`)
        .all(from, to) as unknown as DayRow[]
    ).map((r) => ({ ...r }));
  }

  /** Blocks with from ≤ time ≤ to (Unix seconds), in height order; at most `limit`. */
  blocksByTime(from: number, to: number, limit: number): BlockRow[] {
    return (
      this.db
        .prepare(
          `SELECT ${BLOCK_COLUMNS} FROM chain_blocks WHERE time >= ? AND time <= ? ORDER BY height LIMIT ?`,
        )
        .all(from, to, limit) as unknown as BlockRow[]
    ).map((r) => ({ ...r }));
  }

  /** Blocks with from ≤ height ≤ to, in height order; at most `limit`. */
  blocksByHeight(from: number, to: number, limit: number): BlockRow[] {
    return (
      this.db
        .prepare(
          `SELECT ${BLOCK_COLUMNS} FROM chain_blocks WHERE height >= ? AND height <= ? ORDER BY height LIMIT ?`,
        )
        .all(from, to, limit) as unknown as BlockRow[]
    ).map((r) => ({ ...r }));
  }

  /** The priced day containing `time`, else the last priced day before it; null when none is. */
  dayAt(time: number): DayRow | null {
    const row = this.db
      .prepare(
        `SELECT ${DAY_COLUMNS} FROM chain_days WHERE start <= ? AND price IS NOT NULL ORDER BY start DESC LIMIT 1`,
      )
      .get(time) as DayRow | undefined;
    return row ? { ...row } : null;
  }

  /** The newest priced block (for "the current price" of the compatibility API). */
  latestBlock(): BlockRow | null {
    const row = this.db
      .prepare(
        `SELECT ${BLOCK_COLUMNS} FROM chain_blocks WHERE price IS NOT NULL ORDER BY height DESC LIMIT 1`,
      )
      .get() as BlockRow | undefined;
    return row ? { ...row } : null;
  }

  counts(): {
    days: number;
    blocks: number;
    firstDay: string | null;
    lastDay: string | null;
    topHeight: number | null;
  } {
    const d = this.db
      .prepare('SELECT COUNT(*) AS n, MIN(day) AS first, MAX(day) AS last FROM chain_days')
      .get() as {
      n: number;
      first: string | null;
      last: string | null;
    };
    const b = this.db.prepare('SELECT COUNT(*) AS n, MAX(height) AS top FROM chain_blocks').get() as {
      n: number;
      top: number | null;
    };
    return { days: d.n, blocks: b.n, firstDay: d.first, lastDay: d.last, topHeight: b.top };
  }
}
