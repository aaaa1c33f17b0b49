// Whether the data directory takes the history's writes. In: an error a write threw (SQLite's or
// Node's) and the data directory. Out: what it means in words a user acts on — the disk is full, the
// file system is read-only, permission is denied, the device fails — or null for any other error;
// and StorageWatch, which remembers which writers the disk holds back (for /health), counts the
// writes given up on (for /metrics), logs when the problem starts and when it ends, and retries a
// write that must not be lost until it goes through.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export type StorageKind = 'full' | 'read-only' | 'denied' | 'failing';

export interface StorageProblem {
  kind: StorageKind;
  dir: string;
  /** One sentence, e.g. "no space left on the device that holds /data". */
  message: string;
}

/** A failed write is tried again after this long: often enough to resume soon after room is made,
 * seldom enough that a disk that stays full costs nothing. */
export const DEFAULT_STORAGE_RETRY_MS = 5_000;
/** SQLite's primary result codes (the low byte of node:sqlite's `errcode`) that mean the disk refused a write. */
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
/** Node's error codes, by what they mean for the data directory. */
const ERRNO_KINDS: Record<string, StorageKind> = {
  ENOSPC: 'full',
  EDQUOT: 'full',
  EROFS: 'read-only',
  EACCES: 'denied',
  EPERM: 'denied',
  EIO: 'failing',
};
/** The probe writes one page: a full file system refuses it even where an empty file still fits. */
const PROBE_BYTES = 4_096;

export function describeStorage(kind: StorageKind, dir: string): string {
  switch (kind) {
    case 'full':
      return `no space left on the device that holds ${dir}`;
    case 'read-only':
      return `the data directory ${dir} is on a read-only file system`;
    case 'denied':
      return `chainprice may not write to the data directory ${dir} (permission denied)`;
    case 'failing':
      return `the device that holds ${dir} fails to write (input/output error)`;
  }
}

/** What a real write into `dir` runs into now; null when it goes through. */
export function probeDir(dir: string): StorageKind | null {
  const file = join(dir, `.write-test-${process.pid}`);
  try {
    writeFileSync(file, Buffer.alloc(PROBE_BYTES));
    return null;
  } catch (error) {
    return ERRNO_KINDS[(error as NodeJS.ErrnoException).code ?? ''] ?? 'failing';
  } finally {
    try {
      rmSync(file, { force: true });
    } catch {
      // A read-only directory cannot even lose the file it never got.
    }
  }
}

/**
 * What `error` (thrown by a write into the data directory `dir`) says about the storage, or null
 * when it is not about the storage. SQLite reports a refused write only as "disk I/O error" or
 * "database or disk is full"; a probe write into the directory finds the cause in the system's words.
 */
export function storageProblem(error: unknown, dir: string): StorageProblem | null {
  const e = error as { code?: string; errcode?: number } | null;
  let kind: StorageKind | null = null;
  if (e?.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number') {
    const primary = e.errcode & 0xff;
    if (primary === SQLITE_FULL) kind = 'full';
    else if (primary === SQLITE_READONLY || primary === SQLITE_IOERR || primary === SQLITE_CANTOPEN)
      kind = probeDir(dir) ?? (primary === SQLITE_READONLY ? 'read-only' : 'failing');
  } else if (typeof e?.code === 'string' && e.code in ERRNO_KINDS) {
    kind = ERRNO_KINDS[e.code];
  }
  return kind === null ? null : { kind, dir, message: describeStorage(kind, dir) };
}

export interface StorageWatchOptions {
  log?: (line: string) => void;
  retryMs?: number;
}

/**
 * The data directory's state as the history's writers find it. A writer reports each write:
 * `failed` (held back when the disk refused it) or `wrote` (no longer held back). The problem is
 * shown while any writer is held back, and clears by itself with the first write that goes through.
 */
export class StorageWatch {
  readonly dir: string;
  readonly retryMs: number;
  private readonly log: (line: string) => void;
  private readonly held = new Map<string, StorageProblem>();
  private readonly droppedBy = new Map<string, number>();

  constructor(dir: string, options: StorageWatchOptions = {}) {
    this.dir = dir;
    this.retryMs = options.retryMs ?? DEFAULT_STORAGE_RETRY_MS;
    this.log = options.log ?? (() => {});
  }

  /**
   * A write by `writer` threw `error`. When the storage refused it, the writer is held back (and,
   * with `dropped`, one write given up on is counted) and the problem returned; otherwise null.
   */
  failed(writer: string, error: unknown, dropped = false): StorageProblem | null {
    const problem = storageProblem(error, this.dir);
    if (problem === null) return null;
    if (dropped) this.drop(writer);
    const before = this.problems();
    this.held.set(writer, problem);
    if (!before.includes(problem.message))
      this.log(
        `${problem.message}: the price history is not being written (the live price goes on; chainprice tries again every ${this.retryMs / 1000} s)`,
      );
    return problem;
  }

  /** Counts one write by `writer` given up on (without a problem of its own: a queue that overflowed). */
  drop(writer: string): void {
    this.droppedBy.set(writer, (this.droppedBy.get(writer) ?? 0) + 1);
  }

  /** A write by `writer` went through. */
  wrote(writer: string): void {
    if (!this.held.delete(writer) || this.held.size > 0) return;
    const dropped = this.totalDropped();
    this.log(
      `the price history is being written again in ${this.dir}` +
        (dropped > 0 ? ` (${dropped} write(s) given up on while it could not be)` : ''),
    );
  }

  /** Whether the storage holds `writer` back now. */
  holds(writer: string): boolean {
    return this.held.has(writer);
  }

  /** The writers held back now, by name. */
  waiting(): string[] {
    return [...this.held.keys()].sort();
  }

  /** The problems now, one sentence each (empty when every write goes through). */
  problems(): string[] {
    return [...new Set([...this.held.values()].map((p) => p.message))];
  }

  /** Writes given up on, by writer (they are not retried: the history has a gap there). */
  dropped(): Record<string, number> {
    return Object.fromEntries(this.droppedBy);
  }

  totalDropped(): number {
    let n = 0;
    for (const v of this.droppedBy.values()) n += v;
    return n;
  }

  /**
   * Runs `write` until it goes through, trying again every `retryMs` while the storage refuses it.
   * Returns false when `signal` aborted first; any error not about the storage is thrown.
   */
  async persist(writer: string, write: () => void, signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal?.aborted) return false;
      try {
        write();
        this.wrote(writer);
        return true;
      } catch (error) {
        if (this.failed(writer, error) === null) throw error;
      }
      try {
        await sleep(this.retryMs, undefined, { signal });
      } catch {
        return false;
      }
    }
  }
}
