import pino, { type Logger } from 'pino';
import { runPipelineCommand } from './pipeline-command.js';

/**
 * `rowkube apply --config F`: applies `<prefix>.desired` to the cluster and
 * audits every action in `<prefix>.audit` until SIGTERM/SIGINT. Exits 0 after
 * a clean shutdown (handled records committed); a failure that a restart of
 * the sink cannot fix rejects (exit 1).
 */
export async function applyCommand(
  configPath: string,
  logger: Logger = pino({ name: 'rowkube' }),
): Promise<number> {
  const result = await runPipelineCommand(configPath, {
    stages: ['apply'],
    stopping: 'stopping: committing what is handled',
    logger,
  });
  if (result.error !== undefined) throw result.error;
  return result.exitCode;
}
