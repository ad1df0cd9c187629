import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/parse-args.js';

describe('Replay > CLI arguments', () => {
  it('reads --config, --kubeconfig and --at', () => {
    expect(
      parseArgs(['replay', '--config', 'f.yaml', '--kubeconfig', 'k', '--at', '2024-06-10T06:13:20Z']),
    ).toEqual({
      kind: 'replay',
      config: 'f.yaml',
      kubeconfig: 'k',
      at: 1_718_000_000_000,
    });
    expect(parseArgs(['replay', '-c', 'f.yaml', '--kubeconfig', 'k'])).toEqual({
      kind: 'replay',
      config: 'f.yaml',
      kubeconfig: 'k',
    });
  });

  it('wants the target cluster named, never the configured one by default', () => {
    expect(parseArgs(['replay', '--config', 'f.yaml'])).toEqual({
      kind: 'error',
      message: "'replay' needs --kubeconfig FILE: the cluster to rebuild",
    });
  });

  it('says what is wrong with --at and with a missing config', () => {
    const bad = parseArgs(['replay', '--config', 'f', '--kubeconfig', 'k', '--at', 'soon']);
    expect(bad).toMatchObject({ kind: 'error', message: expect.stringMatching(/--at 'soon' is not a time/) });
    expect(parseArgs(['replay', '--kubeconfig', 'k'])).toEqual({
      kind: 'error',
      message: "'replay' needs --config FILE",
    });
  });
});
