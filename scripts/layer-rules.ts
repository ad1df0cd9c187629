import { posix } from 'node:path';

// The layering of rowkube (DESIGN.md, issue 10) as data and one pure
// function, so the rule can be unit-tested apart from the file walk in
// check-layers.ts. Data flows one way, and each part may import only the
// parts below it:
//
//   connectors → core              contracts → core          kafka → contracts, core
//   processor → contracts, kafka, core
//   sink → contracts, kafka, core
//   replay → the sink's facade (src/sink/index.ts), contracts, kafka, core
//   status (read-your-writes waits, the barrier, status tables) → contracts, kafka, core
//   observability → contracts, kafka, core
//   cluster (leases, in-cluster credentials, RBAC rules) → the sink's facade, contracts, core
//   plan (`rowkube plan`) → the processor's rendering (materializer, desired,
//     render) and the sink's apply, kube, ownership and request limiter, so a
//     plan renders and applies exactly as they do; contracts, kafka, core
//   cli, app → anything           core → nothing else
//
// Stages meet only through the lower layers: the status topic's reader
// (StatusView) and a node's history are topic readers in src/kafka, so a
// rollout (processor) and the dashboard (observability) read them there; the
// waits of src/status reach /v1/nodes through a port that src/app fills.
//
// A folder of src/ that is not listed is refused until it gets its arrows:
// a new part must say where it sits.

/** For each part, the parts it may import from (itself always included). */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  core: [],
  connectors: ['core'],
  contracts: ['core'],
  kafka: ['contracts', 'core'],
  processor: ['contracts', 'kafka', 'core'],
  sink: ['contracts', 'kafka', 'core'],
  replay: ['contracts', 'kafka', 'core'],
  status: ['contracts', 'kafka', 'core'],
  observability: ['contracts', 'kafka', 'core'],
  cluster: ['sink', 'contracts', 'core'],
  plan: ['processor', 'sink', 'contracts', 'kafka', 'core'],
  cli: ['*'],
  app: ['*'],
};

/** Parts that others may reach only through one file: their facade. */
export const FACADE_ONLY: Readonly<Record<string, { file: string; from: readonly string[] }>> = {
  sink: { file: 'src/sink/index.ts', from: ['replay', 'cluster'] },
};

/**
 * Parts that may reach into another part only at some of its files or
 * folders (a path ending in "/" is a folder): plan renders as the processor
 * renders and applies as the sink applies, and must not grow into running
 * either (their runners, their producers, the audit).
 */
export const REACH_ONLY: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  plan: {
    processor: ['src/processor/materializer/', 'src/processor/desired/', 'src/processor/render/'],
    sink: [
      'src/sink/apply/prepared-resource.ts',
      'src/sink/kube/',
      'src/sink/ownership/',
      'src/sink/inventory.ts',
      'src/sink/runner/request-limiter.ts',
    ],
  },
};

/** Packages only one part may import: the rest of the code goes through that part. */
export const PACKAGE_OWNERS: Readonly<Record<string, string>> = {
  kafkajs: 'kafka',
};

/** The part a repository path (posix, relative to the root) belongs to; undefined outside src/ and connectors/. */
export function partOf(path: string): string | undefined {
  if (path.startsWith('connectors/')) return 'connectors';
  const match = /^src\/([^/]+)\//.exec(path);
  if (match) return match[1];
  return path.startsWith('src/') ? `src (${posix.basename(path)})` : undefined;
}

export interface ImportProblem {
  /** `layer`: a crossing of the arrows; `package`: a package imported outside its owner. */
  kind: 'layer' | 'package';
  message: string;
}

/**
 * What is wrong with `specifier` imported by the file at `from` (a path
 * relative to the repository root), or undefined when the arrows allow it.
 * Relative specifiers are resolved as NodeNext does (`x.js` names `x.ts`);
 * others are packages (or node: built-ins).
 */
export function importProblem(from: string, specifier: string): ImportProblem | undefined {
  const fromPart = partOf(from);
  if (fromPart === undefined) return undefined;
  const allowed = ALLOWED[fromPart];
  if (allowed === undefined) {
    return {
      kind: 'layer',
      message: `${fromPart} is not a known part: give it its arrows in scripts/layer-rules.ts`,
    };
  }
  if (!specifier.startsWith('.')) {
    const name = packageName(specifier);
    const owner = PACKAGE_OWNERS[name];
    if (owner === undefined || owner === fromPart) return undefined;
    return { kind: 'package', message: `${fromPart} imports '${name}', which only ${owner} may import` };
  }
  const target = posix.normalize(posix.join(posix.dirname(from), specifier)).replace(/\.(m?)js$/, '.$1ts');
  const toPart = partOf(target);
  if (toPart === fromPart) return undefined;
  if (toPart === undefined) {
    return {
      kind: 'layer',
      message: `${fromPart} imports ${target}, outside src/ and connectors/: the product may not depend on tests, benchmarks or scripts`,
    };
  }
  const facade = FACADE_ONLY[toPart];
  if (facade?.from.includes(fromPart)) {
    if (target === facade.file) return undefined;
    return {
      kind: 'layer',
      message: `${fromPart} imports ${target}: ${fromPart} may use ${toPart} only through ${facade.file}`,
    };
  }
  const reach = REACH_ONLY[fromPart]?.[toPart];
  if (
    reach !== undefined &&
    !reach.some((place) => (place.endsWith('/') ? target.startsWith(place) : target === place))
  )
    return {
      kind: 'layer',
      message: `${fromPart} imports ${target}: ${fromPart} may reach ${toPart} only at ${reach.join(', ')}`,
    };
  if (allowed.includes('*') || allowed.includes(toPart)) return undefined;
  const may = allowed.length === 0 ? 'nothing else' : allowed.join(', ');
  return { kind: 'layer', message: `${fromPart} → ${toPart} (${target}): ${fromPart} may import ${may}` };
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}
