import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/parse-args.js';

describe('CLI > parseArgs', () => {
  it('asks for help when given nothing or a help flag', () => {
    for (const argv of [[], ['help'], ['--help'], ['-h']]) expect(parseArgs(argv)).toEqual({ kind: 'help' });
  });

  it('asks for the version', () => {
    expect(parseArgs(['--version'])).toEqual({ kind: 'version' });
    expect(parseArgs(['version'])).toEqual({ kind: 'version' });
  });

  it('names an unknown command and where to look', () => {
    expect(parseArgs(['frobnicate'])).toEqual({
      kind: 'error',
      message: "unknown command 'frobnicate'; run 'rowkube help' for the commands",
    });
  });

  it('refuses arguments that a command does not take', () => {
    expect(parseArgs(['version', 'extra'])).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('extra'),
    });
  });
});
