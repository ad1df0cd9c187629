import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { ErrorCode, RowkubeError } from '../../core/errors.js';
import { TokenFile } from '../../core/token-file.js';
import { tokenFileOf } from './token-file.js';

// HTTP to the API server over one pool of kept-alive connections.
//
// Why not the generated client of @kubernetes/client-node 1.4.0: its
// KubeConfig.applySecurityAuthentication builds a new https.Agent (without
// keepAlive) for every request (kubernetes-client/javascript#2893), so each
// apply pays a TCP connect and a TLS handshake and leaves a socket behind —
// at 30,000 applies that dominates. Its typed models also drop fields they do
// not know and turn timestamps into Dates. KubeConfig still does what it is
// good at: reading kubeconfig files and producing credentials.

export interface KubeTransportOptions {
  /**
   * Most connections open to the API server at once; requests beyond it wait
   * for a free connection. Keep it at or above the caller's concurrency.
   * Default 64.
   */
  maxSockets?: number;
  /** A request that sees no activity on its connection for this long fails (retriable). Default 30,000. */
  requestTimeoutMs?: number;
  /** How often a token file (in-cluster credentials) is looked at; for tests. Default 1000 ms. */
  tokenCheckIntervalMs?: number;
}

export const DEFAULT_MAX_SOCKETS = 64;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the server URL, starting with `/api` or `/apis`. */
  path: string;
  /** Query parameters; undefined values are left out. */
  query?: Record<string, string | undefined>;
  /** JSON text. */
  body?: string;
  contentType?: string;
}

export interface KubeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the server sent JSON, the text otherwise ('' for no body). */
  body: unknown;
}

/** A long-lived answer (a watch): its status, and its body as it arrives (2xx) or whole (otherwise). */
export interface KubeStream {
  status: number;
  body: unknown;
  chunks: AsyncIterable<Buffer>;
}

/** The credentials that go with every request, as `KubeConfig` produces them. */
interface Credentials {
  headers: Record<string, string>;
}

/** Connection errors that mean a kept-alive connection was closed by the server just as it was reused. */
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE']);

