// The demo's "true" BTC/USD price: a geometric random walk in simulated time. In: a start price,
// a start time, a daily volatility and a random generator. Out: the price at any time from the
// start on. The walk takes a step every WALK_STEP_SECONDS and is interpolated (in log space) in
// between, so the price at a time depends only on the seed, never on when or how often it is asked.

import type { Random } from './random.ts';

/** A quiet-to-normal market: 2 % standard deviation of daily log returns. */
export const DEFAULT_DAILY_VOLATILITY = 0.02;
/** Ten seconds: finer than any chart shows, coarse enough that a day costs only 8,640 steps. */
export const WALK_STEP_SECONDS = 10;
/** The walk is kept inside [start / 4, start × 4] so a long demo never drifts somewhere absurd. */
const MAX_DRIFT_FACTOR = 4;
const SECONDS_PER_DAY = 86_400;

export class PriceWalk {
  private readonly rng: Random;
  private readonly startTime: number;
  private readonly stepSigma: number;
  private readonly lowLog: number;
  private readonly highLog: number;
  /** The walk is known on grid points step and step + 1: log prices at their times. */
  private step = 0;
  private logHere: number;
  private logNext: number;

  constructor(
    rng: Random,
    startPrice: number,
    startTime: number,
    dailyVolatility = DEFAULT_DAILY_VOLATILITY,
  ) {
    if (!(startPrice > 0) || !Number.isFinite(startPrice))
      throw new RangeError(`bad start price: ${startPrice}`);
    if (!(dailyVolatility >= 0) || !Number.isFinite(dailyVolatility)) {
      throw new RangeError(`bad volatility: ${dailyVolatility}`);
    }
    this.rng = rng;
    this.startTime = startTime;
    this.stepSigma = dailyVolatility * Math.sqrt(WALK_STEP_SECONDS / SECONDS_PER_DAY);
    this.lowLog = Math.log(startPrice / MAX_DRIFT_FACTOR);
    this.highLog = Math.log(startPrice * MAX_DRIFT_FACTOR);
    this.logHere = Math.log(startPrice);
    this.logNext = this.stepFrom(this.logHere);
  }

  private stepFrom(log: number): number {
    let next = log + this.stepSigma * this.rng.normal();
    // Reflect at the bounds rather than clamp, so the walk does not stick to them.
    if (next < this.lowLog) next = 2 * this.lowLog - next;
    if (next > this.highLog) next = 2 * this.highLog - next;
    return next;
  }

  /** The price at `time`. Times before the latest step asked for read as that step's start. */
  at(time: number): number {
    const position = Math.max(0, (time - this.startTime) / WALK_STEP_SECONDS);
    const target = Math.floor(position);
    while (this.step < target) {
      this.logHere = this.logNext;
      this.logNext = this.stepFrom(this.logHere);
      this.step++;
    }
    const fraction = Math.min(1, Math.max(0, position - this.step));
    return Math.exp(this.logHere + (this.logNext - this.logHere) * fraction);
  }
}
