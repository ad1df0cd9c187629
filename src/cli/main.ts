import { readFileSync } from 'node:fs';
import { parseArgs } from './parse-args.js';

const USAGE = `rowkube — database rows as the source of truth for Kubernetes resources

Usage:
  rowkube help        this text
  rowkube version     the installed version

The local stack (MariaDB, PostgreSQL, Kafka, Kubernetes on 127.0.0.1) is run
by deploy/local/stack; see README.md.
`;

function packageVersion(): string {
  const url = new URL('../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

/** Runs one CLI invocation and returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const request = parseArgs(argv);
  switch (request.kind) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'version':
      process.stdout.write(`rowkube ${packageVersion()}\n`);
      return 0;
    case 'error':
      process.stderr.write(`rowkube: ${request.message}\n`);
      return 2;
  }
}
