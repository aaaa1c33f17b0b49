// Which of the estimators for one network publishes: a lease in a JetStream key-value bucket.
// The holder rewrites its key every `renewMs` with compare-and-set on the revision it wrote last;
// a stand-by that sees the revision unchanged for `expireMs` takes the key with compare-and-set on
// that revision, so of several stand-bys exactly one wins. A holder whose compare-and-set fails has
// lost the lease; a holder that cannot renew for `expireMs` (NATS down, process paused) stops
// publishing until a renewal succeeds, so two estimators never publish at once for long, and edges
// (which read the key) follow the holder only. A clean stop deletes the key: a stand-by takes over
// at its next look instead of after `expireMs`.
// Value: the holder's epoch, `<instance>-<n>`: new for every acquisition.

import type { KV } from '@nats-io/kv';
import { busError } from './nats-connect.ts';

export interface LeaseOptions {
  kv: KV;
  key: string;
  /** Unique per process. */
  instance: string;
  renewMs?: number;
  expireMs?: number;
  log?: (line: string) => void;
  /** Milliseconds; injectable for tests. */
  now?: () => number;
}

/** Renew each second; a lease unchanged for 3 s is free: with a 500 ms look, a take-over within 4 s. */
export const DEFAULT_RENEW_MS = 1_000;
export const DEFAULT_EXPIRE_MS = 3_000;

export class Lease {
  private readonly kv: KV;
  private readonly key: string;
  private readonly instance: string;
  private readonly renewMs: number;
  private readonly expireMs: number;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readonly listeners = new Set<(epoch: string | null) => void>();
  private acquisitions = 0;
  private heldEpoch: string | null = null;
  private revision = 0;
  private lastRenewAt = 0;
  /** What a stand-by saw: the key's revision and since when. */
  private seenRevision = -1;
  private seenAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private stopped = false;

  constructor(options: LeaseOptions) {
    this.kv = options.kv;
    this.key = options.key;
    this.instance = options.instance;
    this.renewMs = options.renewMs ?? DEFAULT_RENEW_MS;
    this.expireMs = options.expireMs ?? DEFAULT_EXPIRE_MS;
    this.log = options.log ?? (() => {});
    this.now = options.now ?? Date.now;
  }

  /** The epoch while this process holds a lease that it renewed less than `expireMs` ago, else null. */
  get epoch(): string | null {
    if (this.heldEpoch === null || this.now() - this.lastRenewAt > this.expireMs) return null;
    return this.heldEpoch;
  }

  /** Called with the epoch on acquiring, and with null on losing the lease. */
  onChange(listener: (epoch: string | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.timer !== null) return;
    const step = Math.min(this.renewMs, 500);
    this.timer = setInterval(() => void this.tick(), step);
    this.timer.unref();
    void this.tick();
  }

  /** Stops renewing; a holder deletes the key so a stand-by takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.heldEpoch !== null) {
      this.heldEpoch = null;
      try {
        await this.kv.delete(this.key, { previousSeq: this.revision });
      } catch {
        // Someone else holds it already, or NATS is gone: either way nothing to release.
      }
    }
  }

  /** Revisions unchanged since `seenAt` (a stand-by) or the last renewal (the holder), for tests and logs. */
  private async tick(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      if (this.heldEpoch !== null) await this.renew();
      else await this.look();
    } finally {
      this.busy = false;
    }
  }

  private async renew(): Promise<void> {
    const wasLive = this.epoch !== null;
    if (this.now() - this.lastRenewAt < this.renewMs - 250 && wasLive) return;
    const epoch = this.heldEpoch as string;
    try {
      this.revision = await this.kv.update(this.key, epoch, this.revision);
      this.lastRenewAt = this.now();
      if (!wasLive) this.log(`lease for ${this.key}: renewed again after a pause; publishing`);
    } catch (error) {
      if (this.stopped) return;
      if (/wrong last sequence|key exists/i.test(busError(error))) {
        this.log(`lease for ${this.key}: taken over by another estimator; standing by`);
        this.heldEpoch = null;
        this.seenRevision = -1;
        this.emit(null);
      } else if (wasLive && this.epoch === null) {
        this.log(`lease for ${this.key}: cannot renew (${busError(error)}); not publishing until it can`);
      }
    }
  }

  private async look(): Promise<void> {
    const now = this.now();
    try {
      const entry = await this.kv.get(this.key);
      if (entry === null || entry.operation !== 'PUT') {
        await this.acquire(() => this.kv.create(this.key, this.nextEpoch()));
        return;
      }
      if (entry.revision !== this.seenRevision) {
        this.seenRevision = entry.revision;
        this.seenAt = now;
        return;
      }
      if (now - this.seenAt >= this.expireMs) {
        const revision = entry.revision;
        this.log(
          `lease for ${this.key}: holder silent for ${Math.round((now - this.seenAt) / 100) / 10} s; taking over`,
        );
        await this.acquire(() => this.kv.update(this.key, this.nextEpoch(), revision));
      }
    } catch (error) {
      // NATS is down or slow: whatever we saw is stale, so start the count again once it answers.
      this.seenRevision = -1;
      if (this.stopped) return;
      void error;
    }
  }

  private pendingEpoch = '';

  private nextEpoch(): string {
    this.pendingEpoch = `${this.instance}-${this.acquisitions + 1}`;
    return this.pendingEpoch;
  }

  private async acquire(write: () => Promise<number>): Promise<void> {
    try {
      this.revision = await write();
    } catch {
      this.seenRevision = -1; // another stand-by was quicker: watch the new holder
      return;
    }
    this.acquisitions += 1;
    this.heldEpoch = this.pendingEpoch;
    this.lastRenewAt = this.now();
    this.log(`lease for ${this.key}: acquired (${this.heldEpoch}); publishing`);
    this.emit(this.heldEpoch);
  }

  private emit(epoch: string | null): void {
    for (const listener of this.listeners) listener(epoch);
  }
}

/** The current holder's epoch as the key says, or null when nobody holds it. */
export async function leaseHolder(kv: KV, key: string): Promise<string | null> {
  const entry = await kv.get(key);
  return entry === null || entry.operation !== 'PUT' ? null : entry.string();
}
