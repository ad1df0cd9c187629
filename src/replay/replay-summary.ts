import type { ReadyReport } from './ready-tally.js';
import type { ReplayReport } from './replay-runner.js';

// The summary a replay prints when it ends: what state it rebuilt, what it
// did (audit actions and how many), which nodes failed and why, and with
// --wait how many objects are ready and which are not.

/** Failed nodes listed one per line; past this many the rest are counted. */
const MAX_LISTED_FAILURES = 50;

export function formatReplaySummary(report: ReplayReport, target: string): string {
  const { selection } = report;
  const when = report.atMs === undefined ? 'the current state' : `the state as of ${iso(report.atMs)}`;
  const lines = [
    `replay of ${report.topic} into ${target}: ${when}`,
    `  records read: ${selection.records}${report.atMs === undefined ? '' : ` (${selection.laterRecords} after that time, ignored)`}`,
    `  nodes: ${selection.live} live, ${selection.deleted.length} deleted` +
      (report.atMs === undefined ? '' : `, ${selection.later.length} not yet created`) +
      `, ${selection.unrendered.length} not rendered (left out)`,
  ];
  if (report.objectsBefore > 0)
    lines.push(
      `  the target already held ${report.objectsBefore} objects of this prefix; ${report.removed.length} nodes not live were removed`,
    );
  const actions = report.actions.map(([action, count]) => `${action} ${count}`).join(', ');
  lines.push(`  audit actions: ${actions === '' ? 'none' : actions}`);
  const failed = report.failures.length;
  lines.push(
    `  result: ${report.succeeded} nodes done, ${failed} failed${report.stopped ? ', stopped before the end' : ''}` +
      ` (${(report.durationMs / 1_000).toFixed(1)} s)`,
  );
  for (const { nodeId, reason } of report.failures.slice(0, MAX_LISTED_FAILURES))
    lines.push(`  failed ${nodeId}: ${reason}`);
  if (failed > MAX_LISTED_FAILURES) lines.push(`  … and ${failed - MAX_LISTED_FAILURES} more failed nodes`);
  for (const nodeId of selection.unrendered.slice(0, MAX_LISTED_FAILURES))
    lines.push(`  not rendered ${nodeId}: its last record is a rendering error`);
  if (report.wait !== undefined) lines.push(...waitLines(report.wait));
  if (report.warning !== undefined) lines.push(`  warning: ${report.warning}`);
  return `${lines.join('\n')}\n`;
}

function waitLines(wait: ReadyReport): string[] {
  const notReady = wait.notReady.length;
  const lines = [
    `  wait: ${wait.readyObjects} objects ready, ${notReady} not ready` +
      ` within ${seconds(wait.timeoutMs)} s${wait.stopped ? ', stopped before the end' : ''}` +
      ` (${wait.nodes} nodes, ${(wait.durationMs / 1_000).toFixed(1)} s)`,
  ];
  for (const { nodeId, reason } of wait.notReady.slice(0, MAX_LISTED_FAILURES))
    lines.push(`  not ready ${nodeId}: ${reason}`);
  if (notReady > MAX_LISTED_FAILURES) lines.push(`  … and ${notReady - MAX_LISTED_FAILURES} more not ready`);
  return lines;
}

function seconds(ms: number): number {
  return Number((ms / 1_000).toFixed(1));
}

function iso(ms: number): string {
  return `${new Date(ms).toISOString()} (${ms})`;
}
