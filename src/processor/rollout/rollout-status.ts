import type { Logger } from 'pino';
import type { RowkubeConfig } from '../../core/config/config-schema.js';
import { type Kafka, type SchemaRegistryClient, type StageAttempt, StatusView } from '../../kafka/index.js';

// A rollout admits nodes on what the sink reports on `<prefix>.status`: this
// follows that topic (only when a form has a rollout) and runs an admission
// step, queued behind the processor's batches, soon after each report and
// once a second (a node timed out, a resume arrived while nothing moved).

/** How long a burst of status reports is gathered into one step, ms. */
const STEP_DEBOUNCE_MS = 100;
const STEP_INTERVAL_MS = 1_000;

export interface RolloutStatusOptions {
  config: RowkubeConfig;
  kafka: Kafka;
  registry: SchemaRegistryClient | undefined;
  logger: Logger;
  signal: AbortSignal;
  attempt: StageAttempt;
  /** The status view, once open: node id → last report. */
  onView: (view: StatusView) => void;
  /** One admission step (commits what it decides). */
  step: () => Promise<void>;
}

export interface RolloutStatus {
  /** Called after each take-over: opens the view the first time, then steps. */
  start(): void;
}

export function followRolloutStatus(options: RolloutStatusOptions): RolloutStatus {
  const { config, attempt } = options;
  const wanted = config.sink.status && config.forms.some((form) => form.rollout !== undefined);
  let opened = false;
  let pending: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    if (pending !== undefined || attempt.signal.aborted) return;
    pending = setTimeout(() => {
      pending = undefined;
      attempt.serially(options.step).catch((error) => attempt.crash(error));
    }, STEP_DEBOUNCE_MS);
  };
  const open = async (): Promise<void> => {
    const view = await StatusView.open({
      kafka: options.kafka,
      prefix: config.kafka.topicPrefix,
      ...(options.registry === undefined ? {} : { registry: options.registry }),
      logger: options.logger,
      signal: options.signal,
      waitForTopic: true,
    });
    attempt.onClose(() => view.close());
    options.onView(view);
    view.subscribe(() => schedule());
    await view.ready();
    const timer = setInterval(schedule, STEP_INTERVAL_MS);
    attempt.signal.addEventListener('abort', () => {
      clearInterval(timer);
      if (pending !== undefined) clearTimeout(pending);
    });
    schedule();
  };
  return {
    start: () => {
      if (!wanted) return;
      if (opened) {
        schedule();
        return;
      }
      opened = true;
      open().catch((error) => attempt.crash(error));
    },
  };
}
