import { KubeConfig } from '@kubernetes/client-node';
import { ErrorCode, RowkubeError } from '../../core/errors.js';
import type {
  AppliedObject,
  ApplyOptions,
  DeleteOptions,
  DeleteOutcome,
  KubeApi,
  KubeWatchApi,
  ListOptions,
  MergePatch,
  VersionedList,
  WatchOptions,
} from './kube-api.js';
import { collectionPath, KubeDiscovery, type KubeResource, objectPath } from './kube-discovery.js';
import { type KubeFailure, kubeNetworkError, kubeStatusError } from './kube-errors.js';
import { type KubeObject, type ObjectRef, refOf } from './kube-object.js';
import {
  type KubeRequest,
  type KubeResponse,
  KubeTransport,
  type KubeTransportOptions,
} from './kube-transport.js';
import { WatchError, type WatchEvent, watchEvents } from './watch-stream.js';

// The sink's Kubernetes client: server-side apply, get, delete, merge patch,
// paginated list and discovery, over raw JSON and one pool of kept-alive
// connections. Errors are classified once, in kube-errors.ts.

export type KubeClientOptions = KubeTransportOptions;

export const DEFAULT_LIST_PAGE_SIZE = 500;

const APPLY_PATCH = 'application/apply-patch+yaml';
const MERGE_PATCH = 'application/merge-patch+json';

export class KubeClient implements KubeApi, KubeWatchApi {
  private readonly transport: KubeTransport;
  private readonly discovery: KubeDiscovery;

  constructor(kubeConfig: KubeConfig, options: KubeClientOptions = {}) {
    this.transport = new KubeTransport(kubeConfig, options);
    this.discovery = new KubeDiscovery(this.transport);
  }

  /** A client for the current context of a kubeconfig file. */
  static fromKubeconfigFile(path: string, options: KubeClientOptions = {}): KubeClient {
    const kubeConfig = new KubeConfig();
    try {
      kubeConfig.loadFromFile(path);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new RowkubeError(ErrorCode.CONFIG, `kubeconfig ${path} cannot be read: ${reason}`, false, {
        cause: error,
      });
    }
    return new KubeClient(kubeConfig, options);
  }

  async apply(object: KubeObject, options: ApplyOptions): Promise<KubeObject> {
    return (await this.applyReporting(object, options)).object;
  }

  async applyReporting(
    object: KubeObject,
    { fieldManager, force, dryRun = false }: ApplyOptions,
  ): Promise<AppliedObject> {
    const ref = refOf(object);
    const failure: KubeFailure = { verb: dryRun ? 'dry-run apply' : 'apply', subject: { ref } };
    const resource = await this.discovery.resource(ref.apiVersion, ref.kind, failure.verb, ref);
    const response = await this.send(failure, {
      method: 'PATCH',
      path: objectPath(resource, ref),
      query: { fieldManager, force: force ? 'true' : undefined, dryRun: dryRun ? 'All' : undefined },
      // JSON is YAML: the apply content type takes it as it is.
      body: JSON.stringify(object),
      contentType: APPLY_PATCH,
    });
    // 201 Created, or 200 for an object that existed.
    if (isSuccess(response)) return { object: response.body as KubeObject, created: response.status === 201 };
    throw this.failed(failure, response);
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const failure: KubeFailure = { verb: 'get', subject: { ref } };
    const resource = await this.discovery.resource(ref.apiVersion, ref.kind, failure.verb, ref);
    const response = await this.send(failure, { method: 'GET', path: objectPath(resource, ref) });
    if (isSuccess(response)) return response.body as KubeObject;
    if (response.status === 404) return undefined;
    throw this.failed(failure, response);
  }

