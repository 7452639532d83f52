import type { Clock } from '../../src/clock.js';

/** A clock the test moves by hand: `clock.now` is read by the services, `advance` moves it. */
export class TestClock {
  constructor(public current = new Date()) {}

  readonly now: Clock = () => new Date(this.current);

  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}
