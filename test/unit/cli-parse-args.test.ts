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
    expect(parseArgs(['version', 'extra'])).toEqual({
      kind: 'error',
      message: "'version' takes no arguments, got: extra",
    });
  });

  it('reads the config file of validate, capture, process, apply and run', () => {
    expect(parseArgs(['validate', '--config', 'r.yaml'])).toEqual({ kind: 'validate', config: 'r.yaml' });
    expect(parseArgs(['capture', '-c', 'r.yaml'])).toEqual({ kind: 'capture', config: 'r.yaml' });
    expect(parseArgs(['process', '--config', 'r.yaml'])).toEqual({ kind: 'process', config: 'r.yaml' });
    expect(parseArgs(['apply', '--config', 'r.yaml'])).toEqual({ kind: 'apply', config: 'r.yaml' });
    expect(parseArgs(['run', '-c', 'r.yaml'])).toEqual({ kind: 'run', config: 'r.yaml' });
    expect(parseArgs(['capture'])).toEqual({ kind: 'error', message: "'capture' needs --config FILE" });
  });

  it('names a run replica', () => {
    expect(parseArgs(['run', '-c', 'r.yaml', '--instance', 'rowkube-7d9f-x2'])).toEqual({
      kind: 'run',
      config: 'r.yaml',
      instance: 'rowkube-7d9f-x2',
    });
  });

  it('names a processor instance', () => {
    expect(parseArgs(['process', '-c', 'r.yaml', '--instance', 'p-1'])).toEqual({
      kind: 'process',
      config: 'r.yaml',
      instance: 'p-1',
    });
    expect(parseArgs(['process', '-c', 'r.yaml', '--instance', 'a b'])).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('--instance wants letters'),
    });
  });

  it('names a capture replica (its holder identity under leader election)', () => {
    expect(parseArgs(['capture', '-c', 'r.yaml', '--instance', 'capture-0'])).toEqual({
      kind: 'capture',
      config: 'r.yaml',
      instance: 'capture-0',
    });
  });

  it('reads tail options', () => {
    expect(
      parseArgs(['tail', 'rowkube.appdb.tenants', '--brokers', 'a:1,b:2', '--from-beginning', '-n', '5']),
    ).toEqual({
      kind: 'tail',
      topic: 'rowkube.appdb.tenants',
      brokers: ['a:1', 'b:2'],
      fromBeginning: true,
      follow: false,
      limit: 5,
    });
    expect(parseArgs(['tail', 't'])).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('--brokers'),
    });
    expect(parseArgs(['tail', 't', '--brokers', 'a:1', '--limit', 'x'])).toMatchObject({
      kind: 'error',
      message: "--limit wants a positive whole number, got 'x'",
    });
  });

  it('tail takes a schema registry URL for the Confluent wire format', () => {
    expect(
      parseArgs(['tail', 't', '--brokers', 'a:1', '--registry', 'http://reg:8080/apis/ccompat/v7']),
    ).toEqual({
      kind: 'tail',
      topic: 't',
      brokers: ['a:1'],
      registry: 'http://reg:8080/apis/ccompat/v7',
      fromBeginning: false,
      follow: false,
    });
    expect(parseArgs(['tail', 't', '--brokers', 'a:1', '--registry', 'reg:8080'])).toMatchObject({
      kind: 'error',
      message: "--registry wants the registry's http:// or https:// URL, got 'reg:8080'",
    });
  });

  it('rollout takes an action, a form and a config, and an optional wait', () => {
    expect(parseArgs(['rollout', 'abort', 'web', '-c', 'r.yaml'])).toEqual({
      kind: 'rollout',
      action: 'abort',
      config: 'r.yaml',
      form: 'web',
      waitSeconds: 30,
    });
    expect(parseArgs(['rollout', 'status', 'web', '-c', 'r.yaml', '--wait-timeout', '0'])).toMatchObject({
      action: 'status',
      waitSeconds: 0,
    });
    expect(parseArgs(['rollout', 'undo', 'web', '-c', 'r.yaml'])).toMatchObject({
      kind: 'error',
      message: expect.stringContaining("'rollout' wants status, resume or abort"),
    });
    expect(parseArgs(['rollout', 'web', '-c', 'r.yaml'])).toMatchObject({
      kind: 'error',
      message: expect.stringContaining("'rollout' takes 2 arguments"),
    });
  });

  it('release takes a hub and a config, and an optional wait', () => {
    expect(parseArgs(['release', 'tenants', '-c', 'r.yaml'])).toEqual({
      kind: 'release',
      config: 'r.yaml',
      hub: 'tenants',
      waitSeconds: 30,
    });
    expect(parseArgs(['release', 'tenants', '-c', 'r.yaml', '--wait-timeout', '0'])).toMatchObject({
      waitSeconds: 0,
    });
    expect(parseArgs(['release', '-c', 'r.yaml'])).toMatchObject({
      kind: 'error',
      message: expect.stringContaining("'release' takes 1 argument"),
    });
    expect(parseArgs(['release', 'tenants', '-c', 'r.yaml', '--wait-timeout', 'x'])).toMatchObject({
      kind: 'error',
      message: "--wait-timeout wants a number of seconds (0 does not wait), got 'x'",
    });
  });

  it('reads snapshot --source', () => {
    expect(parseArgs(['snapshot', '-c', 'r.yaml', '--source', 'appdb'])).toEqual({
      kind: 'snapshot',
      config: 'r.yaml',
      source: 'appdb',
      wait: false,
    });
    expect(parseArgs(['snapshot', '-c', 'r.yaml', '--source', 'appdb', '--wait'])).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('--wait goes with --table'),
    });
    expect(parseArgs(['snapshot', '--source', 'appdb'])).toMatchObject({
      kind: 'error',
      message: "'snapshot' needs --config FILE",
    });
  });

  it('turns unknown options into an error message, not an exception', () => {
    expect(parseArgs(['capture', '--confg', 'x'])).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('--confg'),
    });
  });
  it('reads an incremental snapshot request of one table', () => {
    expect(parseArgs(['snapshot', '-c', 'r.yaml', '--table', 'tenants'])).toEqual({
      kind: 'snapshot',
      config: 'r.yaml',
      table: 'tenants',
      wait: false,
    });
    expect(
      parseArgs(['snapshot', '-c', 'r.yaml', '--table', 'public.tenants', '--source', 'appdb', '--wait']),
    ).toEqual({ kind: 'snapshot', config: 'r.yaml', table: 'public.tenants', source: 'appdb', wait: true });
    expect(parseArgs(['snapshot', '-c', 'r.yaml'])).toMatchObject({
      kind: 'error',
      message: expect.stringContaining(
        "'snapshot' needs --table T (an incremental re-snapshot of one table) or --source S",
      ),
    });
    expect(parseArgs(['snapshot', '--table', 't'])).toEqual({
      kind: 'error',
      message: "'snapshot' needs --config FILE",
    });
  });

  it('reads rbac: the chart values by default, manifests for a named ServiceAccount', () => {
    expect(parseArgs(['rbac', '--config', 'r.yaml'])).toEqual({
      kind: 'rbac',
      config: 'r.yaml',
      output: 'values',
    });
    expect(
      parseArgs([
        'rbac',
        '-c',
        'r.yaml',
        '-o',
        'manifests',
        '--service-account',
        'ops/rowkube',
        '--kubeconfig',
        'k',
      ]),
    ).toEqual({
      kind: 'rbac',
      config: 'r.yaml',
      kubeconfig: 'k',
      output: 'manifests',
      serviceAccount: { namespace: 'ops', name: 'rowkube' },
    });
    expect(parseArgs(['rbac', '-c', 'r.yaml', '-o', 'manifests'])).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/needs --service-account/),
    });
    expect(parseArgs(['rbac', '-c', 'r.yaml', '-o', 'json'])).toMatchObject({ kind: 'error' });
    expect(parseArgs(['rbac', '-c', 'r.yaml', '--service-account', 'rowkube'])).toMatchObject({
      kind: 'error',
    });
  });

  it('reads wait: a node, a position, a timeout (default 60 s) and -o json', () => {
    expect(parseArgs(['wait', 'web/acme', '-c', 'r.yaml', '--position', '0-1-42'])).toEqual({
      kind: 'wait',
      config: 'r.yaml',
      node: 'web/acme',
      position: '0-1-42',
      timeoutSeconds: 60,
      json: false,
    });
    expect(
      parseArgs(['wait', 'web/acme', '-c', 'r.yaml', '-p', '16/B374D848', '--timeout', '5', '-o', 'json']),
    ).toMatchObject({ timeoutSeconds: 5, json: true, position: '16/B374D848' });
    expect(parseArgs(['wait', 'web/acme', '-c', 'r.yaml'])).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('--position P'),
    });
    expect(parseArgs(['wait', '-c', 'r.yaml', '-p', '0-1-1'])).toMatchObject({ kind: 'error' });
    expect(parseArgs(['wait', 'web/a', '-c', 'r.yaml', '-p', '0-1-1', '--timeout', 'soon'])).toMatchObject({
      kind: 'error',
      message: expect.stringContaining("--timeout wants a number of seconds, got 'soon'"),
    });
  });
});
