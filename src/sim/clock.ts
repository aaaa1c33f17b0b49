// Simulated time for the demo: a clock that can run faster than the wall clock. In: a start time
// and a speed factor (or manual steps, for tests). Out: `now()` in Unix seconds (fractional).
// The demo source and the orchestrator read the same clock, so windows, ages and block times all
// move at the simulated pace.

export interface SimClock {
  /** Unix seconds, fractional. */
  now(): number;
}

/** Simulated time = `start` + wall-clock time elapsed since creation × `speed`. */
export class ScaledClock implements SimClock {
  readonly speed: number;
  private readonly start: number;
  private readonly realStart: number;
  private readonly realNow: () => number;

  /** `realNow` returns wall-clock milliseconds (replaceable in tests). */
  constructor(options: { speed?: number; start?: number; realNow?: () => number } = {}) {
    const speed = options.speed ?? 1;
    if (!Number.isFinite(speed) || speed <= 0)
      throw new RangeError(`speed must be a positive number, got ${speed}`);
    this.speed = speed;
    this.realNow = options.realNow ?? (() => performance.timeOrigin + performance.now());
    this.realStart = this.realNow();
    this.start = options.start ?? this.realStart / 1000;
  }

  now(): number {
    return this.start + ((this.realNow() - this.realStart) / 1000) * this.speed;
  }
}

/** A clock that moves only when told: for tests and for replaying a fixed span. */
export class ManualClock implements SimClock {
  private time: number;

  constructor(start: number) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  set(time: number): void {
    if (time < this.time) throw new RangeError('a clock does not run backwards');
    this.time = time;
  }

  advance(seconds: number): void {
    this.set(this.time + seconds);
  }
}
