import type { KubeClient, KubeObject } from '../src/sink/kube/index.js';

// Whether an object exists on a cluster, followed by its watch stream (a LIST,
// then every event after it), not by polling: a test can check a condition at
// every change and miss none between two looks. An object being deleted
// (deletionTimestamp set) counts as gone already: it no longer serves.

export class ObjectPresence {
  present = false;
  /** Every change seen, in order, as `ADDED`, `MODIFIED`, `DELETED`. */
  readonly events: string[] = [];
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;

  constructor(
    private readonly kube: KubeClient,
    private readonly target: { apiVersion: string; kind: string; namespace: string; name: string },
    /** Called after every change, with the presence it left. */
    private readonly onChange: () => void,
  ) {}

  /** Lists, then follows; resolves once the LIST is in. */
  async start(): Promise<void> {
    const { apiVersion, kind, namespace } = this.target;
    const list = await this.kube.listVersioned(apiVersion, kind, '', { namespace });
    this.present = list.items.some((object) => this.serving(object));
    let resourceVersion = list.resourceVersion;
    this.running = (async () => {
      while (!this.stopping.signal.aborted) {
        try {
          const events = await this.kube.watch(apiVersion, kind, '', {
            namespace,
            resourceVersion,
            timeoutSeconds: 60,
            signal: this.stopping.signal,
          });
          for await (const event of events) {
            resourceVersion = event.object.metadata.resourceVersion ?? resourceVersion;
            if (event.object.metadata.name !== this.target.name) continue;
            if (event.type !== 'ADDED' && event.type !== 'MODIFIED' && event.type !== 'DELETED') continue;
            this.events.push(event.type);
            this.present = event.type !== 'DELETED' && this.serving(event.object);
            this.onChange();
          }
        } catch (error) {
          if (this.stopping.signal.aborted) return;
          throw error;
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running?.catch(() => undefined);
  }

  private serving(object: KubeObject): boolean {
    return object.metadata.name === this.target.name && object.metadata.deletionTimestamp === undefined;
  }
}
