import type { ServerResponse } from 'node:http';
import type { DecodedAuditEvent, NodeStatus } from '../../contracts/index.js';
import type { LatencyMinute } from './latency-per-minute.js';
import { BadQuery, filterNodes, parseNodeFilter, summarizeByHub } from './node-filter.js';
import { type HistoryTransaction, historyTransactions } from './node-history-view.js';
import { uiAsset } from './ui-assets.js';
import { nodeRow, statusJson } from './ui-json.js';

// The dashboard's routes on the observability server, all GET and read-only:
//   /ui/                 the page (index.html, app.js, style.css)
//   /ui/api/summary      hubs and forms with node counts by state
//   /ui/api/nodes        the node list: ?state= &form= &hub= &q= (text) &limit=
//   /ui/api/node?id=ID   one node's status and its history from the audit topic
//   /ui/api/latency      COMMIT→applied per minute over the last hour
// The data comes through DashboardData (dashboard-data.ts), so these routes
// are tested without Kafka.

/** Where the status topic's reading stands. */
export interface StatusReading {
  /** The topic was read to its end once: `nodes` is the whole picture. */
  ready: boolean;
  /** Why reading it fails, for people; absent while it goes well. */
  problem?: string;
  nodes: readonly NodeStatus[];
}

export interface DashboardData {
  /** The topic prefix, shown in the page's title. */
  readonly prefix: string;
  /** Every node's status as `<prefix>.status` holds it now. */
  status(): StatusReading;
  /** One node's audit events, oldest first. */
  history(nodeId: string): Promise<readonly DecodedAuditEvent[]>;
  /** Whether this process runs the sink, whose writes feed the latency chart. */
  readonly latencyFed: boolean;
  latency(nowMs: number): LatencyMinute[];
}

/** The node list answers at most this many lines unless `limit` says otherwise; the counts cover all. */
const DEFAULT_LIMIT = 500;
const MAX_LIMIT = 10_000;

/** Handles `path` when it is the dashboard's (under /ui); false for any other path. */
export async function handleUi(
  data: DashboardData,
  path: string,
  query: URLSearchParams,
  response: ServerResponse,
): Promise<boolean> {
  if (path !== '/ui' && !path.startsWith('/ui/')) return false;
  if (path === '/ui') {
    response.writeHead(308, { location: '/ui/' }).end();
    return true;
  }
  const name = path.slice('/ui/'.length);
  if (name.startsWith('api/')) {
    try {
      const body = await api(data, name.slice('api/'.length), query);
      if (body === undefined) json(response, 404, { error: `no dashboard API at ${path}` });
      else json(response, body.status ?? 200, body.json);
    } catch (error) {
      if (!(error instanceof BadQuery)) throw error;
      json(response, 400, { error: error.message });
    }
    return true;
  }
  const asset = uiAsset(name);
  if (asset === undefined) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: the dashboard is at /ui/\n`);
    return true;
  }
  response
    .writeHead(200, {
      'content-type': asset.contentType,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      // The page loads nothing but its own files and its own API.
      'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    })
    .end(asset.body);
  return true;
}

interface ApiAnswer {
  status?: number;
  json: unknown;
}

async function api(
  data: DashboardData,
  name: string,
  query: URLSearchParams,
): Promise<ApiAnswer | undefined> {
  const now = Date.now();
  switch (name) {
    case 'summary': {
      const reading = data.status();
      return {
        json: {
          prefix: data.prefix,
          generatedAtMs: now,
          ...readingState(reading),
          total: reading.nodes.length,
          hubs: summarizeByHub(reading.nodes),
        },
      };
    }
    case 'nodes': {
      const filter = parseNodeFilter(query);
      const limit = parseLimit(query.get('limit'));
      const reading = data.status();
      const matched = filterNodes(reading.nodes, filter);
      return {
        json: {
          generatedAtMs: now,
          ...readingState(reading),
          total: reading.nodes.length,
          matched: matched.length,
          nodes: matched.slice(0, limit).map(nodeRow),
        },
      };
    }
    case 'node': {
      const id = query.get('id') ?? '';
      if (id === '') throw new BadQuery('the query parameter id (the node id, form/uid) is missing');
      const node = data.status().nodes.find((candidate) => candidate.nodeId === id);
      // The status alone is worth showing when the audit topic cannot be read.
      let history: HistoryTransaction[] = [];
      let historyProblem: string | undefined;
      try {
        history = historyTransactions(await data.history(id));
      } catch (error) {
        historyProblem = `the history cannot be read: ${(error as Error).message}`;
      }
      if (node === undefined && history.length === 0 && historyProblem === undefined)
        return { status: 404, json: { error: `no node ${id} in the status topic nor in the audit topic` } };
      return {
        json: {
          generatedAtMs: now,
          node: node === undefined ? null : statusJson(node),
          history,
          ...(historyProblem === undefined ? {} : { historyProblem }),
        },
      };
    }
    case 'latency':
      return { json: { generatedAtMs: now, fed: data.latencyFed, minutes: data.latency(now) } };
    default:
      return undefined;
  }
}

function readingState(reading: StatusReading): { ready: boolean; problem?: string } {
  return reading.problem === undefined
    ? { ready: reading.ready }
    : { ready: reading.ready, problem: reading.problem };
}

function parseLimit(text: string | null): number {
  if (text === null || text === '') return DEFAULT_LIMIT;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    throw new BadQuery(
      `the query parameter limit=${JSON.stringify(text)} must be a whole number from 1 to ${MAX_LIMIT}`,
    );
  return limit;
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(`${JSON.stringify(body)}\n`);
}
