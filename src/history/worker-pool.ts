// A fixed set of worker threads running price-worker.ts: DayJobs in, DayResults out (a promise per
// job), in whatever order workers free up; jobs beyond the workers wait in a queue. With zero
// workers the jobs run on the calling thread (tests, one-core machines). `close()` ends the threads.

import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type DayJob, type DayResult, runDayJob } from './price-worker.ts';

/** price-worker.ts beside this file in the clone, price-worker.js in the installed (compiled) package. */
const WORKER = new URL(`./price-worker${extname(new URL(import.meta.url).pathname)}`, import.meta.url);

interface Waiting {
  job: DayJob;
  resolve: (result: DayResult) => void;
  reject: (error: Error) => void;
}

export class WorkerPool {
  readonly size: number;
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Waiting[] = [];
  private readonly running = new Map<Worker, Waiting>();
  private closed = false;

  constructor(size: number) {
    this.size = Math.max(0, Math.floor(size));
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(WORKER);
      worker.on('message', (result: DayResult) => this.done(worker, result));
      worker.on('error', (error) => this.failed(worker, error));
      worker.unref();
      this.all.push(worker);
      this.idle.push(worker);
    }
  }

  run(job: DayJob): Promise<DayResult> {
    if (this.closed) return Promise.reject(new Error('the worker pool is closed'));
    if (this.size === 0) {
      // Off the current tick, like a worker: callers can launch several before awaiting.
      return new Promise((resolve) => setImmediate(() => resolve(runDayJob(job))));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.queue.splice(0)) w.reject(new Error('the worker pool is closed'));
    await Promise.all(this.all.map((w) => w.terminate()));
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
