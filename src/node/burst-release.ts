// When to give memory back after a burst of transactions: a mempool flood after a long block gap,
// a resync, thousands a second for a while. Such a burst leaves its garbage's pages with V8 (the
// memory bench's 50,000-transaction replay: ~20 MB resident beyond the heap and the arrays), and a
// service that keeps allocating never looks idle enough for V8 to return them by itself. So once
// BURST_TRANSACTIONS have arrived since the last release and the flow has calmed (fewer than
// CALM_TRANSACTIONS since the previous check), the caller runs releaseMemory() (a last-resort GC,
// 100-150 ms). At mainnet's ordinary 10 transactions a second that is about every 40 minutes.
// In: the running count of received transactions at each check. Out: whether to release now.

/** Transactions since the last release that make a burst. */
export const BURST_TRANSACTIONS = 25_000;
/** At most this many since the previous check (2 s apart: 100 a second) and the burst is over. */
export const CALM_TRANSACTIONS = 200;
/** How often the caller checks. */
export const BURST_CHECK_MS = 2_000;

export class BurstRelease {
  private atRelease: number;
  private atCheck: number;

  constructor(received = 0) {
    this.atRelease = received;
    this.atCheck = received;
  }

  /** The received count now; true when a burst is over and its memory should be given back. */
  check(received: number): boolean {
    const sinceCheck = received - this.atCheck;
    this.atCheck = received;
    if (received - this.atRelease < BURST_TRANSACTIONS || sinceCheck >= CALM_TRANSACTIONS) return false;
    this.atRelease = received;
    return true;
  }
}
