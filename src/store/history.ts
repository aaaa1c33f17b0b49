// The price history on disk: past live estimates and the price of every confirmed block, in one
// SQLite file (Node's built-in node:sqlite) in the data directory. In: LiveState estimates (at most
// one per `intervalSeconds`) and block prices. Out: estimates over a time range at a chosen step,
// and a block's price by hash or height. WAL journaling makes every write atomic, so a restart or a
// `kill -9` mid-write leaves the last committed rows readable. A retention policy bounds the file:
// full-resolution estimates for a week, then one merged row per hour for years; block prices for a
// year and more.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors.ts';
import type { SourceKind } from '../live/feed.ts';
import { ensureDataDir, resolveDataDir } from './data-dir.ts';
import { type Database, DatabaseSync, inTransaction, type Statement } from './sqlite.ts';
import { type StorageProblem, storageProblem } from './storage.ts';

/** Once a minute: fine enough for any chart of the past, 1,440 rows a day. */
export const DEFAULT_INTERVAL_SECONDS = 60;
/** A week at full resolution covers the "last few days" charts people look at most. */
export const DEFAULT_FULL_RESOLUTION_SECONDS = 7 * 86_400;
/** Hourly rows for five years: about 44,000 rows, a few megabytes. */
export const DEFAULT_HOURLY_SECONDS = 5 * 365 * 86_400;
/** Two years of block prices: about 105,000 rows, around ten megabytes. */
export const DEFAULT_BLOCK_SECONDS = 2 * 365 * 86_400;
/** Older estimates are merged per hour: the finest step a long-range chart needs. */
const HOURLY = 3_600;
/** Retention runs at most once per simulated or real hour of recorded estimates. */
const COMPACT_EVERY_SECONDS = 3_600;
/** Another process holding the write lock (a second `serve` on the same directory) is waited for this long. */
const BUSY_TIMEOUT_MS = 5_000;
/** Bumped when the tables change; a file from a newer version is refused instead of damaged. */
const SCHEMA_VERSION = 1;

export const HISTORY_FILES: Record<SourceKind, string> = {
  node: 'history.sqlite',
  // Demo estimates never mix with the real history.
  demo: 'demo-history.sqlite',
};

export interface RetentionPolicy {
  /** Estimates are kept one per interval this long, then merged into one row per hour. */
  fullResolutionSeconds: number;
  /** Hourly rows are kept this long. */
  hourlySeconds: number;
  /** Block prices are kept this long, by block time. */
  blockSeconds: number;
}

export interface HistoryStoreOptions {
  /** Default ~/.chainprice; created when missing. */
  dataDir?: string;
  /** Chooses the file: history.sqlite for a node, demo-history.sqlite for the demo. Default 'node'. */
  source?: SourceKind;
  /** Overrides the file name inside the data directory. */
  fileName?: string;
  /** At most one estimate is recorded per this many seconds. Default 60. */
  intervalSeconds?: number;
  retention?: Partial<RetentionPolicy>;
  /** Unix seconds; retention counts back from it (or from the newest estimate, when later). Default the wall clock. */
  now?: () => number;
  /**
   * Default true: each write is on the disk when it returns (one fsync each). False leaves it to
   * the next checkpoint, for a caller that writes tens of thousands of rows in a loop and can
   * write them again (tests of retention).
   */
  durable?: boolean;
}

export interface StoredEstimate {
  /** Mean time of the estimates merged into this point, Unix seconds. */
  timestamp: number;
  price: number;
  confidence: number;
  /** Lowest and highest estimate merged into this point. */
  low: number;
  high: number;
  /** How many recorded estimates this point stands for. */
  samples: number;
}

export interface StoredBlockPrice {
  height: number;
  hash: string;
  /** Block header time, Unix seconds. */
  time: number;
  price: number | null;
  confidence: number;
}

export interface EstimateQuery {
  from: number;
  to: number;
  step: number;
}

