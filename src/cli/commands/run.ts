import pino, { type Logger } from 'pino';
import { ALL_STAGES } from '../../app/pipeline-stages.js';
import { runPipelineCommand } from './pipeline-command.js';

/**
 * `rowkube run --config F [--instance NAME]`: capture, process and apply in one process — the
 * same stages as the three separate commands, sharing one shutdown: on
 * SIGTERM each stage finishes or abandons its in-flight work and commits its
 * positions. A source that fails for good is reported while the rest keep
 * running (as `capture` does) unless none is left; a processor or sink that
 * fails for good stops everything (src/app/start-pipeline.ts). Exits 0 after
 * a clean shutdown, 1 after a failure.
 */
export async function runCommand(
  configPath: string,
  instance: string,
  logger: Logger = pino({ name: 'rowkube' }),
): Promise<number> {
  const result = await runPipelineCommand(configPath, {
    stages: ALL_STAGES,
    stopping: 'stopping: finishing in-flight work',
    logger,
    instance,
  });
  return result.exitCode;
}
