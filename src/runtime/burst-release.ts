// When to give memory back after a burst of transactions: a mempool flood after a long block gap,
// a resync, thousands a second for a while. Such a burst leaves its garbage's pages with V8, and a
// service that keeps allocating never looks idle enough for V8 to return them by itself. So once
// BURST_TRANSACTIONS have arrived since the last release and the flow has calmed (fewer than
// CALM_TRANSACTIONS since the previous check), the caller releases (memory-policy.ts: a
// last-resort GC). At mainnet's ordinary 10 transactions a second that is about every 40 minutes.
// A flow that never calms (a long flood; the demo at high speed) gets its release anyway, once
// UNCALM_CHECKS checks have passed since the count was reached; without it such a flow's memory
// keeps growing (docs/memory.md, the soak).
// In: the running count of received transactions at each check. Out: whether to release now.
// watchBursts runs the checks on a timer.

/** Transactions since the last release that make a burst. */
export const BURST_TRANSACTIONS = 25_000;
/** At most this many since the previous check (2 s apart: 100 a second) and the burst is over. */
export const CALM_TRANSACTIONS = 200;
/** How often the caller checks. */
export const BURST_CHECK_MS = 2_000;
/** Checks without calm, once a burst's count is reached, before releasing anyway (10 s). */
export const UNCALM_CHECKS = 5;

export class BurstRelease {
  private atRelease: number;
  private atCheck: number;
  /** Checks since the count was reached without the flow calming. */
  private uncalm = 0;

  constructor(received = 0) {
    this.atRelease = received;
    this.atCheck = received;
  }

  /** The received count now; true when a burst is over (or has run on) and its memory should be given back. */
  check(received: number): boolean {
    const sinceCheck = received - this.atCheck;
    this.atCheck = received;
    if (received - this.atRelease < BURST_TRANSACTIONS) return false;
    if (sinceCheck >= CALM_TRANSACTIONS && ++this.uncalm <= UNCALM_CHECKS) return false;
    this.atRelease = received;
    this.uncalm = 0;
    return true;
  }
}

/** Checks `received()` every BURST_CHECK_MS and calls `release` when BurstRelease says so; returns the stop. */
export function watchBursts(received: () => number, release: () => void): () => void {
  const bursts = new BurstRelease(received());
  const timer = setInterval(() => {
    if (bursts.check(received())) release();
  }, BURST_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
