import type { Writable } from 'node:stream';
import { checkKafkaAccess, SchemaRegistryClient, tailToStream } from '../../kafka/index.js';
import { loadConfig } from '../load-config.js';
import type { CliRequest } from '../parse-args.js';
import { shutdownSignal } from '../shutdown-signal.js';

export type TailRequest = Extract<CliRequest, { kind: 'tail' }>;

/**
 * `rowkube tail TOPIC`: decoded records as JSON lines on stdout. Brokers and
 * the topic prefix (whose `_schemas` topic decodes the records) come from the
 * config file, or from --brokers with the prefix read off the topic's name.
 * Without --follow it prints the records the topic holds and exits; with it,
 * the records that arrive from now on (add --from-beginning for both).
 */
export async function tailCommand(request: TailRequest, out: Writable): Promise<number> {
  const config = request.config ? loadConfig(request.config) : undefined;
  const brokers = config?.kafka.brokers ?? request.brokers ?? [];
  const prefix = config?.kafka.topicPrefix ?? request.topic.split('.')[0] ?? 'rowkube';
  if (config !== undefined) await checkKafkaAccess(config.kafka);
  const registryConfig =
    config?.schemaRegistry ?? (request.registry === undefined ? undefined : { url: request.registry });
  const registry = registryConfig === undefined ? undefined : new SchemaRegistryClient(registryConfig);
  try {
    return await tail(request, out, brokers, prefix, config, registry);
  } finally {
    registry?.close();
  }
}

async function tail(
  request: TailRequest,
  out: Writable,
  brokers: readonly string[],
  prefix: string,
  config: ReturnType<typeof loadConfig> | undefined,
  registry: SchemaRegistryClient | undefined,
): Promise<number> {
  await tailToStream({
    brokers,
    ...(config === undefined ? {} : { security: { ssl: config.kafka.ssl, sasl: config.kafka.sasl } }),
    topic: request.topic,
    prefix,
    ...(registry === undefined ? {} : { registry }),
    // Without --follow, tail prints what the topic holds; with it, what comes next.
    fromBeginning: request.fromBeginning || !request.follow,
    follow: request.follow,
    ...(request.limit !== undefined ? { limit: request.limit } : {}),
    signal: shutdownSignal(),
    out,
  });
  return 0;
}
