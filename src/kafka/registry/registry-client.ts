import http from 'node:http';
import https from 'node:https';
import type { SchemaRegistryConfig } from '../../core/config/schema-registry-schema.js';
import { displayUrl, type RegistryCall, registryHttpError, registryNetworkError } from './registry-errors.js';

// A small client of the Confluent Schema Registry REST API: the two calls
// rowkube needs. Register a schema under a subject (the registry answers with
// the existing id when the subject already has that schema), and fetch a
// schema's text by id. Both are cached for the life of the client: a
// registered id never changes its schema.

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
/** One request; a registry that does not answer in time counts as away (retriable). */
const REQUEST_TIMEOUT_MS = 15_000;

export interface SchemaRegistryClientOptions extends SchemaRegistryConfig {
  /** Per request; default 15 s. */
  timeoutMs?: number;
}

export class SchemaRegistryClient {
  /** The base URL without credentials, for messages. */
  readonly url: string;
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly authorization: string | undefined;
  private readonly ids = new Map<string, Promise<number>>();
  private readonly texts = new Map<number, Promise<string>>();

  constructor(private readonly options: SchemaRegistryClientOptions) {
    this.base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    this.url = displayUrl(options.url);
    const { ssl } = options;
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            rejectUnauthorized: ssl?.rejectUnauthorized ?? true,
            ...(ssl?.ca === undefined ? {} : { ca: ssl.ca }),
            ...(ssl?.cert === undefined ? {} : { cert: ssl.cert }),
            ...(ssl?.key === undefined ? {} : { key: ssl.key }),
            ...(ssl?.servername === undefined ? {} : { servername: ssl.servername }),
          })
        : new http.Agent({ keepAlive: true });
    const { auth } = options;
    this.authorization =
      auth === undefined
        ? undefined
        : `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
  }

  /**
   * The registry's id of `schema` under `subject`, registering it as the
   * subject's next version when it is new. Rejects with
   * ROWKUBE_ERR_SCHEMA_REFUSED when the subject's compatibility setting
   * refuses it (`about` names what the schema is for in that message), and
   * with a retriable ROWKUBE_ERR_SCHEMA_REGISTRY when the registry is away.
   */
  register(subject: string, schema: string, about?: string): Promise<number> {
    const key = `${subject}\n${schema}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      const call: RegistryCall = {
        url: this.url,
        action: `registering a schema under subject '${subject}'`,
        subject,
        ...(about === undefined ? {} : { about }),
      };
      id = this.request<{ id?: unknown }>('POST', `subjects/${encodeURIComponent(subject)}/versions`, call, {
        schema,
      }).then((body) => {
        if (typeof body.id !== 'number') throw registryHttpError(call, 502, 'the answer has no numeric id');
        return body.id;
      });
      // A failure is not cached: the next call asks again.
      id.catch(() => this.ids.delete(key));
      this.ids.set(key, id);
    }
    return id;
  }

  /** The schema text the registry keeps under `id`. */
  schemaText(id: number): Promise<string> {
    let text = this.texts.get(id);
    if (text === undefined) {
      const call: RegistryCall = { url: this.url, action: `reading schema id ${id}` };
      text = this.request<{ schema?: unknown }>('GET', `schemas/ids/${id}`, call).then((body) => {
        if (typeof body.schema !== 'string') throw registryHttpError(call, 502, 'the answer has no schema');
        return body.schema;
      });
      text.catch(() => this.texts.delete(id));
      this.texts.set(id, text);
    }
    return text;
  }

  close(): void {
    this.agent.destroy();
  }

  private request<T>(method: 'GET' | 'POST', path: string, call: RegistryCall, body?: unknown): Promise<T> {
    const url = new URL(path, this.base);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<T>((resolve, reject) => {
      const req = transport.request(
        url,
        {
          method,
          agent: this.agent,
          // Credentials go in the header only; the URL shown in errors has none.
          auth: null,
          headers: {
            accept: CONTENT_TYPE,
            ...(payload === undefined
              ? {}
              : { 'content-type': CONTENT_TYPE, 'content-length': payload.length }),
            ...(this.authorization === undefined ? {} : { authorization: this.authorization }),
          },
          timeout: this.options.timeoutMs ?? REQUEST_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error) => reject(registryNetworkError(call, error)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            let parsed: unknown;
            try {
              parsed = text === '' ? {} : JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            if (status < 200 || status > 299) {
              const message =
                typeof (parsed as { message?: unknown } | undefined)?.message === 'string'
                  ? (parsed as { message: string }).message
                  : text.slice(0, 300);
              reject(registryHttpError(call, status, message));
            } else if (parsed === undefined || typeof parsed !== 'object' || parsed === null) {
              reject(registryHttpError(call, 502, `the answer is not JSON: ${text.slice(0, 100)}`));
            } else {
              resolve(parsed as T);
            }
          });
        },
      );
      req.on('timeout', () => {
        const error = Object.assign(
          new Error(`no answer within ${this.options.timeoutMs ?? REQUEST_TIMEOUT_MS} ms`),
          {
            code: 'ROWKUBE_TIMEOUT',
          },
        );
        req.destroy(error);
      });
      req.on('error', (error) => reject(registryNetworkError(call, error)));
      req.end(payload);
    });
  }
}
