import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkApiServerReachable, checkKafkaReachable } from '../../src/plan/reachability.js';
import { KubeClient } from '../../src/sink/kube/index.js';

// `rowkube plan` is run by a person waiting for it: Kafka or an API server
// that does not answer is one error naming which, after a bounded wait.
// Real sockets on loopback: a port nothing listens on, and one that accepts
// and never says a word.

function kubeAt(server: string): KubeClient {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'x' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  return new KubeClient(config);
}

describe('Plan > reachability', () => {
  let silent: Server;
  let port: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    silent = createServer((socket) => sockets.push(socket)).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    port = (silent.address() as { port: number }).port;
  });

  afterAll(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });

  it('names the brokers that refuse the connection', async () => {
    await expect(checkKafkaReachable({ brokers: ['127.0.0.1:1'] })).rejects.toThrow(
      /^ROWKUBE_ERR_KAFKA: Kafka at 127\.0\.0\.1:1 \(kafka\.brokers\) did not answer: .*ECONNREFUSED/,
    );
  }, 30_000);

  it('gives up on brokers that never answer after the timeout', async () => {
    await expect(checkKafkaReachable({ brokers: [`127.0.0.1:${port}`] }, 300)).rejects.toThrow(
      `ROWKUBE_ERR_KAFKA: Kafka at 127.0.0.1:${port} (kafka.brokers) did not answer: no answer within 0.3 s`,
    );
  });

  it('names the API server that refuses the connection, with the code once', async () => {
    const kube = kubeAt('https://127.0.0.1:1');
    try {
      await expect(checkApiServerReachable(kube, 'kubeconfig k.yaml')).rejects.toThrow(
        /^ROWKUBE_ERR_KUBERNETES: the Kubernetes API server \(kubeconfig k\.yaml\) did not answer: (?!ROWKUBE_ERR).*ECONNREFUSED/,
      );
    } finally {
      kube.close();
    }
  });

  it('gives up on an API server that never answers after the timeout', async () => {
    const kube = kubeAt(`https://127.0.0.1:${port}`);
    try {
      await expect(checkApiServerReachable(kube, 'kubeconfig k.yaml', 300)).rejects.toThrow(
        'the Kubernetes API server (kubeconfig k.yaml) did not answer: no answer within 0.3 s',
      );
    } finally {
      kube.close();
    }
  });
});
