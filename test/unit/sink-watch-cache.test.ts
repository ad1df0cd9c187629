import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/sink/cache/object-fingerprint.js';
import { ObjectStore, type StoreChange } from '../../src/sink/cache/object-store.js';
import { type ListWatch, Reflector } from '../../src/sink/cache/reflector.js';
import {
  type KubeObject,
  parseWatchLine,
  WatchError,
  type WatchEvent,
  watchEvents,
} from '../../src/sink/kube/index.js';
import { waitFor } from '../../support/wait-for.js';

const cm = (name: string, rv: string, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', resourceVersion: rv },
  data,
});

async function* chunks(...parts: (string | Buffer)[]): AsyncIterable<Buffer> {
  for (const part of parts) yield Buffer.isBuffer(part) ? part : Buffer.from(part);
}

async function collect(events: AsyncIterable<WatchEvent>): Promise<WatchEvent[]> {
  const all: WatchEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

describe('sink > cache > watch stream', () => {
  it('joins lines split across chunks, also inside a multi-byte character', async () => {
    const line = JSON.stringify({ type: 'ADDED', object: cm('a', '5', { text: 'grüße' }) });
    const bytes = Buffer.from(`${line}\n${JSON.stringify({ type: 'BOOKMARK', object: cm('', '9') })}`);
    const cut = bytes.indexOf(Buffer.from('ü')) + 1; // inside the two bytes of ü
    const events = await collect(
      watchEvents(chunks(bytes.subarray(0, cut), bytes.subarray(cut)), 'ConfigMap'),
    );
    expect(events.map((event) => event.type)).toEqual(['ADDED', 'BOOKMARK']);
    expect(events[0]?.object.data).toEqual({ text: 'grüße' });
  });

  it('turns an ERROR event with code 410 into a WatchError that is gone', () => {
    const line = JSON.stringify({
      type: 'ERROR',
      object: { kind: 'Status', code: 410, message: 'too old resource version' },
    });
    let error: unknown;
    try {
      parseWatchLine(line, 'ConfigMap (v1)');
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(WatchError);
    expect((error as WatchError).gone).toBe(true);
    expect((error as WatchError).message).toContain('watch of ConfigMap (v1): too old resource version');
  });

  it('names the watch and the line when a line is not JSON or not an event', () => {
    expect(() => parseWatchLine('{nope', 'Deployment (apps/v1)')).toThrow(
      /watch of Deployment \(apps\/v1\): a line is not JSON/,
    );
    expect(() => parseWatchLine('{"type":"WHAT","object":{}}', 'X')).toThrow(/unexpected event/);
  });
});

describe('sink > cache > object store', () => {
  it('tells added, modified and deleted with the version before, and ignores the same version again', () => {
    const store = new ObjectStore();
    const seen: Pick<StoreChange, 'type' | 'key'>[] = [];
    store.subscribe(({ type, key }) => seen.push({ type, key }));
    store.upsert(cm('a', '1'));
    store.upsert(cm('a', '1'));
    store.upsert(cm('a', '2'));
    store.remove(cm('a', '3'));
    store.remove(cm('a', '3'));
    expect(seen.map((change) => change.type)).toEqual(['added', 'modified', 'deleted']);
    expect(store.size).toBe(0);
  });

  it('a re-list removes what is gone from its own share only', () => {
    const store = new ObjectStore();
    store.upsert(cm('a', '1'));
    store.upsert(cm('b', '1'));
    store.upsert({ ...cm('other', '1'), kind: 'Secret' });
    const deleted: string[] = [];
    store.subscribe((change) => change.type === 'deleted' && deleted.push(change.object.metadata.name ?? ''));
    store.replace([cm('b', '2')], (object) => object.kind === 'ConfigMap');
    expect(deleted).toEqual(['a']);
    expect([...store.values()].map((object) => object.metadata.name).sort()).toEqual(['b', 'other']);
  });
});

/** A ListWatch scripted by the test: each watch call takes the next script entry. */
class ScriptedSource implements ListWatch {
  where = 'ConfigMap (v1)';
  lists: KubeObject[][] = [];
  listVersions: string[] = [];
  watches: (WatchEvent[] | Error)[] = [];
  readonly watchedFrom: string[] = [];
  listCalls = 0;

  async list() {
    const items = this.lists[Math.min(this.listCalls, this.lists.length - 1)] ?? [];
    const resourceVersion = this.listVersions[Math.min(this.listCalls, this.listVersions.length - 1)] ?? '1';
    this.listCalls += 1;
    return { items, resourceVersion };
  }

  async watch(resourceVersion: string, signal: AbortSignal): Promise<AsyncIterable<WatchEvent>> {
    this.watchedFrom.push(resourceVersion);
    const next = this.watches.shift();
    if (next instanceof Error) throw next;
    const events = next ?? [];
    return (async function* () {
      for (const event of events) yield event;
      // Nothing more scripted: stay open until stopped, as a quiet watch does.
      if (next === undefined) await new Promise((resolve) => signal.addEventListener('abort', resolve));
    })();
  }

  owns(object: KubeObject): boolean {
    return object.kind === 'ConfigMap';
  }
}

describe('sink > cache > reflector', () => {
  it('lists, then watches from the list version and goes on from the last event or bookmark', async () => {
    const source = new ScriptedSource();
    source.lists = [[cm('a', '3')]];
    source.listVersions = ['10'];
    source.watches = [
      [
        { type: 'MODIFIED', object: cm('a', '11', { k: 'v' }) },
        { type: 'BOOKMARK', object: cm('', '15') },
      ],
      [{ type: 'DELETED', object: cm('a', '16') }],
    ];
    const store = new ObjectStore();
    const controller = new AbortController();
    await new Reflector(source, store).start(controller.signal);
    await waitFor('the third watch', async () => (source.watchedFrom.length >= 3 ? true : undefined));
    controller.abort();
    expect(source.watchedFrom).toEqual(['10', '15', '16']);
    expect(store.size).toBe(0);
    expect(source.listCalls).toBe(1);
  });

  it('lists again when the version is gone (410), and deletions made meanwhile reach the store', async () => {
    const source = new ScriptedSource();
    source.lists = [[cm('a', '3'), cm('b', '4')], [cm('b', '30')]];
    source.listVersions = ['10', '31'];
    source.watches = [new WatchError('too old', 410)];
    const store = new ObjectStore();
    const controller = new AbortController();
    await new Reflector(source, store).start(controller.signal);
    await waitFor('the watch after the re-list', async () =>
      source.watchedFrom.length >= 2 ? true : undefined,
    );
    controller.abort();
    expect(source.listCalls).toBe(2);
    expect(source.watchedFrom).toEqual(['10', '31']);
    expect([...store.values()].map((object) => object.metadata.resourceVersion)).toEqual(['30']);
  });

  it('waits out an API server that is away, with doubling pauses, and watches again from where it was', async () => {
    const source = new ScriptedSource();
    source.lists = [[]];
    source.listVersions = ['7'];
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    source.watches = [refused, refused, refused];
    const pauses: number[] = [];
    const controller = new AbortController();
    const reflector = new Reflector(source, new ObjectStore(), {
      initialBackoffMs: 5,
      onError: (_error, retryInMs) => pauses.push(retryInMs),
    });
    await reflector.start(controller.signal);
    await waitFor('the watch to run again', async () => (source.watchedFrom.length >= 4 ? true : undefined));
    expect(reflector.healthy).toBe(true);
    controller.abort();
    expect(pauses).toEqual([5, 10, 20]);
    expect(source.watchedFrom).toEqual(['7', '7', '7', '7']);
  });

  it('rejects start when the first list fails: before it, the cache knows nothing', async () => {
    const source = new ScriptedSource();
    source.list = async () => {
      throw new Error('ConfigMap (v1): list failed: connect ECONNREFUSED');
    };
    await expect(
      new Reflector(source, new ObjectStore()).start(new AbortController().signal),
    ).rejects.toThrow(/list failed/);
  });
});

describe('sink > cache > fingerprint', () => {
  const deployment = (extra: object = {}): KubeObject =>
    ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'ns',
        resourceVersion: '1',
        labels: { app: 'web' },
        annotations: { 'rowkube.io/content-hash': 'h' },
      },
      spec: { replicas: 1 },
      ...extra,
    }) as KubeObject;

  it('ignores status, server bookkeeping and annotations of Kubernetes controllers', () => {
    const base = fingerprint(deployment());
    const rolled = deployment({ status: { availableReplicas: 1 } });
    rolled.metadata = {
      ...rolled.metadata,
      resourceVersion: '9',
      generation: 2,
      annotations: { ...rolled.metadata.annotations, 'deployment.kubernetes.io/revision': '1' },
    };
    expect(fingerprint(rolled)).toBe(base);
  });

  it('sees a changed spec field, label or annotation', () => {
    const base = fingerprint(deployment());
    expect(fingerprint(deployment({ spec: { replicas: 3 } }))).not.toBe(base);
    const relabelled = deployment();
    relabelled.metadata = { ...relabelled.metadata, labels: { app: 'other' } };
    expect(fingerprint(relabelled)).not.toBe(base);
  });

  it("leaves a resource's ignoreFields out: an autoscaler's replicas are not drift", () => {
    const ignored = ['spec.replicas'];
    expect(fingerprint(deployment({ spec: { replicas: 3 } }), ignored)).toBe(
      fingerprint(deployment(), ignored),
    );
  });
});
