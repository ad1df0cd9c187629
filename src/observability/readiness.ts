// Which components started in this process are running, for /readyz. Each
// command names the components it starts before starting them, so a process
// is not ready until every one of them said so, and turns not ready again
// while one restarts.

export interface ComponentState {
  ready: boolean;
  /** Why it is not ready (or what it is doing), for people. */
  reason?: string;
}

export interface ReadinessReport {
  /** Every expected component is ready (and there is at least one). */
  ready: boolean;
  components: Record<string, ComponentState>;
}

export class Readiness {
  private readonly components = new Map<string, ComponentState>();

  /** Components this process starts: not ready ("starting") until they report. */
  expect(components: readonly string[]): void {
    for (const component of components)
      if (!this.components.has(component))
        this.components.set(component, { ready: false, reason: 'starting' });
  }

  set(component: string, ready: boolean, reason?: string): void {
    this.components.set(component, reason === undefined ? { ready } : { ready, reason });
  }

  report(): ReadinessReport {
    const components = Object.fromEntries(this.components);
    const states = [...this.components.values()];
    return { ready: states.length > 0 && states.every((state) => state.ready), components };
  }
}
