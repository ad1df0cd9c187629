import pino, { type Logger } from 'pino';
import { runPipelineCommand } from './pipeline-command.js';

/**
 * `rowkube capture --config F [--instance NAME]`: streams every configured
 * source into Kafka until SIGTERM/SIGINT. Sources run side by side; one that
 * fails for good (a misconfiguration) is reported and the others keep
 * running. With leaderElection.enabled, replicas (distinct instance names)
 * capture each source on the holder of its Lease. Exits 0 after a clean
 * shutdown, 1 if any source failed.
 */
export async function captureCommand(
  configPath: string,
  instance?: string,
  logger: Logger = pino({ name: 'rowkube' }),
): Promise<number> {
  const result = await runPipelineCommand(configPath, {
    stages: ['capture'],
    ...(instance === undefined ? {} : { instance }),
    stopping: 'stopping: finishing in-flight work',
    logger,
  });
  return result.exitCode;
}
