// Locates ../shared/data/real (next to the repository) and reads blocks_manifest.csv.
// Tests and benchmarks that need real blocks call `realBlocks()` and skip when it returns null.

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `../shared/data/real/` relative to the repository root. */
export const REAL_DATA_DIR = fileURLToPath(new URL('../../../shared/data/real/', import.meta.url));

export interface ManifestBlock {
  file: string;
  height: number;
  hash: string;
  txCount: number;
  outputCount: number;
  bytes: number;
}

export const REAL_DATA_MISSING = `real data not found at ${REAL_DATA_DIR} (the shared folder next to the repository)`;

/** Every block listed in the manifest, or null when the real data folder is absent. */
export function realBlocks(): ManifestBlock[] | null {
  const manifest = `${REAL_DATA_DIR}blocks_manifest.csv`;
  if (!existsSync(manifest)) return null;
  const [head, ...rows] = readFileSync(manifest, 'utf8').trim().split('\n');
  const columns = head.split(',');
  const at = (name: string): number => {
    const i = columns.indexOf(name);
    if (i < 0) throw new Error(`blocks_manifest.csv has no "${name}" column`);
    return i;
  };
  const [file, height, hash, txCount, outputCount, bytes] = [
    at('file'),
    at('height'),
    at('hash'),
    at('n_tx'),
    at('n_outputs'),
    at('bytes'),
  ];
  return rows.map((line) => {
    const cells = line.split(',');
    return {
      file: cells[file],
      height: Number(cells[height]),
      hash: cells[hash],
      txCount: Number(cells[txCount]),
      outputCount: Number(cells[outputCount]),
      bytes: Number(cells[bytes]),
    };
  });
}

export function readRealBlock(block: ManifestBlock): Uint8Array {
  return new Uint8Array(readFileSync(`${REAL_DATA_DIR}${block.file}`));
}
