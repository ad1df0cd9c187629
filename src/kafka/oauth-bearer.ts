import kafkajs, { type Mechanism } from 'kafkajs';
import { RowkubeError } from '../core/errors.js';
import { TokenFile } from '../core/token-file.js';

// SASL OAUTHBEARER (RFC 7628, KIP-255) for `kafka.sasl.tokenFile`. kafkajs's
// built-in oauthBearerProvider discards the broker's answer, so a rejected
// token looks like a successful login and the broker then closes the
// connection at the next request ("Unexpected Kafka request of type METADATA
// during SASL authentication"): kafkajs reports no broker at all. This
// authenticator reads the answer: an empty one is success, anything else is
// the broker's error (JSON such as {"status":"invalid_token"}), which it
// acknowledges (%x01, as RFC 7628 asks) and turns into one non-retried error
// naming kafka.sasl.tokenFile.
//
// Token expiry: the file is re-read whenever it changes (TokenFile), and a
// token found expired is refused here rather than sent. Every new connection
// logs in with the current token. A broker with connections.max.reauth.ms set
// also ends each session when its token expires (KIP-368); kafkajs then logs
// in again on the same connection before its next request, or reconnects,
// with the token the file holds by then. No message carries the token.

const SOH = '\u0001';

export interface OAuthBearerOptions {
  /** The clock, for tests. */
  now?: () => number;
}

/** The kafkajs `sasl` option that logs in with the token of `tokenFile`. */
export function oauthBearerMechanism(tokenFile: string, options: OAuthBearerOptions = {}): Mechanism {
  const file = new TokenFile(tokenFile, { what: 'the OAUTHBEARER token file (kafka.sasl.tokenFile)' });
  const now = options.now ?? Date.now;
  return {
    mechanism: 'oauthbearer',
    authenticationProvider: ({ host, port, logger, saslAuthenticate }) => ({
      authenticate: async () => {
        const token = await bearerToken(file, now());
        const answer = await saslAuthenticate<Buffer>({
          request: { encode: async () => bytes(`n,,${SOH}auth=Bearer ${token}${SOH}${SOH}`) },
          response: { decode: async (raw: Buffer) => unbytes(raw), parse: (raw: Buffer) => raw },
        });
        const challenge = answer ? answer.toString('utf8') : '';
        if (challenge === '') {
          logger.debug('SASL OAUTHBEARER authentication successful', { broker: `${host}:${port}` });
          return;
        }
        // The broker's refusal; it waits for %x01 before it closes the exchange.
        const closing = await saslAuthenticate({ request: { encode: async () => bytes(SOH) } }).then(
          () => '',
          (error: unknown) => {
            const message = (error as Error).message;
            return message === challenge ? '' : ` (${message})`;
          },
        );
        file.invalidate();
        throw saslError(
          `SASL OAUTHBEARER: the broker refused the token of kafka.sasl.tokenFile ${file.path}: ${challenge}${closing}`,
        );
      },
    }),
  };
}

/** The token to send: read (and re-read when it changes) from the file, refused when expired. */
export async function bearerToken(file: TokenFile, now: number): Promise<string> {
  let token: string;
  try {
    token = await file.token();
  } catch (error) {
    // TokenFile's message names the file and the reason; its error code belongs to the outer error.
    const reason =
      error instanceof RowkubeError ? error.message.slice(`${error.code}: `.length) : String(error);
    throw saslError(`SASL OAUTHBEARER: ${reason}`);
  }
  const expires = jwtExpiry(token);
  if (expires !== undefined && expires <= now) {
    // Read again next time: whatever writes the file may have replaced it by then.
    file.invalidate();
    throw saslError(
      `SASL OAUTHBEARER: the token in kafka.sasl.tokenFile ${file.path} expired at ${new Date(expires).toISOString()}; whatever writes that file must replace the token before it expires`,
    );
  }
  return token;
}

/** A JWT's `exp` in epoch milliseconds; undefined for an opaque token or one without `exp`. */
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * kafkajs's own error for a refused login: not retried, and what
 * kafkaSecurityFailure recognizes. (Its typings omit the message argument
 * that the class takes.)
 */
function saslError(message: string): Error {
  // kafkajs is CommonJS and spreads its errors into its exports, which Node's
  // named-export detection cannot see: take the class off the default export.
  const SaslError = kafkajs.KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
  return new SaslError(message);
}

/** The SASL answer out of kafkajs's SaslAuthenticate authBytes, which keep their BYTES length prefix. */
function unbytes(raw: Buffer): Buffer {
  if (raw.length < 4) return raw;
  return raw.subarray(4, 4 + Math.max(0, raw.readInt32BE(0)));
}

/** SaslAuthenticate carries the SASL message as Kafka BYTES: a 4-byte length, then the bytes. */
function bytes(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}
