import type { RowkubeConfig } from '../core/config/config-schema.js';
import { ErrorCode, RowkubeError } from '../core/errors.js';
import type { Kafka } from '../kafka/index.js';
import type { KubeApi } from '../sink/kube/index.js';
import { namespaceMatcher } from '../sink/ownership/index.js';
import { RequestLimiter } from '../sink/runner/request-limiter.js';
import { LiveObjects } from './live-objects.js';
import { planNode } from './node-plan.js';
import { type NodeTarget, nodeTargets } from './node-renders.js';
import type { NodePlan, PlanResult } from './plan-types.js';
import { readPlanState } from './read-state.js';

// `rowkube plan`: the state in the topics, rendered with the new
// configuration, diffed against the live cluster by server-side dry runs.
// Writes nothing: Kafka is read without committing offsets, the cluster only
// gets GETs and dryRun=All applies.

export interface RunPlanOptions {
  /** The NEW configuration, validated. */
  config: RowkubeConfig;
  configFile: string;
  kafka: Kafka;
  kube: KubeApi;
  signal: AbortSignal;
  /** Plan this node only (`<form>/<uid>`); every node when absent. */
  node?: string;
  /** A line of progress every few seconds (the CLI prints it on stderr). */
  onProgress?: (line: string) => void;
  /** Between two progress lines, ms. Default 2,000. */
  progressIntervalMs?: number;
}

/** The plan of every node (or the one asked for); partial when the signal stopped it (the caller checks). */
export async function runPlan(options: RunPlanOptions): Promise<PlanResult> {
  const { config, kafka, kube, signal } = options;
  const prefix = config.kafka.topicPrefix;
  const state = await readPlanState({
    config,
    kafka,
    signal,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  let targets = nodeTargets(config, state.materializer, state.desired);
  if (options.node !== undefined) {
    targets = targets.filter((target) => target.id === options.node);
    if (targets.length === 0)
      throw new RowkubeError(
        ErrorCode.CONFIG,
        `node '${options.node}' is neither rendered by the configuration nor held by '${prefix}.desired': node ids are <form>/<uid>`,
      );
  }
  // The sink's own limit on requests in flight (kubernetes.concurrency), so a
  // plan loads the API server no more than the sink does.
  const base = { kube, limiter: new RequestLimiter(config.kubernetes.concurrency), prefix };
  const kinds = kindsOf(targets);
  const live = await LiveObjects.list(base, kinds, config.kubernetes.allowedNamespaces);
  options.onProgress?.(
    `listed ${live.size} live objects of ${kinds.length} kinds; planning ${targets.length} nodes`,
  );
  const context = {
    ...base,
    live,
    fieldManager: config.kubernetes.fieldManager,
    namespaceAllowed: namespaceMatcher(config.kubernetes.allowedNamespaces),
  };
  const nodes: NodePlan[] = [];
  let done = 0;
  const started = Date.now();
  const interval = options.progressIntervalMs ?? 2_000;
  const timer =
    options.onProgress === undefined
      ? undefined
      : setInterval(() => {
          const seconds = ((Date.now() - started) / 1_000).toFixed(0);
          options.onProgress?.(`planned ${done} of ${targets.length} nodes (${seconds} s)`);
        }, interval);
  try {
    // Enough nodes in flight to keep the limiter's slots busy; the limiter bounds the requests.
    let next = 0;
    const worker = async () => {
      while (next < targets.length && !signal.aborted) {
        const target = targets[next++];
        if (target === undefined) break;
        const plan = await planNode(context, target);
        if (plan !== undefined) nodes.push(plan);
        done += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, config.kubernetes.concurrency) }, worker));
  } finally {
    if (timer !== undefined) clearInterval(timer);
  }
  nodes.sort((a, b) => a.id.localeCompare(b.id));
  return {
    configFile: options.configFile,
    prefix,
    read: { changeRecords: state.changeRecords, desiredNodes: state.desired.latest.size },
    nodes,
  };
}

/** The kinds of every object the targets render now or their records name. */
function kindsOf(targets: readonly NodeTarget[]): { apiVersion: string; kind: string }[] {
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const target of targets) {
    const resources = [
      ...(target.next.kind === 'node' ? target.next.value.resources : []),
      ...(target.current?.resources ?? []),
    ];
    for (const resource of resources) {
      const { apiVersion, kind } = JSON.parse(resource.manifest) as { apiVersion?: unknown; kind?: unknown };
      if (typeof apiVersion === 'string' && typeof kind === 'string')
        kinds.set(`${apiVersion}|${kind}`, { apiVersion, kind });
    }
  }
  return [...kinds.values()];
}