/** Only what is recorded of a LiveState. */
export interface EstimateInput {
  price: number | null;
  confidence: number;
  timestamp: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS estimates (
  id INTEGER PRIMARY KEY,
  time REAL NOT NULL,
  price REAL NOT NULL,
  confidence REAL NOT NULL,
  low REAL NOT NULL,
  high REAL NOT NULL,
  samples INTEGER NOT NULL,
  resolution INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS estimates_by_time ON estimates (time);
CREATE INDEX IF NOT EXISTS estimates_by_resolution ON estimates (resolution, time);
CREATE TABLE IF NOT EXISTS blocks (
  id INTEGER PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  height INTEGER NOT NULL,
  time INTEGER NOT NULL,
  price REAL,
  confidence REAL NOT NULL,
  recorded_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS blocks_by_height ON blocks (height);
CREATE INDEX IF NOT EXISTS blocks_by_time ON blocks (time);
`;

function positiveOption(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number of seconds`);
  return value;
}

function openDatabase(path: string, durable: boolean): Database {
  let db: Database | undefined;
  try {
    db = new DatabaseSync(path);
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Must precede the first table so the file can give freed pages back (incremental vacuum).
    db.exec('PRAGMA auto_vacuum = INCREMENTAL');
    const journal = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
    if (journal.journal_mode !== 'wal') throw new Error(`journal mode stays "${journal.journal_mode}"`);
    // FULL: every commit is on the disk before it returns. NORMAL (no fsync until a checkpoint)
    // survives a kill -9, but a power cut, or a file system the kernel turns read-only after a
    // disk error, loses every commit the kernel had not written back yet. The cost is one fsync
    // per write: once a minute live, once per day priced by a build.
    db.exec(`PRAGMA synchronous = ${durable ? 'FULL' : 'NORMAL'}`);
    const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
    if (version > SCHEMA_VERSION) {
      throw new UserError(`${path} was written by a newer chainprice (history version ${version})`, {
        hint: 'upgrade chainprice, or move the file away to start a new history',
      });
    }
    db.exec(SCHEMA);
    // Written only when it changes: opening an existing history writes nothing (a full disk can still serve it).
    if (version !== SCHEMA_VERSION) db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof UserError) throw error;
    const storage = storageProblem(error, dirname(path));
    if (storage !== null) throw new HistoryStorageError(path, storage);
    const detail = error instanceof Error ? error.message : String(error);
    throw new UserError(`cannot open the history database ${path}: ${detail}`, {
      hint: 'if the file is not a chainprice history, move it away; chainprice then starts a new one',
    });
  }
}

/** SQLite's "unable to open database file". */
const SQLITE_CANTOPEN = 14;

/**
 * The history database of `source` in `dataDir`, opened to read only (history show): nothing is
 * created or written, so a history on a read-only file system (a disk the kernel turned read-only
 * after an error, a backup mounted read-only) can still be read. Null when there is none there.
 */
export function openHistoryToRead(options: { dataDir?: string; source?: SourceKind } = {}): Database | null {
  const path = join(resolveDataDir(options.dataDir), HISTORY_FILES[options.source ?? 'node']);
  if (!existsSync(path)) return null;
  let db: Database | undefined;
  try {
    db = openReadOnly(path);
    const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
    if (version === 0) {
      // Created and never given its tables: no history yet.
      db.close();
      return null;
    }
    if (version > SCHEMA_VERSION) {
      throw new UserError(`${path} was written by a newer chainprice (history version ${version})`, {
        hint: 'upgrade chainprice to read it',
      });
    }
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof UserError) throw error;
    const storage = storageProblem(error, dirname(path));
    const detail = storage?.message ?? (error instanceof Error ? error.message : String(error));
    throw new UserError(`cannot read the history database ${path}: ${detail}`, {
      hint:
        storage?.kind === 'read-only'
          ? 'its last writes are in a file beside it that only a writable directory can apply: mount it writable once'
          : 'check that the file is a chainprice history and can be read',
    });
  }
}

