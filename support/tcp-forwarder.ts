import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

// A dependency that is down, then comes up: a port on loopback where nothing
// listens (connections are refused, as with a stopped server) until open()
// starts forwarding it to the real service. Tests point rowkube at the port
// instead of stopping a database or broker of the shared stack.

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

export class TcpForwarder {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    /** Where rowkube connects: 127.0.0.1:port. */
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  /** A forwarder to `target` that refuses connections until open(). */
  static async closed(target: { host: string; port: number }): Promise<TcpForwarder> {
    return new TcpForwarder(await freePort(), target);
  }

  /** `url` with its host and port replaced by the forwarder's. */
  rewrite(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Starts listening: every connection from now on reaches the target. */
  async open(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        // A reset on one side ends the other; the error itself is the peer's business.
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
  }

  /** Stops listening and cuts every forwarded connection. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
