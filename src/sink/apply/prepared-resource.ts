import type { DesiredResourceValue, DesiredValue } from '../../contracts/index.js';
import { ErrorCode, RowkubeError } from '../../core/errors.js';
import type { KubeObject, ObjectRef } from '../kube/index.js';
import { refOf } from '../kube/index.js';
import { type Manifest, ownedManifest } from '../ownership/index.js';
import type { SinkContext } from './sink-context.js';

// A desired resource made ready to send: its manifest parsed, marked as
// rowkube's (owner labels, provenance), placed in its target namespace, and
// checked against allowedNamespaces.

export interface PreparedResource {
  resource: DesiredResourceValue;
  /** The node's form, for messages that name the setting to change. */
  form: string;
  object: KubeObject;
  ref: ObjectRef;
}

/** What preparing needs of the sink's context (`rowkube plan` prepares objects the same way). */
export type PrepareContext = Pick<SinkContext, 'kube' | 'limiter' | 'prefix' | 'namespaceAllowed'>;

export async function prepareResource(
  context: PrepareContext,
  node: DesiredValue,
  resource: DesiredResourceValue,
): Promise<PreparedResource> {
  const manifest = JSON.parse(resource.manifest) as Manifest;
  const { apiVersion, kind } = manifest as { apiVersion: string; kind: string };
  const namespaced = await context.limiter.run(() => context.kube.isNamespaced(apiVersion, kind));
  const object = ownedManifest(
    manifest,
    { prefix: context.prefix, hub: node.hub, form: node.form, nodeId: node.id, resourceId: resource.id },
    node.provenance,
    {
      namespaced,
      targetNamespace: resource.targetNamespace,
      deletionPolicy: resource.deletionPolicy === 'Retain' ? 'Retain' : 'Delete',
      formVersion: node.formVersion ?? null,
    },
  ) as KubeObject;
  const ref = refOf(object);
  checkNamespace(context, ref, namespaced);
  return { resource, form: node.form, object, ref };
}

/** A Namespace is checked by its own name: creating it is writing to it. */
export function checkNamespace(
  context: Pick<SinkContext, 'namespaceAllowed'>,
  ref: ObjectRef,
  namespaced: boolean,
): void {
  const namespace = ref.kind === 'Namespace' && ref.apiVersion === 'v1' ? ref.name : ref.namespace;
  if (!namespaced && namespace === undefined) return;
  if (namespace !== undefined && context.namespaceAllowed(namespace)) return;
  throw new RowkubeError(
    ErrorCode.FORBIDDEN_NAMESPACE,
    `${ref.kind}/${namespace ?? '(no namespace)'}/${ref.name}: namespace ${JSON.stringify(namespace ?? '')} is not in kubernetes.allowedNamespaces`,
  );
}
