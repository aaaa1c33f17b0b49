// A fixed set of worker threads running price-worker.ts: DayJobs in, DayResults out (a promise per
// job), in whatever order workers free up; jobs beyond the workers wait in a queue. With zero
// workers the jobs run on the calling thread (tests, one-core machines). `close()` ends the threads.
// A job's blocks marked `rpc` are fetched with the job's fetcher when its worker asks for them
// (price-worker.ts), the next one fetched while the worker parses; without workers all of them
// are fetched before the job runs.

import { extname } from 'node:path';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import {
  type BlockDelivery,
  type BlockNeed,
  type DayJob,
  type DayResult,
  runDayJob,
  type WorkerChannel,
} from './price-worker.ts';

/** Fetches a block's bytes (over RPC) by hash. */
export type BlockFetcher = (hash: string) => Promise<Uint8Array>;

/** price-worker.ts beside this file in the clone, price-worker.js in the installed (compiled) package. */
const WORKER = new URL(`./price-worker${extname(new URL(import.meta.url).pathname)}`, import.meta.url);

interface Waiting {
  job: DayJob;
  fetch: BlockFetcher | undefined;
  resolve: (result: DayResult) => void;
  reject: (error: Error) => void;
}

export class WorkerPool {
  readonly size: number;
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Waiting[] = [];
  private readonly running = new Map<Worker, Waiting>();
  private readonly channels = new Map<Worker, { port: MessagePort; signal: Int32Array }>();
  private closed = false;

  constructor(size: number) {
    this.size = Math.max(0, Math.floor(size));
    for (let i = 0; i < this.size; i++) {
      const { port1, port2 } = new MessageChannel();
      const signal = new Int32Array(new SharedArrayBuffer(4));
      const channel: WorkerChannel = { port: port2, signal };
      const worker = new Worker(WORKER, { workerData: { channel }, transferList: [port2] });
      port1.unref();
      this.channels.set(worker, { port: port1, signal });
      worker.on('message', (message: DayResult | BlockNeed) => {
        if ('need' in message) this.deliver(worker, message.need);
        else this.done(worker, message);
      });
      worker.on('error', (error) => this.failed(worker, error));
      worker.unref();
      this.all.push(worker);
      this.idle.push(worker);
    }
  }

  /** Prices a day; `fetch` gives the bytes of its blocks marked `rpc`. */
  run(job: DayJob, fetch?: BlockFetcher): Promise<DayResult> {
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    if (this.size === 0) return this.runHere(job, fetch);
    return new Promise((resolve, reject) => {
      this.queue.push({ job, fetch, resolve, reject });
      this.pump();
    });
  }

  private async runHere(job: DayJob, fetch: BlockFetcher | undefined): Promise<DayResult> {
    for (const block of job.blocks) {
      if (block.rpc !== true) continue;
      try {
        if (fetch === undefined) throw new Error(`block ${block.hash} is to come over RPC: no fetcher`);
        block.bytes = await fetch(block.hash);
      } catch (error) {
        // As a worker answers: the job failed at this block.
        const message = error instanceof Error ? error.message : String(error);
        return { id: job.id, ok: false, hash: block.hash, message };
      }
    }
    // Off the current tick, like a worker: callers can launch several before awaiting.
    return new Promise((resolve) => setImmediate(() => resolve(runDayJob(job))));
  }

  /** A worker waits for a block: fetch it, hand its bytes over, wake the worker. */
  private deliver(worker: Worker, hash: string): void {
    const channel = this.channels.get(worker);
    const fetch = this.running.get(worker)?.fetch;
    if (channel === undefined) return;
    const send = (delivery: BlockDelivery, transfer: ArrayBuffer[] = []) => {
      channel.port.postMessage(delivery, transfer);
      Atomics.store(channel.signal, 0, 1);
      Atomics.notify(channel.signal, 0);
    };
    if (fetch === undefined) {
      send({ error: `block ${hash} is to come over RPC: no fetcher` });
      return;
    }
    fetch(hash).then(
      (bytes) => {
        // Transferred when the bytes are the whole of their buffer (never a shared pool's).
        const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
        send({ bytes }, own ? [bytes.buffer as ArrayBuffer] : []);
      },
      (error: unknown) => send({ error: error instanceof Error ? error.message : String(error) }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.queue.splice(0)) w.reject(new Error('the worker pool is closed'));
    for (const w of this.running.values()) w.reject(new Error('the worker pool is closed'));
    this.running.clear();
    // A worker waiting for a block is woken first (it finds nothing and fails its job), so
    // terminate() never depends on interrupting Atomics.wait.
    for (const { signal } of this.channels.values()) {
      Atomics.store(signal, 0, 1);
      Atomics.notify(signal, 0);
    }
    // Referenced until they have exited (an idle worker is unreferenced): a process with nothing
    // else to do would otherwise end before the exit event settles terminate().
    await Promise.all(
      this.all.map((w) => {
        w.ref();
        return w.terminate();
      }),
    );
    for (const { port } of this.channels.values()) port.close();
  }

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const waiting = this.queue.shift() as Waiting;
      this.running.set(worker, waiting);
      worker.ref();
      worker.postMessage(waiting.job);
    }
  }

  private done(worker: Worker, result: DayResult): void {
    // A job that ends while the pool closes: its promise was rejected already, and its worker must
    // stay referenced until it has exited (unreferenced, the process could end first, with
    // terminate() unsettled: "unsettled top-level await", exit 13, seen in one history build in
    // six that stopped on a read-only disk).
    if (this.closed) return;
    const waiting = this.running.get(worker);
    this.running.delete(worker);
    worker.unref();
    this.idle.push(worker);
    waiting?.resolve(result);
    this.pump();
  }

  private failed(worker: Worker, error: Error): void {
    const waiting = this.running.get(worker);
    this.running.delete(worker);
    waiting?.reject(error);
  }
}
