// What the disk tests ask of a running service and of the file it leaves: /health's storage
// report, a JSON GET, and SQLite's integrity check of a history database.

import type { Database } from '../../../src/store/sqlite.ts';
import { waitFor } from '../../support/wait.ts';

export interface Health {
  status: string;
  problems: string[];
  storage?: { ok: boolean; problems: string[]; waiting: string[]; dropped_writes: number };
}

export async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as T };
}

/** SQLite's `PRAGMA integrity_check`: "ok", or its findings joined by "; ". */
export function integrityCheck(db: Database): string {
  return (db.prepare('PRAGMA integrity_check').all() as { integrity_check: string }[])
    .map((r) => r.integrity_check)
    .join('; ');
}

/** Waits (30 s at most) for /health at `base` to say the data directory takes writes again. */
export function untilStorageClears(base: string, output: () => string) {
  return waitFor(() => getJson<Health>(`${base}/health`), {
    what: '/health to clear once there is room',
    timeoutMs: 30_000,
    everyMs: 50,
    until: (r) => r.body.storage?.ok === true,
    detail: output,
  });
}
