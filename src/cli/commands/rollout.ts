import type { Writable } from 'node:stream';
import {
  controlTopic,
  encodeControl,
  type FormRecord,
  type RolloutRequestRecord,
  rolloutKey,
} from '../../contracts/index.js';
import { ErrorCode, RowkubeError } from '../../core/errors.js';
import {
  checkKafkaAccess,
  createKafka,
  type Kafka,
  RecordProducer,
  SchemaRegistryClient,
  StatusView,
} from '../../kafka/index.js';
import { readControl } from '../../processor/runner/control-follower.js';
import { loadConfig } from '../load-config.js';
import type { CliRequest } from '../parse-args.js';
import { shutdownSignal } from '../shutdown-signal.js';
import { formRecords, reportedPhases, rolloutLine } from '../status/rollout-lines.js';

export type RolloutRequest = Extract<CliRequest, { kind: 'rollout' }>;

/** Exit code of `rollout status` for a paused or aborted rollout: a script sees it needs a person. */
export const ROLLOUT_STOPPED_EXIT = 3;

/**
 * `rowkube rollout status|resume|abort FORM --config F` (docs/rollout.md).
 *   status  prints the form's versions, its rollout's state and its nodes by
 *           phase; exit 0 rolling or complete, 3 paused or aborted.
 *   resume  a paused rollout admits nodes again (its failure count restarts).
 *   abort   the nodes already changed go back to the previous version; new
 *           rows use it too, until the configuration brings another version.
 * resume and abort write a request to `<prefix>._control`, which the running
 * processor (or the next one to start) carries out once; they wait for it
 * (--wait-timeout, default 30 s): exit 0 carried out, 1 not yet (the request
 * stays and is carried out when a processor runs).
 */
export async function rolloutCommand(
  request: RolloutRequest,
  out: Writable = process.stdout,
): Promise<number> {
  const config = loadConfig(request.config);
  const form = config.forms.find((candidate) => candidate.name === request.form);
  if (form === undefined) {
    const forms = config.forms.map((f) => f.name).join(', ') || 'none';
    throw new RowkubeError(
      ErrorCode.CONFIG,
      `rollout: form '${request.form}' is not configured in ${request.config} (forms: ${forms})`,
    );
  }
  const signal = shutdownSignal();
  const topic = controlTopic(config.kafka.topicPrefix);
  await checkKafkaAccess(config.kafka);
  const kafka = createKafka({ ...config.kafka });
  const record = formRecords(await readControl(kafka, topic, signal)).get(form.name);
  if (record === undefined) {
    out.write(`form ${form.name}: no version recorded yet (the processor records it when it starts)\n`);
    return request.action === 'status' ? 0 : 1;
  }
  if (request.action === 'status') {
    out.write(`${await statusLine(kafka, config, record)}\n`);
    if (record.reason !== '') out.write(`  ${record.reason}\n`);
    return record.state === 'paused' || record.state === 'aborted' ? ROLLOUT_STOPPED_EXIT : 0;
  }
  const applies =
    request.action === 'resume'
      ? record.state === 'paused'
      : record.state === 'rolling' || record.state === 'paused';
  if (!applies) {
    out.write(`form ${form.name}: the rollout is ${record.state}: nothing to ${request.action}\n`);
    return 0;
  }
  const producer = await RecordProducer.open(kafka);
  try {
    const value: RolloutRequestRecord = {
      kind: 'rollout-request',
      form: form.name,
      action: request.action,
      requestedAtMs: Date.now(),
    };
    await producer.send(topic, [{ key: rolloutKey(form.name), value: encodeControl(value) }]);
  } finally {
    await producer.close();
  }
  out.write(`form ${form.name}: ${request.action} requested\n`);
  if (request.waitSeconds === 0) return 0;
  const wanted = request.action === 'resume' ? 'rolling' : 'aborted';
  const deadline = Date.now() + request.waitSeconds * 1_000;
  while (!signal.aborted) {
    const now = formRecords(await readControl(kafka, topic, signal)).get(form.name);
    if (
      now !== undefined &&
      now.state !== record.state &&
      (now.state === wanted || now.state === 'complete')
    ) {
      out.write(`form ${form.name}: ${now.state}: ${now.reason}\n`);
      return 0;
    }
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  out.write(
    `form ${form.name}: the processor has not carried the ${request.action} out yet; it will when it runs (rowkube process)\n`,
  );
  return 1;
}

async function statusLine(
  kafka: Kafka,
  config: ReturnType<typeof loadConfig>,
  record: FormRecord,
): Promise<string> {
  const registry =
    config.schemaRegistry === undefined ? undefined : new SchemaRegistryClient(config.schemaRegistry);
  const view = await StatusView.open({
    kafka,
    prefix: config.kafka.topicPrefix,
    ...(registry ? { registry } : {}),
    waitForTopic: true,
  });
  try {
    await view.ready();
    return rolloutLine(record, reportedPhases(view.list(), record), Date.now());
  } finally {
    await view.close();
    registry?.close();
  }
}
