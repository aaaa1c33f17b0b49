// The browser's TypeScript modules as JavaScript, without a bundler: reads `web/**/*.ts`, strips the
// types with Node's own `stripTypeScriptTypes` (whitespace replaces them, so line and column numbers
// in the browser's errors match the source), and caches the result until the file changes.
// In: a path relative to the web root. Out: the JavaScript and an ETag, or null when there is no such file.

import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { stripTypeScriptTypes } from 'node:module';
import { resolve, sep } from 'node:path';

export interface JavaScriptModule {
  code: string;
  etag: string;
}

interface Cached extends JavaScriptModule {
  mtimeMs: number;
  size: number;
}

export class TypeScriptModules {
  private readonly root: string;
  private readonly cache = new Map<string, Cached>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Null when the path leaves the root, names a hidden file, or is not a file. Throws when the source does not strip. */
  async get(relativePath: string): Promise<JavaScriptModule | null> {
    const full = resolve(this.root, relativePath);
    if (!full.startsWith(this.root + sep)) return null;
    if (relativePath.split('/').some((segment) => segment.startsWith('.'))) return null;
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(full);
    } catch {
      return null;
    }
    if (!info.isFile()) return null;
    const cached = this.cache.get(full);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached;
    const source = await readFile(full, 'utf8');
    const code = strip(source);
    const etag = `"${createHash('sha256').update(code).digest('base64url').slice(0, 22)}"`;
    const entry: Cached = { code, etag, mtimeMs: info.mtimeMs, size: info.size };
    this.cache.set(full, entry);
    return entry;
  }
}

/**
 * `stripTypeScriptTypes` is marked experimental and prints a warning on its first use; the warning
 * would only confuse someone reading the server's output, so exactly that one is held back.
 */
function strip(source: string): string {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.includes('stripTypeScriptTypes')) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return stripTypeScriptTypes(source, { mode: 'strip' });
  } finally {
    process.emitWarning = emitWarning;
  }
}
