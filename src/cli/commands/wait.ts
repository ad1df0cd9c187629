import type { Writable } from 'node:stream';
import { waitOutcomeJson } from '../../contracts/index.js';
import type { RowkubeConfig } from '../../core/config/config-schema.js';
import { ErrorCode, RowkubeError } from '../../core/errors.js';
import { parseWantedPosition } from '../../core/wanted-position.js';
import {
  checkKafkaAccess,
  createKafka,
  registryClientFor,
  StatusView,
  wireFormatFor,
} from '../../kafka/index.js';
import { NodeWaiter, nodeOrigin } from '../../status/index.js';
import { loadConfig } from '../load-config.js';
import type { CliRequest } from '../parse-args.js';
import { shutdownSignal } from '../shutdown-signal.js';

export type WaitRequest = Extract<CliRequest, { kind: 'wait' }>;

/** `rowkube wait`'s exit codes (docs/read-your-writes.md). */
export const WAIT_EXIT = {
  /** The node is Ready at or after the position. */
  ready: 0,
  /** The node is Failed, Conflict, Skipped or Deleted at or after the position: the reason is printed. */
  failed: 1,
  /** A bad command line or position (ROWKUBE_ERR_POSITION), or a node of no configured form. */
  usage: 2,
  /** The timeout passed before the node reflected the position. */
  timeout: 3,
  /** Every change up to the position is handled and the node has no status: no row renders it. */
  notFound: 4,
  /** rowkube could not wait: Kafka or the status topic could not be read (the message says why). */
  error: 5,
} as const;

/**
 * `rowkube wait NODE --position P [--timeout S] [-o json]`: until NODE
 * reflects the transaction committed at P. Prints one line (or the outcome as
 * JSON) and exits with WAIT_EXIT.
 */
export async function waitCommand(request: WaitRequest, out: Writable, err: Writable): Promise<number> {
  const config = loadConfig(request.config);
  try {
    parseWantedPosition(request.position, '--position');
    nodeOrigin(config, request.node);
  } catch (error) {
    if (error instanceof RowkubeError) {
      err.write(`rowkube: ${error.message}\n`);
      return WAIT_EXIT.usage;
    }
    throw error;
  }
  try {
    return await waitFor(request, config, out, err);
  } catch (error) {
    if (!(error instanceof RowkubeError)) throw error;
    err.write(`rowkube: ${error.message}\n`);
    return error.code === ErrorCode.POSITION || error.code === ErrorCode.CONFIG
      ? WAIT_EXIT.usage
      : WAIT_EXIT.error;
  }
}

async function waitFor(
  request: WaitRequest,
  config: RowkubeConfig,
  out: Writable,
  err: Writable,
): Promise<number> {
  await checkKafkaAccess(config.kafka);
  const signal = shutdownSignal();
  const kafka = createKafka({ ...config.kafka });
  const registry = registryClientFor(config.schemaRegistry);
  const wire = wireFormatFor(config.kafka.topicPrefix, registry);
  const started = Date.now();
  const view = await StatusView.open({ kafka, prefix: config.kafka.topicPrefix, wire, signal });
  const waiter = new NodeWaiter({ config, kafka, view, wire });
  try {
    await view.ready();
    const outcome = await waiter.wait(request.node, request.position, request.timeoutSeconds * 1000, signal);
    const seconds = ((Date.now() - started) / 1000).toFixed(2);
    if (request.json) out.write(`${JSON.stringify(waitOutcomeJson(request.node, outcome))}\n`);
    switch (outcome.kind) {
      case 'ready':
        if (!request.json)
          out.write(
            `${request.node} is Ready at ${outcome.status.position ?? 'no position'} (waited ${seconds} s)\n`,
          );
        return WAIT_EXIT.ready;
      case 'failed':
        err.write(`rowkube: ${outcome.reason}\n`);
        return WAIT_EXIT.failed;
      case 'timeout':
        err.write(`rowkube: timed out: ${outcome.reason}\n`);
        return WAIT_EXIT.timeout;
      case 'not-found':
        err.write(`rowkube: ${outcome.reason}\n`);
        return WAIT_EXIT.notFound;
    }
    return WAIT_EXIT.failed;
  } finally {
    await waiter.close();
    await view.close();
    registry?.close();
  }
}
