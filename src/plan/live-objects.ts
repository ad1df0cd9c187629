import type { PrepareContext } from '../sink/apply/prepared-resource.js';
import { refKey } from '../sink/inventory.js';
import { type KubeApi, type KubeObject, type ObjectRef, refOf } from '../sink/kube/index.js';
import { literalNamespaces, ownerSelector } from '../sink/ownership/index.js';

// The live objects a plan compares with. Most are rowkube's own, so one LIST
// per kind (by the installation's owner labels, in each allowed namespace
// when they are literal names, as the sink's cache lists them) finds them
// all: half the requests of a GET per object. An object the lists do not
// hold (not created yet, or not rowkube's) is looked up with a GET.

export class LiveObjects {
  private constructor(
    private readonly kube: KubeApi,
    private readonly owned: ReadonlyMap<string, KubeObject>,
  ) {}

  /** Lists every kind given (apiVersion, kind) with the owner selector of the context's prefix. */
  static async list(
    context: Pick<PrepareContext, 'kube' | 'limiter' | 'prefix'>,
    kinds: Iterable<{ apiVersion: string; kind: string }>,
    allowedNamespaces: readonly string[],
  ): Promise<LiveObjects> {
    const owned = new Map<string, KubeObject>();
    const namespaces = literalNamespaces(allowedNamespaces);
    const seen = new Set<string>();
    for (const { apiVersion, kind } of kinds) {
      if (seen.has(`${apiVersion}|${kind}`)) continue;
      seen.add(`${apiVersion}|${kind}`);
      let namespaced: boolean;
      try {
        namespaced = await context.limiter.run(() => context.kube.isNamespaced(apiVersion, kind));
      } catch {
        // A kind the server does not serve: each of its objects reports that on its own.
        continue;
      }
      const scopes = namespaced && namespaces !== undefined ? namespaces : [undefined];
      for (const namespace of scopes) {
        const items = await context.limiter.run(() =>
          context.kube.list(
            apiVersion,
            kind,
            ownerSelector(context.prefix),
            namespace === undefined ? {} : { namespace },
          ),
        );
        for (const item of items) owned.set(refKey(refOf(item)), item);
      }
    }
    return new LiveObjects(context.kube, owned);
  }

  /** How many owned objects the lists found. */
  get size(): number {
    return this.owned.size;
  }

  /** The live object, or undefined when there is none. */
  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    return this.owned.get(refKey(ref)) ?? this.kube.get(ref);
  }
}
