import { findCycle } from '../dependency-cycle.js';
import { clusterProblems } from './cluster-references.js';
import type { RowkubeConfig } from './config-schema.js';
import type { ConfigChecks } from './template-check.js';

/** A problem found after the schema passed: a reference that leads nowhere, a cycle, a broken template. */
export interface ReferenceProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Checks what one section says about another: hubs name sources and their
 * tables, forms name hubs, resources name each other, and templates parse
 * (by checks.templates). Every problem is reported, each at the place to fix it.
 */
export function checkReferences(config: RowkubeConfig, checks: ConfigChecks): ReferenceProblem[] {
  const problems: ReferenceProblem[] = [];
  const sources = new Map(config.sources.map((s) => [s.name, s]));
  const hubNames = new Set<string>();

  config.hubs.forEach((hub, h) => {
    if (hubNames.has(hub.name))
      problems.push({ path: ['hubs', h, 'name'], message: `hub '${hub.name}' is defined twice` });
    hubNames.add(hub.name);
    const source = sources.get(hub.source);
    if (!source) {
      problems.push({
        path: ['hubs', h, 'source'],
        message: `no source is named '${hub.source}'; sources: ${[...sources.keys()].join(', ') || 'none'}`,
      });
      return;
    }
    const captured = (table: string) => source.tables.includes(table);
    if (!captured(hub.table)) {
      problems.push({
        path: ['hubs', h, 'table'],
        message: `source '${source.name}' does not capture '${hub.table}'; add it to sources[].tables (captured: ${source.tables.join(', ')})`,
      });
    }
    hub.lookups.forEach((lookup, l) => {
      if (!captured(lookup.table)) {
        problems.push({
          path: ['hubs', h, 'lookups', l, 'table'],
          message: `source '${source.name}' does not capture '${lookup.table}'; add it to sources[].tables`,
        });
      }
    });
    if (hub.status) problems.push(...statusTableProblems(hub.status, h, sources));
    const filterProblem =
      hub.filter === undefined ? undefined : checks.conditions?.(hub.filter, hubVariables(hub));
    if (filterProblem !== undefined)
      problems.push({ path: ['hubs', h, 'filter'], message: `hub '${hub.name}' filter: ${filterProblem}` });
    if (hub.status && !config.sink.status) {
      problems.push({
        path: ['hubs', h, 'status'],
        message:
          'a status table follows the status topic, which sink.status: false turns off; remove one of the two',
      });
    }
  });

  const statusTables = new Map<string, number>();
  config.hubs.forEach((hub, h) => {
    if (!hub.status) return;
    const key = `${hub.status.source}/${hub.status.table}`;
    const other = statusTables.get(key);
    if (other !== undefined) {
      problems.push({
        path: ['hubs', h, 'status', 'table'],
        message: `hubs[${other}] writes its status to the same table '${hub.status.table}' of source '${hub.status.source}'; give each hub a table of its own`,
      });
    }
    statusTables.set(key, h);
  });

  const formNames = new Set<string>();
  config.forms.forEach((form, f) => {
    // Admission waits for the sink's Ready reports: without them no node would ever count as done.
    if (form.rollout !== undefined && !config.sink.status)
      problems.push({
        path: ['forms', f, 'rollout'],
        message: `form '${form.name}' has a rollout, which admits nodes on the sink's status reports: set sink.status to true, or remove forms[].rollout`,
      });
    if (formNames.has(form.name))
      problems.push({ path: ['forms', f, 'name'], message: `form '${form.name}' is defined twice` });
    formNames.add(form.name);
    if (!hubNames.has(form.hub)) {
      problems.push({
        path: ['forms', f, 'hub'],
        message: `no hub is named '${form.hub}'; hubs: ${[...hubNames].join(', ') || 'none'}`,
      });
    }
    const ids = new Map<string, number>();
    form.resources.forEach((resource, r) => {
      if (ids.has(resource.id)) {
        problems.push({
          path: ['forms', f, 'resources', r, 'id'],
          message: `resource id '${resource.id}' is used twice in form '${form.name}'`,
        });
      }
      ids.set(resource.id, r);
    });
    form.resources.forEach((resource, r) => {
      resource.dependIds.forEach((id, d) => {
        if (!ids.has(id)) {
          problems.push({
            path: ['forms', f, 'resources', r, 'dependIds', d],
            message: `'${resource.id}' depends on '${id}', which form '${form.name}' does not have; ids: ${[...ids.keys()].join(', ')}`,
          });
        }
      });
      const hub = config.hubs.find((candidate) => candidate.name === form.hub);
      const includeProblem =
        resource.includeWhen === undefined || hub === undefined
          ? undefined
          : checks.conditions?.(resource.includeWhen, hubVariables(hub));
      if (includeProblem !== undefined)
        problems.push({
          path: ['forms', f, 'resources', r, 'includeWhen'],
          message: `form '${form.name}' resource '${resource.id}' includeWhen: ${includeProblem}`,
        });
      for (const problem of checks.templates(resource.manifest, {
        form: form.name,
        resourceId: resource.id,
      })) {
        problems.push({
          path: ['forms', f, 'resources', r, 'manifest', ...problem.segments],
          message: problem.message,
        });
      }
    });
    const cycle = findCycle(
      new Map(form.resources.map((res) => [res.id, res.dependIds.filter((d) => ids.has(d))])),
    );
    if (cycle) {
      const first = ids.get(cycle[0] as string) ?? 0;
      problems.push({
        path: ['forms', f, 'resources', first, 'dependIds'],
        message: `dependency cycle in form '${form.name}': ${cycle.join(' → ')}; remove one of these dependIds`,
      });
    }
  });
  problems.push(...clusterProblems(config, checks));
  return problems;
}

/** The variable names a hub's templates and conditions see (node-variables.ts builds them). */
function hubVariables(hub: RowkubeConfig['hubs'][number]): ReadonlySet<string> {
  return new Set(['uid', 'row', ...Object.keys(hub.values), ...hub.lookups.map((lookup) => lookup.name)]);
}

/**
 * A hub's status table must be in a configured source and must not be
 * captured: rowkube writes it, and a captured table's writes would come back
 * as changes (a loop through the hub, or noise in the change topics).
 */
function statusTableProblems(
  status: { source: string; table: string },
  h: number,
  sources: ReadonlyMap<string, RowkubeConfig['sources'][number]>,
): ReferenceProblem[] {
  const source = sources.get(status.source);
  if (!source) {
    return [
      {
        path: ['hubs', h, 'status', 'source'],
        message: `no source is named '${status.source}'; sources: ${[...sources.keys()].join(', ') || 'none'}`,
      },
    ];
  }
  const problems: ReferenceProblem[] = [];
  const bare = (table: string) => (source.postgres && !table.includes('.') ? `public.${table}` : table);
  if (source.tables.some((t) => bare(t) === bare(status.table))) {
    problems.push({
      path: ['hubs', h, 'status', 'table'],
      message: `source '${source.name}' captures '${status.table}' (sources[].tables): a status table must not be captured, or its writes would feed back as changes; use a table of its own`,
    });
  }
  if (bare(source.incrementalSnapshots.signalTable) === bare(status.table)) {
    problems.push({
      path: ['hubs', h, 'status', 'table'],
      message: `'${status.table}' is the signal table of source '${source.name}'; use a table of its own`,
    });
  }
  return problems;
}
