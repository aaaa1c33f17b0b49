// Checks the `:heightOrHash` of `GET /api/v1/blocks/:heightOrHash/price` (pure): a decimal height or a
// 64-hex-digit block hash. Returns the canonical form (height without leading zeros, hash in lower case).

import { badRequest } from '../errors.ts';

/** Far above any height the chain will reach for a century; longer numbers are typos. */
const MAX_HEIGHT_DIGITS = 8;

export function parseBlockId(raw: string): string {
  if (/^\d+$/.test(raw) && raw.length <= MAX_HEIGHT_DIGITS) return String(Number(raw));
  if (/^[0-9a-fA-F]{64}$/.test(raw)) return raw.toLowerCase();
  const shown = raw.length > 80 ? `${raw.slice(0, 80)}…` : raw;
  throw badRequest(`"${shown}" is not a block height or a 64-hex-digit block hash`);
}
