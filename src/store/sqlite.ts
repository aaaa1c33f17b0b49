// Loads Node's built-in SQLite module (`node:sqlite`). Node 22 marks it experimental and prints an
// ExperimentalWarning the first time it loads; users of a service cannot act on that line, so this
// module hides exactly that one warning (type ExperimentalWarning, message about SQLite) and no other.
// Out: the module's DatabaseSync class, and inTransaction (one write transaction, rolled back cleanly).

import { createRequire } from 'node:module';

type SqliteModule = typeof import('node:sqlite');

function loadQuietly(): SqliteModule {
  const require = createRequire(import.meta.url);
  const original = process.emitWarning;
  const filtered = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const first = rest[0];
    const type =
      typeof first === 'string'
        ? first
        : typeof first === 'object' && first !== null
          ? (first as { type?: string }).type
          : warning instanceof Error
            ? warning.name
            : undefined;
    const message = warning instanceof Error ? warning.message : String(warning);
    if (type === 'ExperimentalWarning' && message.includes('SQLite')) return;
    (original as (...args: unknown[]) => void).call(process, warning, ...rest);
  };
  process.emitWarning = filtered as typeof process.emitWarning;
  try {
    return require('node:sqlite') as SqliteModule;
  } finally {
    process.emitWarning = original;
  }
}

export const { DatabaseSync } = loadQuietly();
export type { DatabaseSync as Database, StatementSync as Statement } from 'node:sqlite';

/**
 * Runs `work` in one write transaction (BEGIN IMMEDIATE … COMMIT) and returns its result. On any
 * error the transaction is rolled back — when it is still open: SQLite rolls a transaction back by
 * itself on some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, SQLITE_BUSY), and a ROLLBACK then
 * fails with "cannot rollback - no transaction is active", which would hide the error that counts.
 * The original error is always the one thrown.
 */
export function inTransaction<T>(db: InstanceType<typeof DatabaseSync>, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.isTransaction) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // The database cannot even roll back (a disk that went away): the first error says why.
      }
    }
    throw error;
  }
}
