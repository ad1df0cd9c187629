import { readFile, stat } from 'node:fs/promises';
import { ErrorCode, RowkubeError } from './errors.js';

// A bearer token kept in a file that is replaced under us: in a pod, the
// projected service-account token at
// /var/run/secrets/kubernetes.io/serviceaccount/token, or a workload-identity
// token that an agent refreshes for Kafka's OAUTHBEARER (kafka.sasl.tokenFile).
// Such tokens are bound and expire (an hour by default); the kubelet writes a
// new one before the old one dies, by swapping a symlink.
//
// In core because both the sink (the API server's token) and src/kafka use it.
// @kubernetes/client-node 1.4.0 (FileAuth) re-reads the file only every 60 s,
// and the transport would have to rebuild its credentials through KubeConfig
// on every request to get even that. Here the file is checked (one stat, at
// most once a second) for a new inode, size or mtime, so a rotated token is
// used within a second; it is read again at least every minute whatever the
// stat says, and again at once when the API server answers 401 (invalidate).

export interface TokenFileOptions {
  /** Look at the file's identity (inode, size, mtime) at most this often. Default 1000. */
  checkIntervalMs?: number;
  /** Read the file again after this long even if it looks unchanged. Default 60,000, as client-go does. */
  maxAgeMs?: number;
  /** The clock, for tests. */
  now?: () => number;
  /** What the token is, for the error when the file cannot be read. Default "the service-account token". */
  what?: string;
}

export const DEFAULT_TOKEN_CHECK_INTERVAL_MS = 1000;
export const DEFAULT_TOKEN_MAX_AGE_MS = 60_000;

interface ReadToken {
  token: string;
  /** The file's identity when it was read. */
  stamp: string;
  readAt: number;
}

export class TokenFile {
  private readonly checkIntervalMs: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly what: string;
  private current: ReadToken | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  /** One look at the file at a time, shared by the requests that wait for it. */
  private pending: Promise<string> | undefined;

  constructor(
    readonly path: string,
    options: TokenFileOptions = {},
  ) {
    this.checkIntervalMs = options.checkIntervalMs ?? DEFAULT_TOKEN_CHECK_INTERVAL_MS;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_TOKEN_MAX_AGE_MS;
    this.now = options.now ?? Date.now;
    this.what = options.what ?? 'the service-account token';
  }

  /** The token to send now. */
  token(): Promise<string> {
    const current = this.current;
    const now = this.now();
    if (current && now - this.checkedAt < this.checkIntervalMs && now - current.readAt < this.maxAgeMs) {
      return Promise.resolve(current.token);
    }
    this.pending ??= this.refresh().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /**
   * The API server refused the token (401): it may have been rotated and the
   * old one revoked before the file looked changed. The next token() reads the
   * file again.
   */
  invalidate(): void {
    this.current = undefined;
  }

  private async refresh(): Promise<string> {
    const previous = this.current;
    try {
      const now = this.now();
      const info = await stat(this.path);
      const stamp = `${info.ino}:${info.size}:${info.mtimeMs}`;
      this.checkedAt = now;
      if (previous && previous.stamp === stamp && now - previous.readAt < this.maxAgeMs)
        return previous.token;
      const token = (await readFile(this.path, 'utf8')).trim();
      if (token === '') throw new Error('the file is empty');
      this.current = { token, stamp, readAt: now };
      return token;
    } catch (error) {
      // A file caught mid-replacement: the token read last is still the best guess.
      if (previous) return previous.token;
      throw new RowkubeError(
        ErrorCode.CONFIG,
        `cannot read ${this.what} ${this.path}: ${(error as Error).message}`,
      );
    }
  }
}