  /**
   * Creates the object (POST); undefined when one of that name exists already
   * (HTTP 409 AlreadyExists), so that a caller racing others for a name (a
   * Lease) tells losing the race from a failure.
   */
  async create(object: KubeObject): Promise<KubeObject | undefined> {
    const ref = refOf(object);
    const failure: KubeFailure = { verb: 'create', subject: { ref } };
    const resource = await this.discovery.resource(ref.apiVersion, ref.kind, failure.verb, ref);
    const response = await this.send(failure, {
      method: 'POST',
      path: collectionPath(resource, ref),
      body: JSON.stringify(object),
    });
    if (isSuccess(response)) return response.body as KubeObject;
    if (response.status === 409) return undefined;
    throw this.failed(failure, response);
  }

  /**
   * Replaces the object (PUT) if its `metadata.resourceVersion` is still the
   * server's: optimistic concurrency. Undefined when someone changed it since
   * (HTTP 409 Conflict) or it is gone (404).
   */
  async update(object: KubeObject): Promise<KubeObject | undefined> {
    const ref = refOf(object);
    const failure: KubeFailure = { verb: 'update', subject: { ref } };
    const resource = await this.discovery.resource(ref.apiVersion, ref.kind, failure.verb, ref);
    const response = await this.send(failure, {
      method: 'PUT',
      path: objectPath(resource, ref),
      body: JSON.stringify(object),
    });
    if (isSuccess(response)) return response.body as KubeObject;
    if (response.status === 409 || response.status === 404) return undefined;
    throw this.failed(failure, response);
  }

