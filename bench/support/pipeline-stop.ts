import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { Pipeline } from '../../src/app/start-pipeline.js';
import { processorGroupId, sinkGroupId } from '../../src/contracts/index.js';
import { deleteConsumerGroups } from '../../support/kafka-cleanup.js';

// The end of a bench's pipeline: its stages are asked to stop and commit
// their positions, then the run's consumer groups are removed. A stage that
// hangs must not keep the bench from cleaning up and printing its figures.

/** How long the stages may take to stop once asked; past it the bench moves on to clean up. */
const STOP_TIMEOUT_MS = 30_000;

export async function stopPipeline(
  pipeline: Pipeline,
  { kafka, prefix, logger }: { kafka: Kafka; prefix: string; logger: Logger },
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), STOP_TIMEOUT_MS);
  });
  const stopped = pipeline.stop().then(
    () => 'stopped' as const,
    () => 'stopped' as const,
  );
  if ((await Promise.race([stopped, late])) === 'late')
    logger.warn(`the pipeline did not stop within ${STOP_TIMEOUT_MS} ms of being asked`);
  clearTimeout(timer);
  await deleteConsumerGroups(kafka, [processorGroupId(prefix), sinkGroupId(prefix)]);
}
