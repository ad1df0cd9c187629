import { posix } from 'node:path';

// The layering of rowkube (DESIGN.md, issue 10) as data and one pure
// function, so the rule can be unit-tested apart from the file walk in
// check-layers.ts. Data flows one way, and each part may import only the
// parts below it:
//
//   connectors → core              contracts → core          kafka → contracts, core
//   processor → status (a rollout admits nodes on the sink's reports), contracts, kafka, core
//   sink → contracts, kafka, core
//   replay → the sink's facade (src/sink/index.ts), contracts, kafka, core
//   status (reading node status and history) → contracts, kafka, core
//   observability → status, contracts, kafka, core
//   cluster (leases, in-cluster credentials, RBAC rules) → the sink's facade, contracts, core
//   cli, app → anything           core → nothing else
//
// A folder of src/ that is not listed is refused until it gets its arrows:
// a new part must say where it sits.

/** For each part, the parts it may import from (itself always included). */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  core: [],
  connectors: ['core'],
  contracts: ['core'],
  kafka: ['contracts', 'core'],
  processor: ['status', 'contracts', 'kafka', 'core'],
  sink: ['contracts', 'kafka', 'core'],
  replay: ['contracts', 'kafka', 'core'],
  status: ['contracts', 'kafka', 'core'],
  observability: ['status', 'contracts', 'kafka', 'core'],
  cluster: ['sink', 'contracts', 'core'],
  cli: ['*'],
  app: ['*'],
};

/** Parts that others may reach only through one file: their facade. */
export const FACADE_ONLY: Readonly<Record<string, { file: string; from: readonly string[] }>> = {
  sink: { file: 'src/sink/index.ts', from: ['replay', 'cluster'] },
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
  if (allowed.includes('*') || allowed.includes(toPart)) return undefined;
  const may = allowed.length === 0 ? 'nothing else' : allowed.join(', ');
  return { kind: 'layer', message: `${fromPart} → ${toPart} (${target}): ${fromPart} may import ${may}` };
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}
