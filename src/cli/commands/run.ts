import pino, { type Logger } from 'pino';
import { createKafka } from '../../kafka/index.js';
import { processorLagGroup, sinkLagGroup, startObservability } from '../../observability/index.js';
import { runProcessor } from '../../processor/process-runner.js';
import { openKubeClient } from '../../sink/kube/index.js';
import { runSink } from '../../sink/sink-runner.js';
import { loadConfig } from '../load-config.js';
import { shutdownSignal } from '../shutdown-signal.js';
import { captureComponent, captureSources } from './capture-sources.js';

/**
 * `rowkube run --config F`: capture, process and apply in one process — the
 * same code as the three separate commands, sharing one shutdown: on SIGTERM
 * each stage finishes or abandons its in-flight work and commits its
 * positions. A source that fails for good is reported while the rest keep
 * running (as `capture` does) unless none is left; a processor or sink that
 * fails for good stops everything, since nothing downstream of it can make
 * progress. Exits 0 after
 * a clean shutdown, 1 after a failure.
 */
export async function runCommand(
  configPath: string,
  logger: Logger = pino({ name: 'rowkube' }),
): Promise<number> {
  const config = loadConfig(configPath);
  const stop = new AbortController();
  const signal = AbortSignal.any([
    shutdownSignal((s) => logger.info({ signal: s }, 'stopping: finishing in-flight work')),
    stop.signal,
  ]);
  const kafkaFor = (component: string) => {
    const log = logger.child({ component });
    return {
      log,
      kafka: createKafka({ brokers: config.kafka.brokers, clientId: config.kafka.clientId, logger: log }),
    };
  };
  const observability = await startObservability({
    config,
    components: [...config.sources.map((source) => captureComponent(source.name)), 'processor', 'sink'],
    lagGroups: [processorLagGroup(config), sinkLagGroup(config)],
    logger: logger.child({ component: 'observability' }),
  });
  const { metrics } = observability;
  const kube = openKubeClient(config.kubernetes.kubeconfig, config.kubernetes.concurrency * 2);
  let failed = false;
  const fatal = (stage: string) => (error: unknown) => {
    failed = true;
    logger.error({ stage, err: error }, `${stage} stopped for good: stopping rowkube`);
    stop.abort();
  };
  try {
    const processor = kafkaFor('processor');
    const sink = kafkaFor('sink');
    await Promise.all([
      captureSources(config, signal, logger.child({ component: 'capture' }), metrics).then((sources) => {
        if (sources === 0) return;
        failed = true;
        // Every source failed before shutdown: nothing can flow, so say so by exiting.
        if (!signal.aborted && sources === config.sources.length)
          fatal('capture')(new Error('every source failed'));
      }),
      runProcessor({ config, kafka: processor.kafka, logger: processor.log, signal, metrics }).catch(
        fatal('the processor'),
      ),
      runSink({ config, kafka: sink.kafka, kube, logger: sink.log, signal, metrics }).catch(
        fatal('the sink'),
      ),
    ]);
  } finally {
    kube.close();
    await observability.close();
  }
  return failed ? 1 : 0;
}
