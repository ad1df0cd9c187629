import { performance } from 'node:perf_hooks';
import type { PipelineMetrics } from '../../src/contracts/index.js';

// What capture reports about itself, kept as figures: the processor bench
// runs capture as `rowkube capture` runs it (src/app/start-pipeline.ts) and
// learns from these reports when the first snapshot is done and how many
// change events Kafka acknowledged. Events count once their source
// transaction committed in Kafka, as the capture bench's counting sink counts.

export class CaptureProgress implements PipelineMetrics {
  /** Change events whose Kafka transaction committed. */
  committedEvents = 0;
  /** performance.now() when the latest acknowledged events were reported. */
  lastCommitAt: number | undefined;
  /** Every source streams: its snapshot is done, rows committed from now on arrive from the log. */
  streaming = false;
  private readonly sources = new Map<string, boolean>();

  componentState(component: string, ready: boolean): void {
    if (!component.startsWith('capture/')) return;
    this.sources.set(component, ready);
    this.streaming = [...this.sources.values()].every(Boolean);
  }

  changesCaptured(_source: string, _table: string, events: number): void {
    this.committedEvents += events;
    this.lastCommitAt = performance.now();
  }

  desiredCommitted(): void {}

  sinkAudited(): void {}

  stageFailed(): void {}
}
