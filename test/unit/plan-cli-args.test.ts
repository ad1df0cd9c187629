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

describe('CLI > main > plan', () => {
  it('exits 1 on bad usage, since 2 means changes', async () => {
    const { main } = await import('../../src/cli/main.js');
    const write = process.stderr.write;
    process.stderr.write = () => true;
    try {
      expect(await main(['plan', '--config', 'new.yaml', '--node', 'acme'])).toBe(1);
      expect(await main(['status', '--bogus'])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
  });
});
