import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MetricName } from '../../src/observability/rowkube-metrics.js';

// The chart's dashboard and alerts query rowkube's metrics by name: a renamed
// metric would leave an empty panel or an alert that never fires, silently.
// Every rowkube_* name they use must be one rowkube exports.

const CHART = 'deploy/helm/rowkube';
/** Histogram series carry these suffixes on the metric's own name. */
const SERIES_SUFFIX = /_(bucket|sum|count)$/;

const exported = new Set<string>(Object.values(MetricName));

function metricNames(text: string): string[] {
  const names = new Set(
    [...text.matchAll(/\browkube_[a-z_]+/g)].map(([name]) =>
      exported.has(name) ? name : name.replace(SERIES_SUFFIX, ''),
    ),
  );
  return [...names].sort();
}

describe('helm chart > metric names', () => {
  it('the dashboard queries only metrics rowkube exports, and every one of its panels has a query', () => {
    const dashboard = JSON.parse(readFileSync(`${CHART}/dashboards/rowkube.json`, 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const queries = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
    expect(dashboard.panels.every((panel) => panel.targets.length > 0)).toBe(true);
    const names = metricNames(queries.join('\n'));
    expect(names.filter((name) => !exported.has(name))).toEqual([]);
    expect(names).toEqual(
      expect.arrayContaining([
        MetricName.COMMIT_TO_APPLY,
        MetricName.CONSUMER_LAG,
        MetricName.ERRORS,
        MetricName.CAPTURE_LEADER,
      ]),
    );
  });

  it('the alerts query only metrics rowkube exports: lag, leader, errors, COMMIT to applied', () => {
    const rules = readFileSync(`${CHART}/templates/prometheusrule.yaml`, 'utf8');
    expect(metricNames(rules)).toEqual(
      [
        MetricName.COMMIT_TO_APPLY,
        MetricName.CONSUMER_LAG,
        MetricName.ERRORS,
        MetricName.CAPTURE_LEADER,
      ].sort(),
    );
  });
});