function openReadOnly(path: string): Database {
  try {
    const db = new DatabaseSync(path, { readOnly: true });
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (error) {
    // A WAL database is read through its -shm file, which a read-only file system cannot create.
    // With no -wal file beside it, everything is in the main file, and nothing can change it: it
    // is read as immutable (no -shm, no locks).
    const code = (error as { errcode?: number }).errcode;
    if (code === undefined || (code & 0xff) !== SQLITE_CANTOPEN || existsSync(`${path}-wal`)) throw error;
    const url = pathToFileURL(path);
    url.searchParams.set('immutable', '1');
    return new DatabaseSync(url, { readOnly: true });
  }
}

/** The history database cannot be opened because the disk refuses it (full, read-only, …). */
export class HistoryStorageError extends UserError {
  readonly problem: StorageProblem;
  constructor(path: string, problem: StorageProblem) {
    super(`cannot open the history database ${path}: ${problem.message}`, {
      hint:
        problem.kind === 'full'
          ? 'make room on that disk, or choose another directory with --data-dir DIR'
          : 'make the directory writable, or choose another with --data-dir DIR',
    });
    this.name = 'HistoryStorageError';
    this.problem = problem;
  }
}

export class HistoryStore {
  readonly path: string;
  /** The data directory that holds the file. */
  readonly dir: string;
  readonly intervalSeconds: number;
  readonly retention: RetentionPolicy;
  private readonly db: Database;
  private readonly now: () => number;
  private lastRecorded: number;
  private lastCompacted = Number.NEGATIVE_INFINITY;
  private closed = false;
  private readonly insertEstimate: Statement;
  private readonly upsertBlock: Statement;
  private readonly blockByHash: Statement;
  private readonly blockByHeight: Statement;

  /** Opens (creating when missing) the history in the data directory; throws UserError when it cannot. */
  static open(options: HistoryStoreOptions = {}): HistoryStore {
    const dir = ensureDataDir(options.dataDir);
    const file = options.fileName ?? HISTORY_FILES[options.source ?? 'node'];
    return new HistoryStore(join(dir, file), options);
  }

  private constructor(path: string, options: HistoryStoreOptions) {
    this.path = path;
    this.dir = dirname(path);
    this.intervalSeconds = positiveOption('interval', options.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS);
    this.retention = {
      fullResolutionSeconds: positiveOption(
        'full-resolution retention',
        options.retention?.fullResolutionSeconds ?? DEFAULT_FULL_RESOLUTION_SECONDS,
      ),
      hourlySeconds: positiveOption(
        'hourly retention',
        options.retention?.hourlySeconds ?? DEFAULT_HOURLY_SECONDS,
      ),
      blockSeconds: positiveOption(
        'block retention',
        options.retention?.blockSeconds ?? DEFAULT_BLOCK_SECONDS,
      ),
    };
    this.now = options.now ?? (() => Date.now() / 1000);
    this.db = openDatabase(path, options.durable ?? true);
    this.insertEstimate = this.db.prepare(
      'INSERT INTO estimates (time, price, confidence, low, high, samples, resolution) VALUES (?, ?, ?, ?, ?, 1, 0)',
    );
    this.upsertBlock = this.db.prepare(
      'INSERT OR REPLACE INTO blocks (hash, height, time, price, confidence, recorded_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.blockByHash = this.db.prepare(
      'SELECT height, hash, time, price, confidence FROM blocks WHERE hash = ?',
    );
    this.blockByHeight = this.db.prepare(
      'SELECT height, hash, time, price, confidence FROM blocks WHERE height = ? ORDER BY id DESC LIMIT 1',
    );
    const newest = this.db.prepare('SELECT MAX(time) AS time FROM estimates').get() as {
      time: number | null;
    };
    this.lastRecorded = newest.time ?? Number.NEGATIVE_INFINITY;
    // A disk that refuses writes still serves the history it holds; the next estimate compacts.
    this.compactIfRoom();
  }

  /** The open database, shared with the chain's price history tables (src/history/history-tables.ts). */
  get database(): Database {
    this.assertOpen();
    return this.db;
  }

  /**
   * Records the estimate when it has a price and at least `intervalSeconds` passed since the last
   * recorded one (also across restarts). Returns whether it was written.
   */
  recordEstimate(state: EstimateInput): boolean {
    this.assertOpen();
    const { price, confidence, timestamp } = state;
    if (price === null || !Number.isFinite(price) || price <= 0) return false;
    if (!Number.isFinite(timestamp) || !Number.isFinite(confidence)) return false;
    if (timestamp < this.lastRecorded + this.intervalSeconds) return false;
    const c = Math.min(1, Math.max(0, confidence));
    this.insertEstimate.run(timestamp, price, c, price, price);
    this.lastRecorded = timestamp;
    if (timestamp >= this.lastCompacted + COMPACT_EVERY_SECONDS) this.compactIfRoom();
    return true;
  }

  /** Records (or, for a hash seen before, replaces) one confirmed block's price. */
  recordBlock(block: StoredBlockPrice): void {
    this.assertOpen();
    if (!/^[0-9a-f]{64}$/.test(block.hash)) throw new RangeError(`not a block hash: ${block.hash}`);
    if (!Number.isSafeInteger(block.height) || block.height < 0)
      throw new RangeError(`bad height: ${block.height}`);
    if (!Number.isFinite(block.time)) throw new RangeError(`bad block time: ${block.time}`);
    const price =
      block.price !== null && Number.isFinite(block.price) && block.price > 0 ? block.price : null;
    const confidence = Number.isFinite(block.confidence) ? Math.min(1, Math.max(0, block.confidence)) : 0;
    this.upsertBlock.run(block.hash, block.height, Math.floor(block.time), price, confidence, this.now());
  }

  /**
   * Estimates with from ≤ time ≤ to, at most one per `step` seconds (counted from `from`): each
   * point is the mean of the estimates in its step, at their mean time, oldest first.
   */
  estimates(query: EstimateQuery): StoredEstimate[] {
    this.assertOpen();
    const { from, to, step } = query;
    if (!Number.isFinite(from) || !Number.isFinite(to) || from > to) {
      throw new RangeError('history range: from and to must be numbers with from <= to');
    }
    if (!Number.isFinite(step) || step <= 0) throw new RangeError('history step must be a positive number');
    const rows = this.db
      .prepare(
        `SELECT SUM(time * samples) / SUM(samples) AS timestamp,
                SUM(price * samples) / SUM(samples) AS price,
                SUM(confidence * samples) / SUM(samples) AS confidence,
                MIN(low) AS low, MAX(high) AS high, SUM(samples) AS samples
           FROM estimates WHERE time >= ? AND time <= ?
          GROUP BY CAST((time - ?) / ? AS INTEGER) ORDER BY timestamp`,
      )
      .all(from, to, from, step) as unknown as StoredEstimate[];
    return rows.map((r) => ({ ...r }));
  }

  /** The newest recorded estimate, if any. */
  latestEstimate(): StoredEstimate | null {
    this.assertOpen();
    const row = this.db
      .prepare(
        'SELECT time AS timestamp, price, confidence, low, high, samples FROM estimates ORDER BY time DESC LIMIT 1',
      )
      .get() as StoredEstimate | undefined;
    return row === undefined ? null : { ...row };
  }

  /**
   * The newest estimate recorded at full resolution with confidence ≥ `minConfidence` and no older
   * than `maxAgeSeconds` (counted back from the store's clock), if any: what a restart seeds the
   * live estimate with. Hourly merged rows are left out: their price is a mean of estimates, not one.
   */
  lastConfidentEstimate(options: { minConfidence: number; maxAgeSeconds: number }): StoredEstimate | null {
    this.assertOpen();
    const { minConfidence, maxAgeSeconds } = options;
    if (!Number.isFinite(minConfidence)) throw new RangeError('minConfidence must be a number');
    if (!(maxAgeSeconds > 0)) throw new RangeError('maxAgeSeconds must be a positive number of seconds');
    const row = this.db
      .prepare(
        `SELECT time AS timestamp, price, confidence, low, high, samples FROM estimates
          WHERE resolution = 0 AND confidence >= ? AND time >= ? ORDER BY time DESC LIMIT 1`,
      )
      .get(minConfidence, this.now() - maxAgeSeconds) as StoredEstimate | undefined;
    return row === undefined ? null : { ...row };
  }

  blockPrice(hash: string): StoredBlockPrice | null {
    this.assertOpen();
    const row = this.blockByHash.get(hash.toLowerCase()) as StoredBlockPrice | undefined;
    return row === undefined ? null : { ...row };
  }

  /** The block recorded last at this height (after a reorg, the newer one: a replaced row gets a new id). */
  blockAtHeight(height: number): StoredBlockPrice | null {
    this.assertOpen();
    const row = this.blockByHeight.get(height) as StoredBlockPrice | undefined;
    return row === undefined ? null : { ...row };
  }

  /** The block-price reader shape the server uses: a decimal height or a 64-hex hash. */
  async priceOf(heightOrHash: string): Promise<StoredBlockPrice | null> {
    if (heightOrHash.length === 64) return this.blockPrice(heightOrHash);
    return /^\d+$/.test(heightOrHash) ? this.blockAtHeight(Number(heightOrHash)) : null;
  }

  /**
   * Applies the retention policy: full-resolution estimates older than the policy are merged into
   * one row per UTC hour, hourly rows and block prices past theirs are deleted, and freed pages go
   * back to the file system. One transaction: a crash leaves either all of it or none.
   */
  compact(): { merged: number; deleted: number } {
    this.assertOpen();
    // The newest estimate counts as "now" when it is ahead of the clock: a demo running faster than
    // real time stamps its estimates in the future, and its history must stay bounded too.
    const now = Math.max(this.now(), this.lastRecorded);
    const fullCutoff = Math.floor((now - this.retention.fullResolutionSeconds) / HOURLY) * HOURLY;
    const hourlyCutoff = now - this.retention.hourlySeconds;
    const blockCutoff = now - this.retention.blockSeconds;
    let merged = 0;
    let deleted = 0;
    inTransaction(this.db, () => {
      this.db
        .prepare(
          `INSERT INTO estimates (time, price, confidence, low, high, samples, resolution)
           SELECT SUM(time * samples) / SUM(samples), SUM(price * samples) / SUM(samples),
                  SUM(confidence * samples) / SUM(samples), MIN(low), MAX(high), SUM(samples), ${HOURLY}
             FROM estimates WHERE resolution = 0 AND time < ?
            GROUP BY CAST(time / ${HOURLY} AS INTEGER)`,
        )
        .run(fullCutoff);
      merged = Number(
        this.db.prepare('DELETE FROM estimates WHERE resolution = 0 AND time < ?').run(fullCutoff).changes,
      );
      deleted += Number(
        this.db.prepare(`DELETE FROM estimates WHERE resolution = ${HOURLY} AND time < ?`).run(hourlyCutoff)
          .changes,
      );
      deleted += Number(this.db.prepare('DELETE FROM blocks WHERE time < ?').run(blockCutoff).changes);
    });
    if (merged + deleted > 0) this.db.exec('PRAGMA incremental_vacuum');
    this.lastCompacted = this.lastRecorded > Number.NEGATIVE_INFINITY ? this.lastRecorded : now;
    return { merged, deleted };
  }

  /** Compacts, unless the disk refuses the writes: the estimate is kept, and the next one compacts. */
  private compactIfRoom(): void {
    try {
      this.compact();
    } catch (error) {
      if (storageProblem(error, this.dir) === null) throw error;
    }
  }

  /** Row counts, for tests and for a status line. */
  counts(): { estimates: number; hourly: number; blocks: number } {
    this.assertOpen();
    const e = this.db
      .prepare(
        'SELECT SUM(resolution = 0) AS estimates, SUM(resolution = ?) AS hourly, (SELECT COUNT(*) FROM blocks) AS blocks FROM estimates',
      )
      .get(HOURLY) as { estimates: number | null; hourly: number | null; blocks: number };
    return { estimates: e.estimates ?? 0, hourly: e.hourly ?? 0, blocks: e.blocks };
  }

  /** SQLite's own consistency check: "ok" when the file is sound. */
  integrityCheck(): string {
    this.assertOpen();
    const rows = this.db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('; ');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the history store is closed');
  }
}
