// Rows of the chain's price history for store tests: day n of January 2024 and block n, with
// plausible figures (the tests look at which rows are there, not at what they say).

export const day = (n: number) => ({
  day: `2024-01-${String(n).padStart(2, '0')}`,
  start: 1_704_067_200 + (n - 1) * 86_400,
  price: 42_000 + n,
  confidence: 0.9,
  blocks: 1,
  candidates: 100,
  outputsUsed: 50,
  transactions: 1_000,
  firstHeight: 820_000 + n,
  lastHeight: 820_000 + n,
  bytes: 1_000_000,
  digest: `digest${n}`,
});

export const block = (n: number) => ({
  height: 820_000 + n,
  hash: n.toString(16).padStart(64, '0'),
  time: 1_704_067_200 + (n - 1) * 86_400 + 600,
  price: 42_000 + n,
  confidence: 0.9,
  candidates: 100,
  outputsUsed: 50,
  transactions: 1_000,
  bytes: 1_000_000,
  seed: null,
});
