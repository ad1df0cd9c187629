import { Liquid } from 'liquidjs';
import { ErrorCode } from '../core/errors.js';
import { type NodeError, nodeError } from './node-error.js';
import { compileTemplate, TemplateSyntaxError } from './render/index.js';

// A hub's `filter` is a Liquid condition over the node variables
// ("plan != 'free'"). It is evaluated with rowkube's own engine, wrapped as
// `{% if <filter> %}true{% else %}false{% endif %}`. That engine runs with
// lenientIf (so that `{% if optional %}` works in forms), which makes an
// unknown variable inside a condition quietly nil: a typo in a filter would
// then drop or keep every row without a word. So the filter's variables are
// also checked against the node variables before it runs, and an unknown one
// is an error, as it would be anywhere else in a template.

export type FilterResult = { ok: true; keep: boolean } | { ok: false; error: NodeError };

// Only parses, to list a template's variables; never renders. rowkube's
// engine is not exported, and listing variables needs no filters or tags of
// its own beyond the standard ones a condition uses.
const analyser = new Liquid();
const segmentsByFilter = new Map<string, readonly (readonly unknown[])[]>();

/**
 * Evaluates a hub's filter for one node's variables. keep: false means the row
 * is not a node. A filter that does not parse, names a variable the row does
 * not have, or fails while running is an error (ROWKUBE_ERR_TEMPLATE, or
 * ROWKUBE_ERR_CONFIG when it does not parse), never a silent false.
 */
export function evaluateFilter(
  filter: string,
  variables: Readonly<Record<string, unknown>>,
  hubName: string,
): FilterResult {
  return evaluateCondition(filter, variables, `hub '${hubName}' filter ${JSON.stringify(filter)}`);
}

/**
 * Evaluates any Liquid condition of the configuration (a hub's filter, a
 * resource's includeWhen) with the filter's strictness; `where` starts every
 * error message and names the setting to fix.
 */
export function evaluateCondition(
  condition: string,
  variables: Readonly<Record<string, unknown>>,
  where: string,
): FilterResult {
  const source = conditionTemplate(condition);
  let template: ReturnType<typeof compileTemplate>;
  let segments: readonly (readonly unknown[])[];
  try {
    template = compileTemplate(source);
    segments = variableSegments(source);
  } catch (error) {
    if (!(error instanceof TemplateSyntaxError)) throw error;
    return { ok: false, error: nodeError(ErrorCode.CONFIG, `${where}: does not parse: ${error.reason}`) };
  }
  for (const path of segments) {
    const unknown = unknownVariable(path, variables);
    if (unknown !== undefined) {
      return { ok: false, error: nodeError(ErrorCode.TEMPLATE, `${where}: unknown variable '${unknown}'`) };
    }
  }
  let output: unknown;
  try {
    output = template.render(variables);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, error: nodeError(ErrorCode.TEMPLATE, `${where}: failed: ${reason}`) };
  }
  if (output === 'true') return { ok: true, keep: true };
  if (output === 'false') return { ok: true, keep: false };
  // Only possible when the filter text closes the tag itself ("a %}x{% if b").
  return { ok: false, error: nodeError(ErrorCode.TEMPLATE, `${where}: is not a single condition`) };
}

function conditionTemplate(condition: string): string {
  return `{% if ${condition} %}true{% else %}false{% endif %}`;
}

/**
 * What can be known of a condition before any row exists, for config load:
 * that it parses, and that each variable it reads starts with a name the hub
 * defines (`uid`, `row`, a value or a lookup). Columns under `row.` depend on
 * the table and are checked at render. Returns the problem, or undefined.
 */
export function conditionProblem(condition: string, names: ReadonlySet<string>): string | undefined {
  const source = conditionTemplate(condition);
  let segments: readonly (readonly unknown[])[];
  try {
    compileTemplate(source);
    segments = variableSegments(source);
  } catch (error) {
    if (!(error instanceof TemplateSyntaxError)) throw error;
    return `the condition ${JSON.stringify(condition)} does not parse: ${error.reason}`;
  }
  for (const [first] of segments) {
    if (typeof first === 'string' && !names.has(first))
      return `the condition ${JSON.stringify(condition)} reads the unknown variable '${first}'; variables: ${[...names].join(', ')}`;
  }
  return undefined;
}

function variableSegments(source: string): readonly (readonly unknown[])[] {
  let segments = segmentsByFilter.get(source);
  if (!segments) {
    try {
      segments = analyser.globalVariableSegmentsSync(analyser.parse(source));
    } catch (error) {
      throw new TemplateSyntaxError(source, error instanceof Error ? error.message : String(error), {
        cause: error,
      });
    }
    segmentsByFilter.set(source, segments);
  }
  return segments;
}

/**
 * The dotted prefix of `path` that names nothing, if any. Only names looked up
 * in objects are checked: an index, a computed key, or a property of a list
 * or text (`size`, `first`) depends on the data, and null has no members to
 * check; those are left to the template's own semantics.
 */
function unknownVariable(
  path: readonly unknown[],
  variables: Readonly<Record<string, unknown>>,
): string | undefined {
  let current: unknown = variables;
  for (const [index, segment] of path.entries()) {
    if (typeof segment !== 'string') return undefined;
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, segment)) return path.slice(0, index + 1).join('.');
    current = (current as Record<string, unknown>)[segment];
  }
  return undefined;
}
