import type { ClockChange, ClockReading } from './types.js';

/**
 * The emulator's clock: real time, scaled and shifted. Every state machine reads it lazily when a
 * request arrives, so advancing it moves 1,000 resources at no cost.
 *
 * It is kept as an anchor pair rather than `real * scale + offset` so that changing the scale does
 * not make the clock jump: the new rate starts from the current reading.
 */
export class EmulatorClock {
  private anchorReal = Date.now();
  private anchorEmulated = this.anchorReal;
  private rate = 1;

  constructor(private readonly realNow: () => number = Date.now) {
    this.anchorReal = realNow();
    this.anchorEmulated = this.anchorReal;
  }

  now(): number {
    return this.anchorEmulated + (this.realNow() - this.anchorReal) * this.rate;
  }

  get scale(): number {
    return this.rate;
  }

  change(change: ClockChange): ClockReading {
    const current = this.now();
    this.anchorReal = this.realNow();
    this.anchorEmulated = current + (change.advanceMs ?? 0);
    if (change.scale !== undefined) this.rate = change.scale;
    return this.read();
  }

  reset(): void {
    this.anchorReal = this.realNow();
    this.anchorEmulated = this.anchorReal;
    this.rate = 1;
  }

  read(): ClockReading {
    return { now: new Date(this.now()).toISOString(), scale: this.rate };
  }

  /** What persistence keeps: how far ahead of real time the clock is, and how fast it runs. */
  save(): { aheadMs: number; scale: number } {
    return { aheadMs: this.now() - this.realNow(), scale: this.rate };
  }

  /** A restarted emulator continues from where the saved clock stood relative to real time. */
  restore(saved: { aheadMs: number; scale: number }): void {
    this.anchorReal = this.realNow();
    this.anchorEmulated = this.anchorReal + Math.max(0, saved.aheadMs);
    this.rate = saved.scale;
  }
}
