import type { RowkubeConfig } from '../core/config/config-schema.js';
import { processorLagGroup, sinkLagGroup, type WatchedGroup } from '../observability/index.js';
import { captureComponent } from './capture-sources.js';

// The stages a pipeline runs, as the commands name them (`rowkube capture`,
// `process`, `apply`; `run` is all three), and what observability watches for
// each: its readiness components and the consumer groups whose lag is its lag.

export type PipelineStage = 'capture' | 'process' | 'apply';

/** Every stage, in the order data flows through them: what `rowkube run` starts. */
export const ALL_STAGES: readonly PipelineStage[] = ['capture', 'process', 'apply'];

/** The readiness components of the stages, in data-flow order: /readyz waits for each. */
export function stageComponents(config: RowkubeConfig, stages: ReadonlySet<PipelineStage>): string[] {
  return [
    ...(stages.has('capture') ? config.sources.map((source) => captureComponent(source.name)) : []),
    ...(stages.has('process') ? ['processor'] : []),
    ...(stages.has('apply') ? ['sink'] : []),
  ];
}

/** The consumer groups whose lag the stages report; capture consumes nothing. */
export function stageLagGroups(config: RowkubeConfig, stages: ReadonlySet<PipelineStage>): WatchedGroup[] {
  return [
    ...(stages.has('process') ? [processorLagGroup(config)] : []),
    ...(stages.has('apply') ? [sinkLagGroup(config)] : []),
  ];
}