export class KubeTransport {
  private readonly server: URL;
  private readonly client: typeof http | typeof https;
  private readonly requestTimeoutMs: number;
  /** Created on the first request: KubeConfig produces TLS material asynchronously. */
  private agent: Promise<http.Agent> | undefined;
  /**
   * Watches hold their connection for minutes: they get their own agent so
   * that they never take a slot of the pool the applies share.
   */
  private streamAgent: Promise<http.Agent> | undefined;
  /**
   * Static credentials (certificates, a fixed token) are read once; exec and
   * auth-provider tokens rotate. A token file (in a pod) is followed by
   * tokenFile instead: KubeConfig would rebuild TLS options and an agent for
   * every request to reach it.
   */
  private readonly credentialsRotate: boolean;
  /** In a pod: the service-account token file, followed as the kubelet rotates it. */
  private readonly tokenFile: TokenFile | undefined;
  private staticCredentials: Promise<Credentials> | undefined;
  private closed = false;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly options: KubeTransportOptions = {},
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (cluster === null) {
      throw new RowkubeError(
        ErrorCode.CONFIG,
        `kubeconfig: the current context '${kubeConfig.getCurrentContext()}' names no cluster`,
      );
    }
    this.server = new URL(cluster.server);
    if (this.server.protocol !== 'https:' && this.server.protocol !== 'http:') {
      throw new RowkubeError(
        ErrorCode.CONFIG,
        `kubeconfig: cluster '${cluster.name}' has server '${cluster.server}', which is neither https nor http`,
      );
    }
    this.client = this.server.protocol === 'https:' ? https : http;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const user = kubeConfig.getCurrentUser();
    const tokenFile = tokenFileOf(user);
    this.tokenFile =
      tokenFile === undefined
        ? undefined
        : new TokenFile(tokenFile, { checkIntervalMs: options.tokenCheckIntervalMs });
    this.credentialsRotate = Boolean(user?.exec || user?.authProvider);
  }

  /**
   * Sends one request and reads the whole answer. Resolves for any HTTP
   * status; rejects only when no answer came (refused, reset, timed out,
   * closed), with the underlying error. A request that fails because a
   * kept-alive connection was closed under it is sent once more on a new one;
   * one refused with 401 while a token file is in use, once more if the file
   * then holds another token.
   */
  async request(request: KubeRequest): Promise<KubeResponse> {
    const credentials = await this.credentials();
    const response = await this.sendOnce(request, credentials);
    if (response.status !== 401 || this.tokenFile === undefined) return response;
    // The token may have been rotated and the old one revoked (a bound token's
    // object deleted) before the file looked changed: read it again, and try
    // once more if it holds another token.
    this.tokenFile.invalidate();
    const fresh = await this.credentials();
    if (fresh.headers.authorization === credentials.headers.authorization) return response;
    return this.sendOnce(request, fresh);
  }

  private async sendOnce(request: KubeRequest, credentials: Credentials): Promise<KubeResponse> {
    try {
      return await this.send(request, credentials);
    } catch (error) {
      if (isStaleSocket(error) && !this.closed) return this.send(request, credentials);
      throw error;
    }
  }

  /** Closes every pooled connection; requests in flight fail. */
  close(): void {
    this.closed = true;
    void this.agent?.then((agent) => agent.destroy()).catch(() => undefined);
    void this.streamAgent?.then((agent) => agent.destroy()).catch(() => undefined);
  }

  /**
   * Opens a long-lived GET (a watch) and hands its body over as it arrives,
   * one chunk at a time. Resolves once the status line is in: a non-2xx answer
   * is read whole into `body` and `chunks` is empty. The stream ends when the
   * server closes it, when nothing arrived for `idleTimeoutMs`, or when the
   * signal aborts (then quietly). Same credentials and TLS as `request`.
   */
  async stream(
    request: KubeRequest,
    options: { idleTimeoutMs: number; signal: AbortSignal },
  ): Promise<KubeStream> {
    if (this.closed) throw new Error('the Kubernetes client is closed');
    const credentials = await this.credentials();
    this.streamAgent ??= this.makeAgent({ keepAlive: false });
    const agent = await this.streamAgent;
    const headers = { ...credentials.headers, accept: 'application/json', 'user-agent': 'rowkube' };
    return new Promise<KubeStream>((resolve, reject) => {
      const req = this.client.request(
        this.url(request),
        { method: 'GET', agent, headers, signal: options.signal },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) {
            const parts: Buffer[] = [];
            res.on('data', (chunk: Buffer) => parts.push(chunk));
            res.on('error', reject);
            res.on('end', () => {
              const text = Buffer.concat(parts).toString('utf8');
              resolve({ status, body: parseBody(text, res.headers), chunks: emptyChunks() });
            });
            return;
          }
          resolve({ status, body: '', chunks: res as AsyncIterable<Buffer> });
        },
      );
      req.setTimeout(options.idleTimeoutMs, () => {
        req.destroy(new Error(`watch: nothing arrived within ${options.idleTimeoutMs} ms`));
      });
      req.on('error', reject);
      req.end();
    });
  }

  private async send(request: KubeRequest, credentials: Credentials): Promise<KubeResponse> {
    if (this.closed) throw new Error('the Kubernetes client is closed');
    const agent = await this.sharedAgent();
    const url = this.url(request);
    const headers: Record<string, string> = {
      ...credentials.headers,
      accept: 'application/json',
      'user-agent': 'rowkube',
    };
    if (request.body !== undefined) {
      headers['content-type'] = request.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(request.body));
    }
    return new Promise<KubeResponse>((resolve, reject) => {
      const req = this.client.request(url, { method: request.method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parseBody(text, res.headers) });
        });
      });
      req.setTimeout(this.requestTimeoutMs, () => {
        req.destroy(new Error(`no answer within ${this.requestTimeoutMs} ms`));
      });
      req.on('error', (error: Error & { reusedSocket?: boolean }) => {
        // Only a reused connection can be stale; on a fresh one the error is real.
        if (req.reusedSocket) Object.assign(error, { reusedSocket: true });
        reject(error);
      });
      req.end(request.body);
    });
  }

  private url(request: KubeRequest): URL {
    // The server URL may carry a path (a proxy in front of the API server).
    const base = this.server.pathname.replace(/\/+$/, '');
    const url = new URL(`${base}${request.path}`, this.server);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    return url;
  }

  private sharedAgent(): Promise<http.Agent> {
    this.agent ??= this.makeAgent();
    return this.agent;
  }

  private async makeAgent(options: { keepAlive: boolean } = { keepAlive: true }): Promise<http.Agent> {
    const tls: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(tls);
    const cluster = this.kubeConfig.getCurrentCluster();
    // With a proxy, KubeConfig's own agent knows how to tunnel; it is built
    // once here, so at least the TLS setup is shared.
    if (cluster?.proxyUrl && tls.agent instanceof http.Agent) return tls.agent;
    // TLS material is read once, here: a credential plugin that rotates
    // client certificates (rather than tokens) needs a new client.
    const pool = {
      keepAlive: options.keepAlive,
      maxSockets: options.keepAlive ? (this.options.maxSockets ?? DEFAULT_MAX_SOCKETS) : Infinity,
      // Idle connections stay open this long, then close on their own.
      timeout: 60_000,
    };
    if (this.client === http) return new http.Agent(pool);
    return new https.Agent({
      ...pool,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      pfx: tls.pfx,
      passphrase: tls.passphrase,
      servername: tls.servername,
      ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
    });
  }

  private async credentials(): Promise<Credentials> {
    if (this.tokenFile) return { headers: { authorization: `Bearer ${await this.tokenFile.token()}` } };
    if (this.credentialsRotate) return this.readCredentials();
    this.staticCredentials ??= this.readCredentials();
    return this.staticCredentials;
  }

  private async readCredentials(): Promise<Credentials> {
    const options: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(options);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value !== undefined)
        headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    }
    if (options.auth) headers.authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    // applyToHTTPSOptions also made an agent for these options; ours is shared.
    (options.agent as http.Agent | undefined)?.destroy();
    return { headers };
  }
}

function isStaleSocket(error: unknown): boolean {
  const e = error as { code?: unknown; reusedSocket?: unknown } | undefined;
  return e?.reusedSocket === true && typeof e.code === 'string' && STALE_SOCKET_CODES.has(e.code);
}

function parseBody(text: string, headers: IncomingHttpHeaders): unknown {
  if (text === '') return '';
  if (headers['content-type']?.includes('json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

async function* emptyChunks(): AsyncIterable<Buffer> {}
