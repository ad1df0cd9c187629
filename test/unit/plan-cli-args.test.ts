import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/parse-args.js';

describe('CLI > parseArgs > plan', () => {
  it('reads the new configuration, a node and the output', () => {
    expect(parseArgs(['plan', '--config', 'new.yaml'])).toEqual({
      kind: 'plan',
      config: 'new.yaml',
      output: 'text',
    });
    expect(parseArgs(['plan', '-c', 'new.yaml', '--node', 'web/acme', '-o', 'json'])).toEqual({
      kind: 'plan',
      config: 'new.yaml',
      node: 'web/acme',
      output: 'json',
    });
  });

  it('refuses a missing config, a node that is no node id and an unknown output', () => {
    expect(parseArgs(['plan'])).toEqual({ kind: 'error', message: "'plan' needs --config FILE" });
    expect(parseArgs(['plan', '-c', 'n.yaml', '--node', 'acme'])).toEqual({
      kind: 'error',
      message: "'plan': --node wants a node id <form>/<uid>, got 'acme'",
    });
    expect(parseArgs(['plan', '-c', 'n.yaml', '-o', 'yaml'])).toEqual({
      kind: 'error',
      message: "'plan': -o wants text or json, got 'yaml'",
    });
  });
});
