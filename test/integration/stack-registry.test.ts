import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { schemaRegistryEnv, uniqueName } from '../../support/stack-env.js';

// Smoke test of the local stack's schema registry (Apicurio Registry, stack
// part `registry`) through its Confluent-compatible API, the API rowkube's
// clients speak: register, read back, list versions, a compatibility rule
// that refuses a schema, HTTPS with the stack CA, and basic authentication.
// Storage is in-memory and shared with other tests: every subject is unique.
const registry = schemaRegistryEnv();
const stackCa = readFileSync(registry.caFile, 'utf8');

interface Reply {
  status: number;
  body: unknown;
}

interface Call {
  method?: string;
  body?: unknown;
  base?: string;
  /** Trusted CAs for HTTPS; default: the stack CA. */
  ca?: string | string[];
  /** Default: the stack's user; `null` sends no Authorization header. */
  auth?: { username: string; password: string } | null;
}

/** One request to the Confluent API at `base` (default: the plain URL). */
function call(path: string, options: Call = {}): Promise<Reply> {
  const url = new URL(`${options.base ?? registry.url}${path}`);
  const auth = options.auth === undefined ? registry : options.auth;
  const headers: Record<string, string> = { accept: 'application/vnd.schemaregistry.v1+json' };
  if (auth)
    headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  if (payload !== undefined) headers['content-type'] = 'application/vnd.schemaregistry.v1+json';
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          // Not JSON (e.g. an error page): keep the text for the assertion message.
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    };
    const request =
      url.protocol === 'https:'
        ? https.request(
            url,
            { method: options.method ?? 'GET', headers, ca: options.ca ?? stackCa },
            onResponse,
          )
        : http.request(url, { method: options.method ?? 'GET', headers }, onResponse);
    request.setTimeout(10_000, () => request.destroy(new Error(`no answer from ${url} in 10 s`)));
    request.on('error', reject);
    request.end(payload);
  });
}

const record = (fields: Record<string, unknown>[]) =>
  JSON.stringify({ type: 'record', name: 'Tenant', namespace: 'rowkube.test', fields });
const v1 = record([{ name: 'id', type: 'string' }]);
const v2 = record([
  { name: 'id', type: 'string' },
  { name: 'plan', type: ['null', 'string'], default: null },
]);
// A required field without a default: readers of this schema cannot read v1
// data, so BACKWARD compatibility refuses it.
const incompatible = record([
  { name: 'id', type: 'string' },
  { name: 'region', type: 'string' },
]);

describe('local stack > schema registry', () => {
  it('registers a schema, reads it back by id and lists the versions', async () => {
    const subject = `${uniqueName('smoke')}-value`;
    const registered = await call(`/subjects/${subject}/versions`, { method: 'POST', body: { schema: v1 } });
    expect(registered.status).toBe(200);
    const { id } = registered.body as { id: number };
    expect(id).toBeGreaterThan(0);

    const byId = await call(`/schemas/ids/${id}`);
    expect(byId.status).toBe(200);
    expect(JSON.parse((byId.body as { schema: string }).schema)).toEqual(JSON.parse(v1));

    // The same schema again is the same id, not a new version.
    const again = await call(`/subjects/${subject}/versions`, { method: 'POST', body: { schema: v1 } });
    expect(again.body).toEqual({ id });

    const second = await call(`/subjects/${subject}/versions`, { method: 'POST', body: { schema: v2 } });
    expect(second.status).toBe(200);
    const versions = await call(`/subjects/${subject}/versions`);
    expect(versions).toEqual({ status: 200, body: [1, 2] });
    const latest = await call(`/subjects/${subject}/versions/latest`);
    expect(latest.body).toMatchObject({ subject, version: 2, id: (second.body as { id: number }).id });
  });

  it('refuses a schema that breaks the subject’s BACKWARD compatibility with 409', async () => {
    const subject = `${uniqueName('compat')}-value`;
    expect(
      (await call(`/subjects/${subject}/versions`, { method: 'POST', body: { schema: v1 } })).status,
    ).toBe(200);
    const set = await call(`/config/${subject}`, { method: 'PUT', body: { compatibility: 'BACKWARD' } });
    expect(set).toMatchObject({ status: 200, body: { compatibility: 'BACKWARD' } });
    expect((await call(`/config/${subject}`)).body).toMatchObject({ compatibilityLevel: 'BACKWARD' });

    const refused = await call(`/subjects/${subject}/versions`, {
      method: 'POST',
      body: { schema: incompatible },
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error_code: 409 });
    // A compatible change still goes in.
    const accepted = await call(`/subjects/${subject}/versions`, { method: 'POST', body: { schema: v2 } });
    expect(accepted.status).toBe(200);
    expect((await call(`/subjects/${subject}/versions`)).body).toEqual([1, 2]);

    // Without the rule the same schema goes in: the refusal above is the rule's.
    const free = `${uniqueName('compat-none')}-value`;
    await call(`/subjects/${free}/versions`, { method: 'POST', body: { schema: v1 } });
    const unruled = await call(`/subjects/${free}/versions`, {
      method: 'POST',
      body: { schema: incompatible },
    });
    expect(unruled.status).toBe(200);
  });

  it('serves the same registry over HTTPS with a certificate of the stack CA', async () => {
    const subject = `${uniqueName('tls')}-value`;
    const registered = await call(`/subjects/${subject}/versions`, {
      method: 'POST',
      body: { schema: v1 },
      base: registry.tlsUrl,
    });
    expect(registered.status).toBe(200);
    // One registry behind both ports: the plain one sees the subject too.
    expect((await call(`/subjects/${subject}/versions`)).body).toEqual([1]);
  });

  it('refuses HTTPS to a client that does not trust the stack CA', async () => {
    // The public roots Node ships with: the stack CA is not among them.
    await expect(
      call('/subjects', { base: registry.tlsUrl, ca: [...rootCertificates] }),
    ).rejects.toMatchObject({
      code: expect.stringMatching(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)$/),
    });
  });

  it('requires the basic-auth user on both ports', async () => {
    for (const base of [registry.url, registry.tlsUrl]) {
      expect((await call('/subjects', { base, auth: null })).status, base).toBe(401);
      const wrong = { username: registry.username, password: `${registry.password}-wrong` };
      expect((await call('/subjects', { base, auth: wrong })).status, base).toBe(401);
      const unknown = { username: 'nobody', password: registry.password };
      expect((await call('/subjects', { base, auth: unknown })).status, base).toBe(401);
      expect((await call('/subjects', { base })).status, base).toBe(200);
    }
  });
});
