import type { IncomingMessage, ServerResponse } from 'node:http';
import { type NodeStatus, nodeStatusJson, type WaitOutcome, waitOutcomeJson } from '../contracts/index.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import { parseWantedPosition } from '../core/wanted-position.js';

// GET /v1/nodes/{id}                       the node's status (200), or 404
// GET /v1/nodes/{id}?position=P[&wait=S]   read-your-writes: 200 with the status once the node is
//                                          Ready at or after P; 409 when it failed there, 504 when
//                                          S seconds passed first, 404 when no row renders it, 400
//                                          for a bad position (docs/read-your-writes.md)
// The node id is `<form>/<uid>`: its slash may stay as is or be sent as %2F.

/**
 * What the endpoint needs of the pipeline: a port, so observability does not
 * import the read-your-writes machinery of src/status (PipelineNodes there
 * implements it; src/app passes it in).
 */
export interface NodesApi {
  status(nodeId: string): Promise<NodeStatus | undefined>;
  wait(nodeId: string, position: string, timeoutMs: number, signal: AbortSignal): Promise<WaitOutcome>;
}

/** The longest wait one request may ask for. */
export const MAX_WAIT_SECONDS = 300;

const STATUS_OF: Record<WaitOutcome['kind'], number> = {
  ready: 200,
  failed: 409,
  timeout: 504,
  'not-found': 404,
};

/** Answers a request under /v1/nodes/. */
export async function serveNode(
  api: NodesApi,
  url: URL,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const nodeId = decodeURIComponent(url.pathname.slice('/v1/nodes/'.length));
  const send = (code: number, body: unknown): void => {
    response.writeHead(code, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
  };
  if (nodeId === '') return send(404, { error: 'give a node id: /v1/nodes/<form>/<uid>' });
  const position = url.searchParams.get('position');
  if (position === null) {
    const status = await api.status(nodeId);
    return status === undefined
      ? send(404, { node: nodeId, error: `node ${nodeId} has no status` })
      : send(200, nodeStatusJson(status));
  }
  const waitText = url.searchParams.get('wait') ?? '0';
  const seconds = Number(waitText);
  if (waitText.trim() === '' || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_WAIT_SECONDS) {
    return send(400, {
      node: nodeId,
      error: `the wait query parameter wants seconds from 0 to ${MAX_WAIT_SECONDS}, got '${waitText}'`,
    });
  }
  try {
    parseWantedPosition(position, 'the position query parameter');
  } catch (error) {
    return send(400, { node: nodeId, error: (error as Error).message });
  }
  // A client that hangs up stops its wait.
  const gone = new AbortController();
  request.once('close', () => gone.abort());
  response.once('close', () => gone.abort());
  try {
    const outcome = await api.wait(nodeId, position, seconds * 1000, gone.signal);
    if (gone.signal.aborted && outcome.kind === 'timeout') return;
    send(STATUS_OF[outcome.kind], waitOutcomeJson(nodeId, outcome));
  } catch (error) {
    if (error instanceof RowkubeError && error.code === ErrorCode.POSITION)
      return send(400, { node: nodeId, error: error.message });
    if (error instanceof RowkubeError && error.code === ErrorCode.CONFIG)
      return send(404, { node: nodeId, error: error.message });
    throw error;
  }
}
