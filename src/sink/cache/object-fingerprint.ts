import * as crypto from 'node:crypto';
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
  return sha1Base64(stableJson(kept));
}

/** crypto.hash (Node 20.12+): a one-shot digest at half a Hash object's cost; older Node 20 takes the object. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64') => string }).hash;

function sha1Base64(text: string): string {
  return oneShot === undefined
    ? crypto.createHash('sha1').update(text).digest('base64')
    : oneShot('sha1', text, 'base64');
}

function isKubernetesAnnotation(key: string): boolean {
  const slash = key.indexOf('/');
  return slash > 0 && key.slice(0, slash).endsWith('kubernetes.io');
}

function stableJson(value: unknown): string {
  // Loops and appends rather than entries/sort/map/join: every watch event
  // and every applied object is fingerprinted, a visible share of a bulk's
  // CPU profile. The text is the same as before (fingerprints compare).
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) text += ',';
      text += stableJson(value[i]);
    }
    return `${text}]`;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    let text = '{';
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      if (i > 0) text += ',';
      text += `${JSON.stringify(key)}:${stableJson(record[key])}`;
    }
    return `${text}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
