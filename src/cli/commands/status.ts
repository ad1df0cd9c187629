import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'yaml';
import { controlTopic, type NodeStatus, statusTopic } from '../../contracts/index.js';
import { ErrorCode, RowkubeError } from '../../core/errors.js';
import {
  checkKafkaAccess,
  createKafka,
  nodeHistory,
  SchemaRegistryClient,
  StatusView,
  toJsonValue,
} from '../../kafka/index.js';
import { readControl } from '../../processor/runner/control-follower.js';
import { loadConfig } from '../load-config.js';
import type { CliRequest } from '../parse-args.js';
import { shutdownSignal } from '../shutdown-signal.js';
import { formRecords, rolloutLines } from '../status/rollout-lines.js';
import { nodeDetail, statusMatches, statusRow, statusTable } from '../status/status-format.js';

export type StatusRequest = Extract<CliRequest, { kind: 'status' }>;

/** How many of a node's latest audit events `rowkube status NODE` shows. */
const HISTORY_EVENTS = 50;

/**
 * `rowkube status [NODE]`: where nodes stand, from `<prefix>.status`, as a
 * table like `kubectl get` (or JSON, YAML); NODE alone: its objects and its
 * history from `<prefix>.audit`. --watch keeps printing changes until
 * interrupted. Brokers and the prefix come from the config file, or from
 * --brokers and --prefix.
 */
export async function statusCommand(request: StatusRequest, out: Writable): Promise<number> {
  const config = request.config ? loadConfig(request.config) : undefined;
  const brokers = config?.kafka.brokers ?? request.brokers ?? [];
  const prefix = config?.kafka.topicPrefix ?? request.prefix ?? 'rowkube';
  if (config !== undefined) await checkKafkaAccess(config.kafka);
  const registryConfig =
    config?.schemaRegistry ?? (request.registry === undefined ? undefined : { url: request.registry });
  const registry = registryConfig === undefined ? undefined : new SchemaRegistryClient(registryConfig);
  const kafka = createKafka({
    ...(config === undefined ? {} : { ssl: config.kafka.ssl, sasl: config.kafka.sasl }),
    brokers,
    clientId: 'rowkube-status',
  });
  const signal = shutdownSignal();
  const view = await StatusView.open({ kafka, prefix, ...(registry ? { registry } : {}), signal });
  try {
    await view.ready();
    const print = (text: string) => write(out, text);
    if (request.node !== undefined) {
      const status = view.get(request.node);
      if (status === undefined && !request.watch) throw unknownNode(request.node, prefix, view.list().length);
      if (status !== undefined) {
        const history = await nodeHistory({
          kafka,
          prefix,
          nodeId: request.node,
          limit: HISTORY_EVENTS,
          ...(registry ? { registry } : {}),
          signal,
        });
        await print(formatNode(request.output, status, history));
      }
    } else {
      const statuses = view.list().filter((s) => statusMatches(s, request));
      await print(formatList(request.output, statuses));
      // A line per form whose rollout is under way, paused or aborted (docs/rollout.md).
      if (request.output === 'table') {
        const records = formRecords(await readControl(kafka, controlTopic(prefix), signal));
        const lines = rolloutLines(records, view.list(), Date.now());
        if (lines.length > 0) await print(`\n${lines.join('\n')}\n`);
      }
    }
    if (request.watch) await watch(view, request, print, signal);
    return 0;
  } finally {
    await view.close();
    registry?.close();
  }
}

/** Prints each change of the nodes asked for until the signal aborts: a table row, a JSON line, a YAML document. */
async function watch(
  view: StatusView,
  request: StatusRequest,
  print: (text: string) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  let chain = Promise.resolve();
  const unsubscribe = view.subscribe((nodeId, status) => {
    if (
      request.node !== undefined
        ? nodeId !== request.node
        : status !== undefined && !statusMatches(status, request)
    )
      return;
    chain = chain.then(() => print(formatChange(request.output, nodeId, status)));
  });
  await new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  unsubscribe();
  await chain;
}

function formatList(output: StatusRequest['output'], statuses: NodeStatus[]): string {
  if (output === 'json') return `${JSON.stringify(toJsonValue(statuses), null, 2)}\n`;
  if (output === 'yaml') return stringify(toJsonValue(statuses));
  return statusTable(statuses, Date.now());
}

function formatNode(
  output: StatusRequest['output'],
  status: NodeStatus,
  history: Parameters<typeof nodeDetail>[1],
): string {
  const both = toJsonValue({ status, history });
  if (output === 'json') return `${JSON.stringify(both, null, 2)}\n`;
  if (output === 'yaml') return stringify(both);
  return nodeDetail(status, history, Date.now());
}

/** One change under --watch; a node removed (its tombstone) prints as state "Gone" / status null. */
function formatChange(
  output: StatusRequest['output'],
  nodeId: string,
  status: NodeStatus | undefined,
): string {
  if (output === 'json') return `${JSON.stringify(toJsonValue({ nodeId, status: status ?? null }))}\n`;
  if (output === 'yaml') return `---\n${stringify(toJsonValue({ nodeId, status: status ?? null }))}`;
  const row = status === undefined ? [nodeId, '', 'Gone', '', '', ''] : statusRow(status, Date.now());
  // Rows line up with the header printed first only roughly, as kubectl get -w's do.
  return `${row.join('   ').trimEnd()}\n`;
}

function unknownNode(nodeId: string, prefix: string, count: number): RowkubeError {
  return new RowkubeError(
    ErrorCode.CONFIG,
    `node '${nodeId}' has no status in '${statusTopic(prefix)}' (${count} node${count === 1 ? '' : 's'} there): ` +
      'node ids are <form>/<uid> as `rowkube status` lists them; a node deleted longer ago than ' +
      'sink.statusDeletedRetentionSeconds is gone from the topic',
  );
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}