  async delete(ref: ObjectRef, { propagation, preconditions }: DeleteOptions): Promise<DeleteOutcome> {
    const failure: KubeFailure = { verb: 'delete', subject: { ref } };
    const resource = await this.discovery.resource(ref.apiVersion, ref.kind, failure.verb, ref);
    const response = await this.send(failure, {
      method: 'DELETE',
      path: objectPath(resource, ref),
      query: { propagationPolicy: propagation },
      // Preconditions exist only in the DeleteOptions body, not as query parameters.
      ...(preconditions === undefined
        ? {}
        : { body: JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', preconditions }) }),
    });
    if (isSuccess(response)) return 'deleted';
    if (response.status === 404) return 'absent';
    // "Precondition failed: UID in precondition: …, UID in object meta: …"
    if (response.status === 409 && preconditions !== undefined) return 'changed';
    throw this.failed(failure, response);
  }

  async mergePatch(ref: ObjectRef, patch: MergePatch): Promise<KubeObject | undefined> {
    const failure: KubeFailure = { verb: 'merge-patch', subject: { ref } };
    const resource = await this.discovery.resource(ref.apiVersion, ref.kind, failure.verb, ref);
    const response = await this.send(failure, {
      method: 'PATCH',
      path: objectPath(resource, ref),
      body: JSON.stringify(patch),
      contentType: MERGE_PATCH,
    });
    if (isSuccess(response)) return response.body as KubeObject;
    if (response.status === 404) return undefined;
    throw this.failed(failure, response);
  }

  async list(
    apiVersion: string,
    kind: string,
    labelSelector: string,
    options: ListOptions = {},
  ): Promise<KubeObject[]> {
    return (await this.listVersioned(apiVersion, kind, labelSelector, options)).items;
  }

  async listVersioned(
    apiVersion: string,
    kind: string,
    labelSelector: string,
    { pageSize = DEFAULT_LIST_PAGE_SIZE, namespace, keep }: ListOptions = {},
  ): Promise<VersionedList> {
    const where = namespace === undefined ? '' : ` in namespace ${namespace}`;
    const failure: KubeFailure = {
      verb: 'list',
      subject: { what: `${kind} (${apiVersion}) with labels '${labelSelector}'${where}` },
    };
    const resource = await this.discovery.resource(apiVersion, kind, failure.verb);
    const path =
      namespace === undefined
        ? collectionPath(resource)
        : collectionPath(resource, { apiVersion, kind, name: '', namespace });
    const objects: KubeObject[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const response = await this.send(failure, {
        method: 'GET',
        path,
        query: { labelSelector, limit: String(pageSize), continue: continueToken },
      });
      if (!isSuccess(response)) throw this.failed(failure, response);
      const page = response.body as {
        items?: KubeObject[];
        metadata?: { continue?: string; resourceVersion?: string };
      };
      // Every page of one list is the same snapshot; its version is where a watch goes on from.
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      // Items of a list carry no apiVersion and kind; callers compare and
      // re-apply them as objects, so give them back their identity.
      for (const item of page.items ?? []) {
        const object = { ...item, apiVersion, kind };
        objects.push(keep === undefined ? object : keep(object));
      }
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken !== undefined);
    return { items: objects, resourceVersion };
  }

  async watch(
    apiVersion: string,
    kind: string,
    labelSelector: string,
    { namespace, resourceVersion, timeoutSeconds, signal }: WatchOptions,
  ): Promise<AsyncIterable<WatchEvent>> {
    const where = `${kind} (${apiVersion}) with labels '${labelSelector}'${namespace === undefined ? '' : ` in namespace ${namespace}`}`;
    const failure: KubeFailure = { verb: 'watch', subject: { what: where } };
    const resource = await this.discovery.resource(apiVersion, kind, failure.verb);
    const path =
      namespace === undefined
        ? collectionPath(resource)
        : collectionPath(resource, { apiVersion, kind, name: '', namespace });
    let stream: Awaited<ReturnType<KubeTransport['stream']>>;
    try {
      stream = await this.transport.stream(
        {
          method: 'GET',
          path,
          query: {
            watch: '1',
            labelSelector,
            resourceVersion,
            allowWatchBookmarks: 'true',
            timeoutSeconds: String(timeoutSeconds),
          },
        },
        // Bookmarks come about once a minute; silence well past the timeout is a dead connection.
        { idleTimeoutMs: (timeoutSeconds + 30) * 1_000, signal },
      );
    } catch (error) {
      throw kubeNetworkError(failure, error);
    }
    if (stream.status === 410)
      throw new WatchError(`watch of ${where}: resourceVersion ${resourceVersion} is gone`, 410);
    if (stream.status < 200 || stream.status > 299)
      throw this.failed(failure, { status: stream.status, headers: {}, body: stream.body });
    // Events name their kind already; set as asked, so the cache keys every object as `list` does.
    return withIdentity(watchEvents(stream.chunks, where), apiVersion, kind, signal);
  }

  async isNamespaced(apiVersion: string, kind: string): Promise<boolean> {
    return (await this.discovery.resource(apiVersion, kind, 'discovery')).namespaced;
  }

  /** The resource serving a kind (its URL plural, its scope), as discovery says: what `rowkube rbac` names in rules. */
  resource(apiVersion: string, kind: string): Promise<KubeResource> {
    return this.discovery.resource(apiVersion, kind, 'discovery');
  }

  /** Closes the pooled connections; calls in flight fail with a retriable error. */
  close(): void {
    this.transport.close();
  }

  private async send(failure: KubeFailure, request: KubeRequest): Promise<KubeResponse> {
    try {
      return await this.transport.request(request);
    } catch (error) {
      throw kubeNetworkError(failure, error);
    }
  }

  private failed(failure: KubeFailure, response: KubeResponse): Error {
    const retryAfterMs = retryAfter(response);
    return kubeStatusError(
      { ...failure, status: response.status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
      response.body,
    );
  }
}

async function* withIdentity(
  events: AsyncIterable<WatchEvent>,
  apiVersion: string,
  kind: string,
  signal: AbortSignal,
): AsyncIterable<WatchEvent> {
  try {
    for await (const event of events)
      yield { type: event.type, object: { ...event.object, apiVersion, kind } };
  } catch (error) {
    // Stopped on purpose: the connection's end is no failure.
    if (signal.aborted) return;
    throw error;
  }
}

function isSuccess(response: KubeResponse): boolean {
  return response.status >= 200 && response.status <= 299;
}

/** Retry-After in seconds (the API server never sends the HTTP-date form). */
function retryAfter(response: KubeResponse): number | undefined {
  const header = response.headers['retry-after'];
  const seconds = header === undefined ? Number.NaN : Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
