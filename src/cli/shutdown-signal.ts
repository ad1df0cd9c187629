/**
 * An AbortSignal that fires on SIGTERM or SIGINT, so long-running commands
 * finish in-flight work and store their positions before exiting. A second
 * signal exits at once: nothing is lost then either, since positions only move
 * after Kafka acknowledged.
 */
export function shutdownSignal(onFirst?: (signal: NodeJS.Signals) => void): AbortSignal {
  const controller = new AbortController();
  const handle = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    onFirst?.(signal);
    controller.abort();
  };
  process.on('SIGTERM', handle).on('SIGINT', handle);
  return controller.signal;
}
