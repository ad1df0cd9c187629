import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { type NodesApi, serveNode } from './nodes-endpoint.js';
import type { ReadinessReport } from './readiness.js';

// The HTTP endpoints a scraper and an orchestrator look at:
//   GET /metrics  Prometheus text exposition
//   GET /healthz  200 while the process serves requests (its event loop turns)
//   GET /readyz   200 once every component started in this process runs,
//                 503 otherwise; the JSON body names each component's state
//   GET /v1/nodes/{id}[?position=P&wait=S]  a node's status; read-your-writes (nodes-endpoint.ts)
//   GET /ui/      the read-only dashboard (ui/ui-routes.ts), with observability.ui

export interface ObservabilityServerOptions {
  host: string;
  /** 0 picks a free port (tests); see ObservabilityServer.port. */
  port: number;
  metrics: { exposition(): Promise<string>; readonly contentType: string };
  readiness: () => ReadinessReport;
  logger: Logger;
  /** The nodes of the pipeline, for /v1/nodes; without it those paths are 404. */
  nodes?: NodesApi;
  /** The dashboard's routes (ui/ui-routes.ts handleUi): true when it answered the path. Absent: no /ui. */
  ui?: (path: string, query: URLSearchParams, response: ServerResponse) => Promise<boolean>;
}

export interface ObservabilityServer {
  /** The port it listens on. */
  readonly port: number;
  close(): Promise<void>;
}

/** Listens; rejects with ROWKUBE_ERR_CONFIG when the address cannot be bound (in use, not local). */
export async function startObservabilityServer(
  options: ObservabilityServerOptions,
): Promise<ObservabilityServer> {
  const server = createServer((request, response) => {
    route(options, request, response).catch((error: unknown) => {
      options.logger.warn({ err: error, path: request.url }, 'observability request failed');
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end('internal error\n');
    });
  });
  // A scraper's kept-alive connection must not hold up the shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new RowkubeError(
          ErrorCode.CONFIG,
          `observability: cannot listen on ${options.host}:${options.port} (${error.code ?? error.message}); ` +
            'set observability.port to a free port, or 0 to turn the server off',
          false,
          { cause: error },
        ),
      );
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  options.logger.info({ host: options.host, port }, 'serving /metrics, /healthz and /readyz');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function route(
  options: ObservabilityServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  if (path.startsWith('/v1/nodes/') && options.nodes !== undefined) {
    await serveNode(options.nodes, url, request, response);
    return;
  }
  if (options.ui !== undefined && (await options.ui(path, url.searchParams, response))) return;
  switch (path) {
    case '/metrics': {
      const body = await options.metrics.exposition();
      response.writeHead(200, { 'content-type': options.metrics.contentType }).end(body);
      return;
    }
    case '/healthz':
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    case '/readyz': {
      const report = options.readiness();
      response
        .writeHead(report.ready ? 200 : 503, { 'content-type': 'application/json' })
        .end(`${JSON.stringify(report)}\n`);
      return;
    }
    default:
      response
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('not found: try /metrics, /healthz or /readyz\n');
  }
}
