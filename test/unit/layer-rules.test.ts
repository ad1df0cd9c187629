import { describe, expect, it } from 'vitest';
import { importProblem, partOf } from '../../scripts/layer-rules.js';

describe('Layers > partOf', () => {
  it('names the folder of src/ or connectors, and nothing outside them', () => {
    expect(partOf('src/sink/apply/apply-node.ts')).toBe('sink');
    expect(partOf('connectors/mysql/index.ts')).toBe('connectors');
    expect(partOf('test/support/wait-for.ts')).toBeUndefined();
    expect(partOf('src/stray.ts')).toBe('src (stray.ts)');
  });
});

describe('Layers > importProblem', () => {
  it('allows the arrows', () => {
    expect(importProblem('connectors/mysql/index.ts', '../../src/core/errors.js')).toBeUndefined();
    expect(importProblem('src/contracts/topic-names.ts', '../core/errors.js')).toBeUndefined();
    expect(importProblem('src/kafka/topics.ts', '../contracts/index.js')).toBeUndefined();
    expect(importProblem('src/processor/process-runner.ts', '../kafka/index.js')).toBeUndefined();
    expect(importProblem('src/sink/sink-runner.ts', './index.js')).toBeUndefined();
    expect(importProblem('src/observability/stage-groups.ts', '../contracts/index.js')).toBeUndefined();
    expect(importProblem('src/cli/commands/run.ts', '../../sink/kube/index.js')).toBeUndefined();
    expect(importProblem('src/app/start-pipeline.ts', '../processor/process-runner.js')).toBeUndefined();
    expect(importProblem('src/cluster/lease-elector.ts', '../sink/index.js')).toBeUndefined();
    expect(importProblem('src/cluster/lease-elector.ts', '../kafka/index.js')?.kind).toBe('layer');
  });

  it('refuses an import against the arrows, naming both parts', () => {
    expect(importProblem('src/core/config/config-references.ts', '../../processor/render/index.js')).toEqual({
      kind: 'layer',
      message: 'core → processor (src/processor/render/index.ts): core may import nothing else',
    });
    expect(importProblem('src/sink/apply/apply-node.ts', '../../processor/desired/index.js')?.kind).toBe(
      'layer',
    );
    expect(importProblem('src/kafka/restarting-stage.ts', '../observability/index.js')?.kind).toBe('layer');
    expect(importProblem('connectors/postgres/index.ts', '../../src/kafka/index.js')?.kind).toBe('layer');
    expect(importProblem('src/contracts/index.ts', '../kafka/index.js')?.kind).toBe('layer');
  });

  it('keeps the stages from reading each other through src/status', () => {
    expect(importProblem('src/processor/rollout/rollout-status.ts', '../../kafka/index.js')).toBeUndefined();
    expect(importProblem('src/processor/rollout/rollout-status.ts', '../../status/index.js')).toEqual({
      kind: 'layer',
      message: 'processor → status (src/status/index.ts): processor may import contracts, kafka, core',
    });
    expect(importProblem('src/observability/nodes-endpoint.ts', '../status/index.js')?.kind).toBe('layer');
    expect(importProblem('src/status/node-waiter.ts', '../kafka/index.js')).toBeUndefined();
    expect(importProblem('src/app/start-pipeline.ts', '../status/index.js')).toBeUndefined();
  });

  it('lets replay use the sink through its facade only', () => {
    expect(importProblem('src/replay/replay-runner.ts', '../sink/index.js')).toBeUndefined();
    expect(importProblem('src/replay/replay-runner.ts', '../sink/apply/apply-node.js')?.message).toBe(
      'replay imports src/sink/apply/apply-node.ts: replay may use sink only through src/sink/index.ts',
    );
    expect(importProblem('src/observability/index.ts', '../sink/index.js')?.kind).toBe('layer');
  });

  it('refuses product code that imports tests, benchmarks or scripts', () => {
    expect(importProblem('src/cli/run.ts', '../../test/support/wait-for.js')?.kind).toBe('layer');
  });

  it('refuses a folder of src/ that has no arrows yet', () => {
    expect(importProblem('src/dashboard/page.ts', '../core/errors.js')?.message).toMatch(/not a known part/);
  });

  it('reports kafkajs outside src/kafka as a package problem', () => {
    expect(importProblem('src/kafka/kafka-client.ts', 'kafkajs')).toBeUndefined();
    expect(importProblem('src/sink/sink-runner.ts', 'kafkajs')).toEqual({
      kind: 'package',
      message: "sink imports 'kafkajs', which only kafka may import",
    });
    expect(importProblem('src/sink/sink-runner.ts', 'pino')).toBeUndefined();
    expect(importProblem('src/sink/sink-runner.ts', 'node:fs')).toBeUndefined();
  });

  it('ignores files outside the layered parts', () => {
    expect(
      importProblem('bench/support/e2e-pipeline.ts', '../../src/sink/apply/apply-node.js'),
    ).toBeUndefined();
  });
});

describe('Layers > importProblem > plan', () => {
  it('lets plan render as the processor does and apply as the sink does', () => {
    expect(importProblem('src/plan/node-renders.ts', '../processor/materializer/index.js')).toBeUndefined();
    expect(importProblem('src/plan/read-state.ts', '../processor/desired/change-input.js')).toBeUndefined();
    expect(importProblem('src/plan/node-plan.ts', '../sink/apply/prepared-resource.js')).toBeUndefined();
    expect(importProblem('src/plan/run-plan.ts', '../sink/runner/request-limiter.js')).toBeUndefined();
    expect(importProblem('src/plan/object-dry-run.ts', '../sink/kube/index.js')).toBeUndefined();
  });

  it('keeps plan out of the runners, the producers and the audit', () => {
    expect(importProblem('src/plan/run-plan.ts', '../processor/process-runner.js')).toEqual({
      kind: 'layer',
      message:
        'plan imports src/processor/process-runner.ts: plan may reach processor only at src/processor/materializer/, src/processor/desired/, src/processor/render/',
    });
    expect(importProblem('src/plan/node-plan.ts', '../sink/apply/apply-resource.js')?.kind).toBe('layer');
    expect(importProblem('src/plan/node-plan.ts', '../sink/audit/audit-publisher.js')?.kind).toBe('layer');
    expect(importProblem('src/plan/node-plan.ts', '../observability/index.js')?.kind).toBe('layer');
  });
});
