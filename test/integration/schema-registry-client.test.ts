import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, RowkubeError } from '../../src/core/errors.js';
import { SchemaRegistryClient } from '../../src/kafka/registry/registry-client.js';
import { freePort } from '../../support/free-port.js';
import { schemaRegistryEnv, uniqueName } from '../../support/stack-env.js';

// rowkube's registry client against the stack's registry: registration and
// lookup over HTTP and HTTPS, and one clear error per misconfiguration, each
// naming the setting to fix and none showing the password.
const registry = schemaRegistryEnv();
const ca = readFileSync(registry.caFile, 'utf8');
const auth = { username: registry.username, password: registry.password };
const schema = JSON.stringify({
  type: 'record',
  name: 'Probe',
  fields: [{ name: 'id', type: 'long', 'rowkube.column': 'ID' }],
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(RowkubeError);
      expect((error as Error).message).not.toContain(registry.password);
      return error as RowkubeError;
    },
  );

describe('schema registry > client', () => {
  const clients: SchemaRegistryClient[] = [];
  const client = (options: ConstructorParameters<typeof SchemaRegistryClient>[0]) => {
    const made = new SchemaRegistryClient(options);
    clients.push(made);
    return made;
  };
  afterAll(() => {
    for (const made of clients) made.close();
  });

  it('registers once per subject and schema, and reads the schema back by id with its attributes', async () => {
    for (const url of [registry.url, registry.tlsUrl]) {
      const registryClient = client({ url, auth, ssl: { ca, rejectUnauthorized: true } });
      const subject = `${uniqueName('probe')}-value`;
      const id = await registryClient.register(subject, schema);
      expect(await registryClient.register(subject, schema)).toBe(id);
      const text = await registryClient.schemaText(id);
      expect(JSON.parse(text).fields[0]['rowkube.column']).toBe('ID');
    }
  });

  it('a wrong password names schemaRegistry.auth, once', async () => {
    const error = await failure(
      client({ url: registry.url, auth: { ...auth, password: `${registry.password}-wrong` } }).register(
        `${uniqueName('probe')}-value`,
        schema,
      ),
    );
    expect(error.code).toBe(ErrorCode.SCHEMA_REGISTRY);
    expect(error.retriable).toBe(false);
    expect(error.message).toContain('schemaRegistry.auth');
  });

  it('an untrusted certificate names schemaRegistry.ssl.ca', async () => {
    const error = await failure(client({ url: registry.tlsUrl, auth }).schemaText(1));
    expect(error.retriable).toBe(false);
    expect(error.message).toContain('schemaRegistry.ssl.ca');
  });

  it('TLS to the plaintext port names the URL scheme', async () => {
    const plain = new URL(registry.url);
    const error = await failure(
      client({
        url: `https://${plain.host}${plain.pathname}`,
        auth,
        ssl: { ca, rejectUnauthorized: true },
      }).schemaText(1),
    );
    expect(error.retriable).toBe(false);
    expect(error.message).toContain('schemaRegistry.url');
  });

  it('a registry that is not there is retriable: the stages wait it out', async () => {
    const port = await freePort();
    const error = await failure(
      client({ url: `http://127.0.0.1:${port}/apis/ccompat/v7`, auth }).schemaText(1),
    );
    expect(error.code).toBe(ErrorCode.SCHEMA_REGISTRY);
    expect(error.retriable).toBe(true);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('an unknown id is a missing schema', async () => {
    const error = await failure(client({ url: registry.url, auth }).schemaText(2_000_000_000));
    expect(error.code).toBe(ErrorCode.SCHEMA_NOT_FOUND);
  });
});
