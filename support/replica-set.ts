import type { KubeApi } from '../src/sink/kube/index.js';
import { writeConfigFile } from './config-file.js';
import { freePort } from './free-port.js';
import { RowkubeProcess } from './rowkube-process.js';
import { waitFor } from './wait-for.js';

// Several `rowkube run` replicas of one configuration as real processes, as a
// Deployment runs them: each with its own instance name (a pod's name) and
// its own observability port, sharing the sources through leader election.
// The failover and split-brain tests and bench:failover / bench:scale-out
// crash (SIGKILL), freeze (SIGSTOP) and continue (SIGCONT) them, and ask the
// apiserver which one holds a source's Lease.

/** Metric of leader election (src/cluster/): 1 on the replica that captures the source. */
export const CAPTURE_LEADER_METRIC = 'rowkube_capture_leader';

export class Replica {
  constructor(
    /** `--instance`: the Lease's holderIdentity and the processor's transactional id part. */
    readonly instance: string,
    readonly port: number,
    readonly process: RowkubeProcess,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get exited(): boolean {
    return !this.process.running;
  }

  /** `rowkube_capture_leader{source}` from /metrics; undefined while the replica does not answer. */
  async leaderMetric(source: string): Promise<number | undefined> {
    const text = await this.get('/metrics');
    if (text === undefined) return undefined;
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`${CAPTURE_LEADER_METRIC}{`) && l.includes(`source="${source}"`));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  /**
   * The unlabelled metrics of /metrics whose names are given, by name; undefined
   * while the replica does not answer. Reading prom-client's event-loop figures
   * resets them, so two reads bracket a window (bench:fairness).
   */
  async metrics(names: readonly string[]): Promise<Map<string, number> | undefined> {
    const text = await this.get('/metrics');
    if (text === undefined) return undefined;
    const wanted = new Set(names);
    const values = new Map<string, number>();
    for (const line of text.split('\n')) {
      const space = line.indexOf(' ');
      const name = line.slice(0, space);
      if (space > 0 && wanted.has(name)) values.set(name, Number(line.slice(space + 1)));
    }
    return values;
  }

  /** /readyz as its status code and body, or undefined while the server does not answer. */
  async readyz(): Promise<{ status: number; body: string } | undefined> {
    try {
      const response = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      return { status: response.status, body: await response.text() };
    } catch {
      return undefined;
    }
  }

  private async get(path: string): Promise<string | undefined> {
    try {
      const response = await fetch(`${this.url}${path}`, { signal: AbortSignal.timeout(2_000) });
      return await response.text();
    } catch {
      return undefined;
    }
  }
}

export interface ReplicaSetOptions {
  /** The configuration every replica runs (a YAML object), without `observability.port`, which each gets its own. */
  config: Record<string, unknown>;
  /** Instance names are `<name>-<n>`, and `<name>-<n>-<restart>` after a restart (a new pod, a new name). */
  name: string;
  /** Where the Lease of the watched source is. */
  lease: { namespace: string; name: string };
  kube: KubeApi;
  /** Variables for every replica on top of this process's, e.g. LOG_LEVEL. */
  env?: NodeJS.ProcessEnv;
}

export class ReplicaSet {
  /** The replicas, by slot: a restart replaces a slot's replica. */
  readonly replicas: Replica[] = [];
  /** Every replica ever started, for the logs of failed runs. */
  readonly started: Replica[] = [];
  private readonly restarts = new Map<number, number>();

  constructor(private readonly options: ReplicaSetOptions) {}

  /** Starts `count` replicas (slots 0 … count-1). */
  async start(count: number): Promise<void> {
    for (let slot = 0; slot < count; slot++)
      this.replicas.push(await this.spawn(`${this.options.name}-${slot}`));
  }

  /** The Lease's holderIdentity, or undefined when nobody holds it (or it does not exist yet). */
  async holder(): Promise<string | undefined> {
    const lease = await this.options.kube.get({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      namespace: this.options.lease.namespace,
      name: this.options.lease.name,
    });
    const identity = (lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
    return identity === undefined || identity === '' ? undefined : identity;
  }

  /** The running replica the Lease names, if any. */
  async leader(): Promise<Replica | undefined> {
    const holder = await this.holder();
    return holder === undefined ? undefined : this.replicas.find((r) => r.instance === holder);
  }

  /** Waits until a replica other than `not` holds the Lease; rejects after `timeoutMs`. */
  async waitForLeader(not?: Replica, timeoutMs = 60_000): Promise<Replica> {
    return waitFor(
      not === undefined ? 'a capture leader' : `a capture leader other than ${not.instance}`,
      async () => {
        const leader = await this.leader();
        return leader !== undefined && leader !== not && !leader.exited ? leader : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${this.describe()}`);
    });
  }

  /** SIGKILL; resolves with the time of the kill (Date.now() just before the signal). */
  async kill(replica: Replica): Promise<number> {
    const at = Date.now();
    await replica.process.kill();
    return at;
  }

  /** SIGSTOP; resolves with its time. */
  pause(replica: Replica): number {
    const at = Date.now();
    replica.process.pause();
    return at;
  }

  /** SIGCONT; resolves with its time. */
  resume(replica: Replica): number {
    const at = Date.now();
    replica.process.resume();
    return at;
  }

  /** Starts a new replica in the slot of a killed one, under a new instance name, as a Deployment replaces a pod. */
  async restart(replica: Replica): Promise<Replica> {
    const slot = this.replicas.indexOf(replica);
    if (slot < 0) throw new Error(`${replica.instance} is not one of the replicas`);
    const generation = (this.restarts.get(slot) ?? 0) + 1;
    this.restarts.set(slot, generation);
    const next = await this.spawn(`${this.options.name}-${slot}-${generation}`);
    this.replicas[slot] = next;
    return next;
  }

  /** SIGTERM to every replica still running, in parallel; the first failure to stop is rethrown after all stopped. */
  async stop(): Promise<void> {
    const results = await Promise.allSettled(this.started.map((r) => r.process.stop()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /** Each replica's state and last log lines, for the message of a failed wait. */
  describe(lines = 8): string {
    return this.started
      .map(
        (r) =>
          `--- ${r.instance} (${r.exited ? `ended, exit code ${r.process.exitCode}` : 'running'}):\n${r.process.lastOutput(lines)}`,
      )
      .join('\n');
  }

  private async spawn(instance: string): Promise<Replica> {
    const port = await freePort();
    const config = writeConfigFile({
      ...this.options.config,
      observability: { ...(this.options.config.observability as object | undefined), port },
    });
    const replica = new Replica(
      instance,
      port,
      new RowkubeProcess(['run', '--config', config, '--instance', instance], [], { env: this.options.env }),
    );
    this.started.push(replica);
    return replica;
  }
}
