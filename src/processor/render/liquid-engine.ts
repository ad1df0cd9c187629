import { Context, Liquid, Output, type Template, TokenKind, toValueSync, Value } from 'liquidjs';
import { rowkubeFilters, TYPED_FILTERS } from './filters.js';
import { TemplateSyntaxError } from './template-syntax-error.js';

// The one Liquid engine rowkube renders with. Templates come from the
// configuration; rows only ever reach them as variables, and whatever a
// template outputs is a value, never more template text or YAML.

/**
 * What an output tag may print. Values are data, not HTML, so nothing is
 * escaped; but a null or an object printed into text would silently become ""
 * or "[object Object]" in a manifest, so both are errors that say what to do.
 */
function outputGuard(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value instanceof Date) return value.toISOString();
  if (value === null || value === undefined) {
    throw new Error("the value is null; add | default: '…' when it may be missing");
  }
  throw new Error(
    `the value is ${Array.isArray(value) ? 'an array' : 'an object'}; pick a field or use | json`,
  );
}

const liquid = new Liquid({
  // A missing variable is an error, not an empty string: a typo in a form must
  // not create "tenant-" for every row.
  strictVariables: true,
  // An unknown filter fails when the template is parsed, at config load.
  strictFilters: true,
  // The one exception to strictVariables, and the way to say a value is
  // optional: `{{ missing | default: 'x' }}` when `default` is the first filter
  // (liquidjs evaluates the variable before any filter runs, and this option is
  // what lets `default` see it as nil), and `{% if missing %}` is false.
  lenientIf: true,
  // Row values and their nested objects are read through own properties only,
  // so `{{ constructor }}` or `{{ row.__proto__ }}` is a missing variable.
  ownPropertyOnly: true,
  // An empty in-memory template set: nothing is ever read from disk (the tags
  // that would try are removed below as well).
  templates: {},
  outputEscape: outputGuard,
  // Rendering must be a function of the row alone, so that a replay or another
  // process renders the same desired state: fixed time zone and locale.
  timezoneOffset: 0,
  locale: 'en-US',
  // Counts characters and range sizes, so a row value cannot make one leaf
  // build an enormous string (`{% for i in (1..n) %}`); deterministic, unlike a
  // time limit. Far above anything a manifest needs.
  memoryLimit: 10_000_000,
});

// include/render/layout/block read other templates; increment/decrement write
// into the variables (the row itself). Removed, they are syntax errors at load.
for (const tag of ['include', 'render', 'layout', 'block', 'increment', 'decrement']) {
  Reflect.deleteProperty(liquid.tags, tag);
}
// `raw` only exists to skip output escaping; here it would skip outputGuard.
// `sample` is random, and a render must be repeatable.
liquid.unregisterFilter('raw');
liquid.unregisterFilter('sample');
for (const [name, filter] of Object.entries(rowkubeFilters)) liquid.registerFilter(name, filter);

/** A parsed template leaf, ready to render against any number of rows. */
export interface CompiledTemplate {
  readonly source: string;
  /**
   * Set when the whole leaf is one `{{ … }}` (blank around it allowed) whose
   * last filter is a typed one (to_int, to_float, to_bool, from_json):
   * render() then returns that filter's value (number, boolean, JSON value)
   * instead of text.
   */
  readonly typedFilter: string | undefined;
  /** Text, or the typed value; throws Liquid's error on a missing variable or a filter's refusal. */
  render(variables: Readonly<Record<string, unknown>>): unknown;
}

// Keyed by template text. Only configuration text is ever parsed (rendered
// output never is), so the cache is bounded by the size of the configuration.
const compiled = new Map<string, CompiledTemplate>();

/** Parses once per distinct text; throws TemplateSyntaxError (ROWKUBE_ERR_CONFIG) when it does not parse. */
export function compileTemplate(source: string): CompiledTemplate {
  let template = compiled.get(source);
  if (!template) {
    template = compile(source);
    compiled.set(source, template);
  }
  return template;
}

function compile(source: string): CompiledTemplate {
  let templates: Template[];
  try {
    templates = liquid.parse(source);
  } catch (error) {
    throw new TemplateSyntaxError(source, error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
  const typed = typedExpression(templates);
  if (typed) {
    return {
      source,
      typedFilter: typed.filter,
      // Evaluated as an expression, not printed, so the value keeps its type
      // (and outputGuard, which turns values into text, does not apply).
      render: (variables) =>
        toValueSync(typed.value.value(new Context(variables, liquid.options, { sync: true }, { liquid }))),
    };
  }
  return {
    source,
    typedFilter: undefined,
    render: (variables) => liquid.renderSync(templates, variables) as string,
  };
}

function typedExpression(templates: Template[]): { value: Value; filter: string } | undefined {
  const significant = templates.filter(
    (t) => !(t.token.kind === TokenKind.HTML && t.token.getText().trim() === ''),
  );
  const [only] = significant;
  if (significant.length !== 1 || !(only instanceof Output)) return undefined;
  // Re-read from the tag's text: the parsed Output has outputGuard appended as its last filter.
  const value = new Value(only.token.content, liquid);
  const filter = value.filters.at(-1)?.name;
  return filter !== undefined && TYPED_FILTERS.has(filter) ? { value, filter } : undefined;
}
