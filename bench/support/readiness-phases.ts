import { performance } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { startPipeline } from '../../src/app/start-pipeline.js';
import type { RowkubeConfig } from '../../src/core/config/config-schema.js';
import type { KubeClient, KubeObject } from '../../src/sink/kube/index.js';
import { ownerSelector } from '../../src/sink/ownership/index.js';
import { type LatencySummary, summarize } from '../../support/percentiles.js';
import { stopPipeline } from './pipeline-stop.js';
import { deployment } from './readiness-config.js';
import { round2 } from './report.js';
import { isAvailable, WatchedKind } from './watched-kind.js';

// bench:readiness's three phases: the cluster's own floor (the Deployments
// created directly, until all are Available), the sink's readiness-gated bulk
// (until every Ingress, which waits for its Deployment, exists) and the undo
// of manual edits (an edit by another field manager until the watch shows it
// set back).

const FLOOR_LABEL = 'rowkube.io/bench-floor';

export interface FloorReadyFigures {
  deployments: number;
  /** First apply → every Deployment exists. */
  createdSeconds: number;
  /** First apply → every Deployment is Available. */
  availableSeconds: number;
}

export async function benchReadyFloor(
  kube: KubeClient,
  options: { namespace: string; count: number; concurrency: number; run: string; timeoutMs: number },
): Promise<FloorReadyFigures> {
  const labels = { [FLOOR_LABEL]: options.run };
  const watched = await WatchedKind.open(kube, 'apps/v1', 'Deployment', `${FLOOR_LABEL}=${options.run}`);
  try {
    const objects = Array.from({ length: options.count }, (_, i) => {
      const object = deployment(options.namespace, { app: `web-${i}` }) as KubeObject;
      object.metadata = { ...object.metadata, name: `web-${i}`, labels };
      return object;
    });
    await kube.isNamespaced('apps/v1', 'Deployment');
    const t0 = performance.now();
    const available = watched.until(
      'every floor Deployment Available',
      { count: options.count, matches: isAvailable },
      options.timeoutMs,
    );
    let next = 0;
    const worker = async () => {
      while (next < objects.length) {
        const object = objects[next++] as KubeObject;
        await kube.apply(object, { fieldManager: 'rowkube-bench-floor', force: true });
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, objects.length) }, worker));
    const created = performance.now();
    const availableAt = await available;
    return {
      deployments: options.count,
      createdSeconds: round2((created - t0) / 1000),
      availableSeconds: round2((availableAt - t0) / 1000),
    };
  } finally {
    watched.close();
  }
}

export interface SinkReadyFigures {
  tenants: number;
  /** The sink started → every Deployment Available (as the watch shows it). */
  deploymentsAvailableSeconds: number;
  /** The sink started → every Ingress exists: each was applied after its Deployment was seen ready. */
  ingressesSeconds: number;
}

/**
 * Runs the sink on the backlog already written and, while it runs, `during`
 * (the drift phase), so it is started once; returns both results.
 */
export async function benchReadySink<T>(options: {
  config: RowkubeConfig;
  kafka: Kafka;
  kube: KubeClient;
  logger: Logger;
  tenants: number;
  timeoutMs: number;
  during: () => Promise<T>;
}): Promise<{ sink: SinkReadyFigures; during: T }> {
  const { config, kube, tenants } = options;
  const selector = ownerSelector(config.kafka.topicPrefix);
  const ingresses = await WatchedKind.open(kube, 'networking.k8s.io/v1', 'Ingress', selector);
  const deployments = await WatchedKind.open(kube, 'apps/v1', 'Deployment', selector);
  const t0 = performance.now();
  const pipeline = startPipeline(config, { stages: ['apply'], kube, logger: options.logger, metrics: false });
  try {
    const [availableAt, ingressesAt] = await Promise.race([
      Promise.all([
        deployments.until(
          'every tenant Deployment Available',
          { count: tenants, matches: isAvailable },
          options.timeoutMs,
        ),
        ingresses.until(
          'every tenant Ingress created',
          { count: tenants, matches: () => true },
          options.timeoutMs,
        ),
      ]),
      pipeline.failed,
    ]);
    const sink = {
      tenants,
      deploymentsAvailableSeconds: round2((availableAt - t0) / 1000),
      ingressesSeconds: round2((ingressesAt - t0) / 1000),
    };
    return { sink, during: await options.during() };
  } finally {
    ingresses.close();
    deployments.close();
    await stopPipeline(pipeline, {
      kafka: options.kafka,
      prefix: config.kafka.topicPrefix,
      logger: options.logger,
    });
  }
}

export interface UndoFigures {
  edits: number;
  /** Before the edit request → the watch event with the value set back. */
  undoMs: LatencySummary;
}

/** Edits each tenant's ConfigMap as another field manager, one at a time, and times until it is set back. */
export async function benchUndo(
  kube: KubeClient,
  options: { prefix: string; namespaces: readonly string[]; timeoutMs: number },
): Promise<UndoFigures> {
  const watched = await WatchedKind.open(kube, 'v1', 'ConfigMap', ownerSelector(options.prefix));
  const samples: number[] = [];
  try {
    for (const namespace of options.namespaces) {
      const t0 = performance.now();
      const edited = await kube.apply(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'web-config', namespace },
          data: { mode: 'hand-edited' },
        },
        { fieldManager: 'bench-editor', force: true },
      );
      const editedVersion = BigInt(edited.metadata.resourceVersion ?? '0');
      const undone = await watched.until(
        `the edit of ConfigMap/${namespace}/web-config set back`,
        {
          count: 1,
          matches: (object) =>
            object.metadata.namespace === namespace &&
            (object.data as { mode?: string } | undefined)?.mode === 'desired' &&
            BigInt(object.metadata.resourceVersion ?? '0') > editedVersion,
        },
        options.timeoutMs,
      );
      samples.push(undone - t0);
    }
  } finally {
    watched.close();
  }
  return { edits: samples.length, undoMs: summarize(samples) };
}
