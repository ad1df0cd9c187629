/** What the command line asks for, before anything runs. */
export type CliRequest = { kind: 'help' } | { kind: 'version' } | { kind: 'error'; message: string };

/**
 * Reads the command line. Kept free of I/O so that every way of calling the
 * CLI is covered by unit tests; commands join this table as they are built.
 */
export function parseArgs(argv: readonly string[]): CliRequest {
  const [first, ...rest] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h')
    return { kind: 'help' };
  if (first === 'version' || first === '--version' || first === '-v') {
    if (rest.length > 0)
      return { kind: 'error', message: `'version' takes no arguments, got: ${rest.join(' ')}` };
    return { kind: 'version' };
  }
  return { kind: 'error', message: `unknown command '${first}'; run 'rowkube help' for the commands` };
}
