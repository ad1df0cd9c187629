import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { createKafka } from '../../kafka/index.js';
import { nodeText, planJson, planText, runPlan, summarize } from '../../plan/index.js';
import { checkApiServerReachable, checkKafkaReachable } from '../../plan/reachability.js';
import { openKubeClient } from '../../sink/kube/index.js';
import { loadConfig } from '../load-config.js';
import type { CliRequest } from '../parse-args.js';
import { shutdownSignal } from '../shutdown-signal.js';

export type PlanRequest = Extract<CliRequest, { kind: 'plan' }>;

/**
 * `rowkube plan --config NEW.yaml [--node ID] [-o text|json]`: what NEW would
 * do to every node (docs/plan.md). The report goes to stdout, progress to
 * stderr. Exit codes as `terraform plan -detailed-exitcode`: 0 nothing would
 * change; 2 something would; 1 errors — a node that does not render, an
 * object the sink would fail on (invalid, an immutable field under
 * recreatePolicy Never, a conflict, a forbidden namespace), or the plan
 * itself failed (a configuration that does not validate, Kafka or the API
 * server unreachable, interrupted).
 */
export async function planCommand(
  request: PlanRequest,
  out: Writable = process.stdout,
  err: Writable = process.stderr,
): Promise<number> {
  // Validated exactly as `rowkube validate` does: a bad file fails here, at its line.
  const config = loadConfig(request.config);
  const signal = shutdownSignal();
  await checkKafkaReachable(config.kafka);
  const kube = openKubeClient(config.kubernetes.kubeconfig, config.kubernetes.concurrency * 2);
  try {
    await checkApiServerReachable(
      kube,
      config.kubernetes.kubeconfig ?? process.env.KUBECONFIG ?? 'the default kubeconfig',
    );
    const kafka = createKafka({ ...config.kafka, clientId: 'rowkube-plan' });
    const result = await runPlan({
      config,
      configFile: request.config,
      kafka,
      kube,
      signal,
      ...(request.node === undefined ? {} : { node: request.node }),
      onProgress: (line) => err.write(`rowkube plan: ${line}\n`),
    });
    if (signal.aborted) {
      err.write('rowkube plan: interrupted before every node was planned; nothing was written\n');
      return 1;
    }
    const summary = summarize(result);
    const [node] = result.nodes;
    let text: string;
    if (request.node !== undefined)
      text =
        request.output === 'json'
          ? `${JSON.stringify({ exitCode: summary.exitCode, node: node ?? null }, null, 2)}\n`
          : node === undefined
            ? `node ${request.node}: nothing to do (it renders absent and the desired topic holds no record of it)\n`
            : nodeText(node);
    else text = request.output === 'json' ? planJson(result, summary) : planText(result, summary);
    if (!out.write(text)) await once(out, 'drain');
    return summary.exitCode;
  } finally {
    kube.close();
  }
}
