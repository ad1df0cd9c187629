import type { Writable } from 'node:stream';
import { controlTopic, encodeControl, releaseKey } from '../../contracts/index.js';
import { ErrorCode, RowkubeError } from '../../core/errors.js';
import { checkKafkaAccess, createKafka, RecordProducer } from '../../kafka/index.js';
import { pendingHolds, readControl } from '../../processor/runner/control-follower.js';
import { loadConfig } from '../load-config.js';
import { shutdownSignal } from '../shutdown-signal.js';

export interface ReleaseRequest {
  config: string;
  hub: string;
  /** How long to wait for the processor to carry the release out; 0 does not wait. */
  waitSeconds: number;
}

/**
 * `rowkube release HUB --config F`: carries out the removals the processor's
 * mass-deletion guard holds for the hub. Writes a release request to
 * `<prefix>._control`; the running processor (or the next one to start)
 * deletes the held nodes that were held before the request, and only those.
 * Waits until it did (--wait-timeout, default 30 s). Exit 0 when released or
 * nothing was held; 1 when the processor did not carry it out in time (the
 * request stays and is carried out when a processor runs).
 */
export async function releaseCommand(
  request: ReleaseRequest,
  out: Writable = process.stdout,
): Promise<number> {
  const config = loadConfig(request.config);
  if (!config.hubs.some((hub) => hub.name === request.hub)) {
    const hubs = config.hubs.map((hub) => hub.name).join(', ') || 'none';
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `release: hub '${request.hub}' is not configured in ${request.config} (hubs: ${hubs})`,
    );
  }
  const signal = shutdownSignal();
  const topic = controlTopic(config.kafka.topicPrefix);
  await checkKafkaAccess(config.kafka);
  const kafka = createKafka({ ...config.kafka });
  const pending = pendingHolds(await readControl(kafka, topic, signal), request.hub);
  if (pending.nodes.length === 0) {
    out.write(`hub ${request.hub}: no deletions are held\n`);
    return 0;
  }
  const producer = await RecordProducer.open(kafka);
  try {
    await producer.send(topic, [
      {
        key: releaseKey(request.hub),
        value: encodeControl({ kind: 'release', hub: request.hub, requestedAtMs: Date.now() }),
      },
    ]);
  } finally {
    await producer.close();
  }
  out.write(
    `hub ${request.hub}: release of ${pending.nodes.length} held deletion(s) requested ` +
      `(source transaction(s) ${pending.txs.join(', ')})\n`,
  );
  if (request.waitSeconds === 0) return 0;
  const deadline = Date.now() + request.waitSeconds * 1_000;
  const asked = new Set(pending.nodes);
  while (!signal.aborted) {
    const held = pendingHolds(await readControl(kafka, topic, signal), request.hub, 'include');
    const left = held.nodes.filter((node) => asked.has(node));
    if (left.length === 0) {
      out.write(`hub ${request.hub}: released; the sink deletes their objects\n`);
      return 0;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  out.write(
    `hub ${request.hub}: the processor has not carried the release out yet; it will when it runs (rowkube process)\n`,
  );
  return 1;
}
