import { readFileSync } from 'node:fs';
import { defaultInstanceName } from '../contracts/index.js';
import { RowkubeError } from '../core/errors.js';
import { applyCommand } from './commands/apply.js';
import { captureCommand } from './commands/capture.js';
import { kafkaAclsCommand } from './commands/kafka-acls.js';
import { processCommand } from './commands/process.js';
import { rbacCommand } from './commands/rbac.js';
import { releaseCommand } from './commands/release.js';
import { replayCommand } from './commands/replay.js';
import { rolloutCommand } from './commands/rollout.js';
import { runCommand } from './commands/run.js';
import { snapshotCommand } from './commands/snapshot.js';
import { statusCommand } from './commands/status.js';
import { tailCommand } from './commands/tail.js';
import { validateCommand } from './commands/validate.js';
import { waitCommand } from './commands/wait.js';
import { parseArgs } from './parse-args.js';

const USAGE = `rowkube — database rows as the source of truth for Kubernetes resources

Usage:
  rowkube run --config FILE [--instance NAME]
                                      capture, process and apply in one process; replicas
                                      with distinct names (default: HOSTNAME, the pod name)
                                      share the work
  rowkube validate --config FILE      check a configuration file
  rowkube capture --config FILE [--instance NAME]
                                      stream the configured tables' changes into Kafka;
                                      with leaderElection, replicas with distinct names
                                      (default: HOSTNAME) share the sources
  rowkube process --config FILE [--instance NAME]
                                      render each hub row's forms into <prefix>.desired;
                                      instances with distinct names (default: HOSTNAME)
                                      share the hubs
  rowkube apply --config FILE         apply <prefix>.desired to Kubernetes, audit to <prefix>.audit
  rowkube replay --config FILE --kubeconfig FILE [--at TIME]
               [--wait [--wait-timeout SECONDS]]
                                      rebuild every live node into a cluster from
                                      <prefix>.desired, now or as of TIME (ISO or ms);
                                      --wait: then wait until their objects are ready
                                      (default 300 s), exit 1 if some are not
  rowkube snapshot --config FILE --table TABLE [--source NAME] [--wait]
                                      snapshot TABLE again while capture streams on
                                      (incremental, through the source's signal table);
                                      --wait: until capture finished it
  rowkube snapshot --config FILE --source NAME
                                      the next capture start takes a new snapshot of the
                                      whole source; rows gone since become deletions
                                      (after ROWKUBE_ERR_POSITION_PURGED); a running
                                      capture of the source is fenced off and stops
  rowkube release HUB --config FILE [--wait-timeout SECONDS]
                                      carry out the deletions the mass-deletion guard
                                      holds for HUB; waits for the processor (default 30 s)
  rowkube rollout status|resume|abort FORM --config FILE [--wait-timeout SECONDS]
                                      a form's progressive rollout (docs/rollout.md): its
                                      versions, state and nodes by phase; resume a paused
                                      one; abort: changed nodes go back to the previous
                                      version. Exit 0 done, 1 not carried out in time,
                                      3 (status) paused or aborted
  rowkube rbac --config FILE [--kubeconfig FILE]
               [-o values | -o manifests --service-account NS/NAME]
                                      print the least-privilege RBAC rules the configuration
                                      needs: the Helm chart's rbac values (default), or
                                      ClusterRole/Role/bindings for a ServiceAccount;
                                      --kubeconfig asks discovery for each kind's resource
  rowkube kafka-acls --config FILE [--principal User:NAME]
                                      print the least-privilege Kafka ACLs the configuration
                                      needs, as kafka-acls.sh commands (principal: default
                                      User:<kafka.sasl.username>)
  rowkube tail TOPIC (--config FILE | --brokers HOST:PORT[,…])
               [--registry URL] [--from-beginning] [--follow] [--limit N]
                                      print a rowkube topic's records as JSON lines
                                      (--registry: decode the Confluent wire format
                                      without a config)
  rowkube status [NODE] (--config FILE | --brokers HOST:PORT[,…] [--prefix P])
               [--form F] [--failed] [-o table|json|yaml] [--watch]
                                      where nodes stand (from <prefix>.status): state,
                                      objects ready/desired, age, last error; --failed:
                                      Failed, Conflict and Skipped only; NODE (<form>/<uid>):
                                      its objects and its history from <prefix>.audit;
                                      --watch: then print each change
  rowkube wait NODE --config FILE --position P [--timeout SECONDS] [-o json]
                                      until NODE (<form>/<uid>) reflects the transaction
                                      committed at P (a GTID, binlog file:pos or LSN;
                                      docs/read-your-writes.md); default 60 s. Exit 0
                                      Ready, 1 failed (the reason on stderr), 2 bad
                                      usage or position, 3 timed out, 4 no such node,
                                      5 Kafka or the status topic unreadable
  rowkube version                     the installed version
  rowkube help                        this text

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
  try {
    switch (request.kind) {
      case 'help':
        process.stdout.write(USAGE);
        return 0;
      case 'version':
        process.stdout.write(`rowkube ${packageVersion()}\n`);
        return 0;
      case 'validate':
        return await validateCommand(request.config, process.stdout);
      case 'capture':
        return await captureCommand(request.config, request.instance ?? defaultInstanceName());
      case 'run':
        return await runCommand(request.config, request.instance ?? defaultInstanceName());
      case 'apply':
        return await applyCommand(request.config);
      case 'process':
        return await processCommand(request.config, request.instance ?? defaultInstanceName());
      case 'replay':
        return await replayCommand(request);
      case 'snapshot':
        return await snapshotCommand(request);
      case 'release':
        return await releaseCommand(request);
      case 'rollout':
        return await rolloutCommand(request);
      case 'rbac':
        return await rbacCommand(request);
      case 'kafka-acls':
        return kafkaAclsCommand(request);
      case 'tail':
        return await tailCommand(request, process.stdout);
      case 'status':
        return await statusCommand(request, process.stdout);
      case 'wait':
        return await waitCommand(request, process.stdout, process.stderr);
      case 'error':
        process.stderr.write(`rowkube: ${request.message}\n`);
        return 2;
    }
  } catch (error) {
    // Known errors carry their code and a message written for the user; anything
    // else is a bug, and its stack is what a report needs.
    process.stderr.write(
      `rowkube: ${error instanceof RowkubeError ? error.message : (error as Error).stack}\n`,
    );
    return 1;
  }
}
