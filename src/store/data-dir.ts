// Where chainprice keeps its files: `--data-dir`, else ~/.chainprice. In: the configured path (may
// start with ~). Out: an absolute path to a directory that exists and that we can write, or a
// UserError that says in one line what is wrong and how to choose another directory.

import { accessSync, constants, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.ts';

export const DEFAULT_DATA_DIR = '~/.chainprice';

const HINT = 'choose a writable directory with --data-dir DIR (or CHAINPRICE_DATA_DIR)';

/** Expands a leading ~ and makes the path absolute. */
export function resolveDataDir(path: string = DEFAULT_DATA_DIR): string {
  if (path.trim() === '') throw new UserError('the data directory is empty', { hint: HINT });
  const expanded = path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
  return resolve(expanded);
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a file is in the way';
    case 'ENOSPC':
      return 'the disk is full';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** Creates the directory (private to the user) when missing and proves it is writable. */
export function ensureDataDir(path?: string): string {
  const dir = resolveDataDir(path);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    accessSync(dir, constants.W_OK);
    // access() trusts permission bits; a real write also catches read-only mounts and full disks.
    const probe = join(dir, `.write-test-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (error) {
    throw new UserError(`the data directory ${dir} is not writable: ${reason(error)}`, { hint: HINT });
  }
  return dir;
}
