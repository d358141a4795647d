/**
 * @module Long-lived services in one ordered list: started in order, stopped in reverse, so
 * shutdown order follows from build order instead of being kept by hand.
 */

/** A service with a life: building it starts nothing, `start()` does, `stop()` undoes it. */
export interface Service {
  /** Names the service in logs when its start or stop fails. */
  readonly name: string;
  /** Starts background work; awaited before the next service starts. */
  start?(): void | Promise<void>;
  /** Releases what it holds; never throws past the list (failures are reported). */
  stop?(): void | Promise<void>;
}

/** Where a failed stop is reported. */
export type StopFailure = (name: string, error: unknown) => void;

/**
 * Services in dependency order: each may use the ones before it. Stopping walks the started ones
 * in reverse and waits for each, so a service never loses what it uses while it stops.
 *
 * @example
 * ```ts
 * const services = new ServiceList();
 * services.add({ name: "store", stop: () => store.flush() });
 * services.add({ name: "scheduler", start: () => scheduler.arm(), stop: () => scheduler.stop() });
 * await services.start();
 * await services.stop(); // scheduler first, then store
 * ```
 */
export class ServiceList {
  #services: Service[] = [];
  #started: Service[] = [];
  #stopping: Promise<void> | undefined;

  /** Appends services; they start after (and stop before) every service already added. */
  add(...services: Service[]): this {
    this.#services.push(...services);
    return this;
  }

  /** The services' names in start order. */
  get names(): string[] {
    return this.#services.map((service) => service.name);
  }

  /**
   * Starts every service in order. When one fails, the ones already started are stopped in
   * reverse and the error is rethrown.
   */
  async start(onStopFailure?: StopFailure): Promise<void> {
    for (const service of this.#services) {
      if (this.#started.includes(service)) continue;
      try {
        await service.start?.();
      } catch (error) {
        await this.stop(onStopFailure);
        throw error;
      }
      this.#started.push(service);
    }
  }

  /** Stops the started services in reverse order; every one is stopped even if some fail. */
  stop(onStopFailure: StopFailure = () => {}): Promise<void> {
    this.#stopping ??= (async () => {
      while (this.#started.length > 0) {
        const service = this.#started.pop()!;
        try {
          await service.stop?.();
        } catch (error) {
          onStopFailure(service.name, error);
        }
      }
    })().finally(() => (this.#stopping = undefined));
    return this.#stopping;
  }
}
