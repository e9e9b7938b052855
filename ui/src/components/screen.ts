/**
 * What every screen is: an element to mount and a way to let go of its listeners when the app
 * moves to another screen.
 */

import type { Unlisten } from '../backend';

export interface Screen {
  readonly el: HTMLElement;
  dispose(): void;
}

/**
 * Collects event subscriptions (Tauri listeners arrive asynchronously) and cleanup functions, and
 * releases them all at once, including listeners that resolve after disposal.
 */
export class Subscriptions {
  private readonly stops: Unlisten[] = [];
  private disposed = false;

  add(stop: Unlisten): void {
    if (this.disposed) stop();
    else this.stops.push(stop);
  }

  /** Adds a listener whose unlisten function arrives later; failures to subscribe are ignored. */
  addAsync(pending: Promise<Unlisten>): void {
    pending.then(
      (stop) => this.add(stop),
      () => undefined,
    );
  }

  dispose(): void {
    this.disposed = true;
    for (const stop of this.stops.splice(0)) stop();
  }
}
