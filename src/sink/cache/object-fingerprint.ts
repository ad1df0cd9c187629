import { createHash } from 'node:crypto';
import type { KubeObject } from '../kube/index.js';
import { withoutFields } from '../ownership/index.js';

// What counts as an object's content for drift: everything but its status and
// the bookkeeping the server keeps in metadata. Labels and annotations count,
// except annotations under a *kubernetes.io/ domain, which Kubernetes'
// own controllers write (deployment.kubernetes.io/revision, …): a rollout is
// not drift; nor are a resource's ignoreFields, which others may change.
// Hashed, so that remembering it per object stays small.

export function fingerprint(object: KubeObject, ignoreFields: readonly string[] = []): string {
  const {
    metadata,
    status: _status,
    ...content
  } = withoutFields(object, ignoreFields) as KubeObject & {
    status?: unknown;
  };
  const annotations = Object.fromEntries(
    Object.entries(metadata.annotations ?? {}).filter(([key]) => !isKubernetesAnnotation(key)),
  );
  const kept = { ...content, labels: metadata.labels ?? {}, annotations };
  return createHash('sha1').update(stableJson(kept)).digest('base64');
}

function isKubernetesAnnotation(key: string): boolean {
  const slash = key.indexOf('/');
  return slash > 0 && key.slice(0, slash).endsWith('kubernetes.io');
}

function stableJson(value: unknown): string {
  // Loops appending to one string, not map/sort/join over entries: every
  // object of a start-up's LIST goes through here (300,000 for 100,000 nodes).
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) text += (i === 0 ? '' : ',') + stableJson(value[i]);
    return `${text}]`;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    let text = '{';
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      text += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${stableJson(record[key])}`;
    }
    return `${text}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
