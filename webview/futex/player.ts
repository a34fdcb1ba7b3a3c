/**
 * Autoplay for the stepper: Play advances one step per tick until the end of the history or Pause; the
 * speed can change while playing. The timer is injected (the page passes window's; tests pass a fake one
 * or fake the page's clock), so playing is driven deterministically, never by sleeping.
 */

export interface Timer {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const SPEEDS: readonly { id: string; label: string; ms: number }[] = [
  { id: '0.5', label: '½ step/s', ms: 2000 },
  { id: '1', label: '1 step/s', ms: 1000 },
  { id: '2', label: '2 steps/s', ms: 500 },
  { id: '4', label: '4 steps/s', ms: 250 },
];

export interface PlayerHooks {
  /** advance one step if there is one; true while a further step is left (false stops the player). */
  advance(): boolean;
  /** called whenever playing starts or stops. */
  changed(playing: boolean): void;
}

export class Player {
  private handle: unknown = null;
  private ms: number;

  constructor(private readonly timer: Timer, private readonly hooks: PlayerHooks, speedId = '1') {
    this.ms = SPEEDS.find((s) => s.id === speedId)?.ms ?? 1000;
  }

  get playing(): boolean {
    return this.handle !== null;
  }

  get intervalMs(): number {
    return this.ms;
  }

  setSpeed(id: string): void {
    const s = SPEEDS.find((x) => x.id === id);
    if (!s) return;
    this.ms = s.ms;
    if (this.playing) {
      // the new speed applies from now on, not after the tick already scheduled at the old one
      this.timer.clearTimeout(this.handle);
      this.schedule();
    }
  }

  play(): void {
    if (this.playing) return;
    this.schedule();
    this.hooks.changed(true);
  }

  pause(): void {
    if (!this.playing) return;
    this.timer.clearTimeout(this.handle);
    this.handle = null;
    this.hooks.changed(false);
  }

  toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  private schedule(): void {
    this.handle = this.timer.setTimeout(() => {
      this.handle = null;
      if (this.hooks.advance()) this.schedule();
      else this.hooks.changed(false);
    }, this.ms);
  }
}
