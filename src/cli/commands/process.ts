import pino, { type Logger } from 'pino';
import { runPipelineCommand } from './pipeline-command.js';

/**
 * `rowkube process --config F [--instance NAME]`: turns the change topics of every hub into
 * `<prefix>.desired` until SIGTERM/SIGINT. Exits 0 after a clean shutdown;
 * a failure that a restart of the processor cannot fix rejects (exit 1).
 */
export async function processCommand(
  configPath: string,
  instance: string | undefined,
  logger: Logger = pino({ name: 'rowkube' }),
): Promise<number> {
  const result = await runPipelineCommand(configPath, {
    stages: ['process'],
    stopping: 'stopping: finishing the batch in progress',
    logger,
    ...(instance ? { instance } : {}),
  });
  if (result.error !== undefined) throw result.error;
  return result.exitCode;
}
