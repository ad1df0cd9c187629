import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { type ImportProblem, importProblem } from './layer-rules.js';

// `npm test` runs this next to biome and tsc: it lists every import in src/
// and connectors/ that crosses the arrows of layer-rules.ts and fails when
// there is one. Imports are found by TypeScript's own pre-processor, so
// `import type`, `export … from`, `import()` and `require()` all count and
// text in comments does not.
// Only src/kafka may import kafkajs: the stages meet Kafka through it.

const root = fileURLToPath(new URL('..', import.meta.url));

function* sourceFiles(directory: string): Generator<string> {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* sourceFiles(path);
    } else if (/\.(m?ts|tsx)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      yield path;
    }
  }
}

const failures: string[] = [];
for (const top of ['src', 'connectors']) {
  for (const file of sourceFiles(join(root, top))) {
    const from = relative(root, file).split(sep).join('/');
    const text = readFileSync(file, 'utf8');
    const { importedFiles } = ts.preProcessFile(text, true, true);
    for (const imported of importedFiles) {
      const problem: ImportProblem | undefined = importProblem(from, imported.fileName);
      if (problem === undefined) continue;
      const line = text.slice(0, imported.pos).split('\n').length;
      const entry = `${from}:${line}: ${problem.message}`;
      failures.push(entry);
    }
  }
}

for (const entry of failures) console.error(entry);
console.log(`layers: ${failures.length} import(s) crossing the arrows`);
process.exit(failures.length > 0 ? 1 : 0);
