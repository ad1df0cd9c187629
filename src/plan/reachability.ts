import { ErrorCode, RowkubeError } from '../core/errors.js';
import { createKafka, KafkaAdmin, type KafkaClientOptions } from '../kafka/index.js';
import type { KubeApi } from '../sink/kube/index.js';

// A plan is run by a person waiting for it: Kafka or an API server that does
// not answer is one clear error after a bounded wait, naming what and where,
// not a hang or a retry loop (the stages, unlike plan, wait for ever).

/** How long plan waits for Kafka and for the API server to answer at start, ms. */
export const REACH_TIMEOUT_MS = 30_000;

export async function checkKafkaReachable(
  options: KafkaClientOptions,
  timeoutMs = REACH_TIMEOUT_MS,
): Promise<void> {
  const kafka = createKafka({ ...options, logger: undefined, retry: { retries: 2, maxRetryTime: 2_000 } });
  const brokers = options.brokers.join(', ');
  await bounded(
    (async () => {
      const admin = await KafkaAdmin.connect(kafka);
      await admin.close();
    })(),
    timeoutMs,
    (reason) =>
      new RowkubeError(
        ErrorCode.KAFKA,
        `Kafka at ${brokers} (kafka.brokers) did not answer: ${reason}`,
        true,
      ),
  );
}

export async function checkApiServerReachable(
  kube: KubeApi,
  where: string,
  timeoutMs = REACH_TIMEOUT_MS,
): Promise<void> {
  await bounded(
    kube.isNamespaced('v1', 'Namespace'),
    timeoutMs,
    (reason) =>
      new RowkubeError(
        ErrorCode.KUBERNETES,
        `the Kubernetes API server (${where}) did not answer: ${reason}`,
        true,
      ),
  );
}

const TIMED_OUT = Symbol('timed out');

async function bounded(
  work: Promise<unknown>,
  timeoutMs: number,
  failure: (reason: string) => RowkubeError,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
  });
  // Still running after a time-out: its failure then is of no interest.
  work.catch(() => undefined);
  let outcome: unknown;
  try {
    outcome = await Promise.race([work, late]);
  } catch (error) {
    // The inner error's code would repeat the outer one's: its words are what is kept.
    const reason =
      error instanceof Error ? error.message.replace(/^ROWKUBE_ERR_[A-Z_]+: /, '') : String(error);
    throw failure(reason);
  } finally {
    clearTimeout(timer);
  }
  if (outcome === TIMED_OUT) throw failure(`no answer within ${timeoutMs / 1_000} s`);
}
