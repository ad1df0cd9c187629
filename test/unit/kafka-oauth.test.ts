import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/core/config/config-schema.js';
import { TokenFile } from '../../src/core/token-file.js';
import { kafkaSecurity } from '../../src/kafka/kafka-client.js';
import { kafkaSecurityFailure } from '../../src/kafka/kafka-errors.js';
import { bearerToken, jwtExpiry, oauthBearerMechanism } from '../../src/kafka/oauth-bearer.js';

// kafka.sasl with mechanism oauthbearer: the schema, the token read from a
// rotating file and refused when expired, and the errors, which name
// kafka.sasl.tokenFile and never hold the token.

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tokenFile(token: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'rowkube-oauth-'));
  dirs.push(dir);
  const path = join(dir, 'token');
  writeFileSync(path, `${token}\n`);
  return path;
}

/** An unsigned JWT-shaped token: only its claims matter on the client side. */
function jwt(claims: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

describe('kafka.sasl oauthbearer in the configuration', () => {
  const base = { sources: [{ name: 's', mysql: { url: 'mysql://u:p@h:1/d' }, tables: ['t'] }] };
  const parse = (sasl: object) =>
    configSchema.safeParse({ ...base, kafka: { brokers: ['b:1'], ssl: {}, sasl } });
  const problems = (sasl: object) => {
    const result = parse(sasl);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('takes a token file and passes the password mechanisms through unchanged', () => {
    const ok = parse({ mechanism: 'oauthbearer', tokenFile: '/var/run/secrets/kafka/token' });
    expect(ok.success && ok.data.kafka.sasl).toEqual({
      mechanism: 'oauthbearer',
      tokenFile: '/var/run/secrets/kafka/token',
    });
    const scram = parse({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
    expect(scram.success && scram.data.kafka.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'u',
      password: 'p',
    });
  });

  it('names the key to fix for each mechanism', () => {
    expect(problems({ mechanism: 'oauthbearer' })).toEqual([
      'kafka.sasl.tokenFile: required with mechanism oauthbearer',
    ]);
    expect(problems({ mechanism: 'oauthbearer', tokenFile: '/t', username: 'u' })).toEqual([
      'kafka.sasl.username: not used with mechanism oauthbearer: the principal is the token’s subject',
    ]);
    expect(problems({ mechanism: 'scram-sha-512', username: 'u' })).toEqual([
      'kafka.sasl.password: required with mechanism scram-sha-512',
    ]);
    expect(problems({ mechanism: 'plain', username: 'u', password: 'p', tokenFile: '/t' })).toEqual([
      'kafka.sasl.tokenFile: not used with mechanism plain: only oauthbearer sends a token',
    ]);
  });

  it('wants the path of the token file, not the token that a file: reference would give', () => {
    const token = jwt({ sub: 'rowkube' });
    const found = problems({ mechanism: 'oauthbearer', tokenFile: token });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^kafka\.sasl\.tokenFile: give the absolute path/);
    expect(found[0]).not.toContain(token);
  });

  it('becomes a kafkajs oauthbearer mechanism with its own authenticator', () => {
    const sasl = kafkaSecurity({ sasl: { mechanism: 'oauthbearer', tokenFile: '/t' } }).sasl as {
      mechanism: string;
      authenticationProvider?: unknown;
    };
    expect(sasl.mechanism).toBe('oauthbearer');
    expect(typeof sasl.authenticationProvider).toBe('function');
  });
});

describe('the OAUTHBEARER token', () => {
  const now = Date.parse('2026-12-03T00:00:00Z');

  it('is read from the file and follows a rotation', async () => {
    const first = jwt({ sub: 'rowkube', exp: now / 1000 + 600 });
    const path = tokenFile(first);
    let clock = now;
    const file = new TokenFile(path, { checkIntervalMs: 1000, now: () => clock });
    expect(await bearerToken(file, clock)).toBe(first);
    const second = jwt({ sub: 'rowkube', exp: now / 1000 + 1200 });
    writeFileSync(`${path}.new`, second);
    renameSync(`${path}.new`, path);
    clock += 1000;
    expect(await bearerToken(file, clock)).toBe(second);
  });

  it('is refused when expired, naming kafka.sasl.tokenFile and the time, never the token', async () => {
    const token = jwt({ sub: 'rowkube', exp: now / 1000 - 60 });
    const file = new TokenFile(tokenFile(token));
    const error = await bearerToken(file, now).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('KafkaJSSASLAuthenticationError');
    expect((error as Error).message).toContain('kafka.sasl.tokenFile');
    expect((error as Error).message).toContain('expired at 2026-12-02T23:59:00.000Z');
    expect((error as Error).message).not.toContain(token);
    const security = kafkaSecurityFailure('connecting to Kafka', error);
    expect(security?.message).toContain('fix the token in kafka.sasl.tokenFile');
    expect(security?.retriable).toBe(false);
    expect(security?.message).not.toContain('kafka.sasl.password');
  });

  it('a missing file names kafka.sasl.tokenFile and the path', async () => {
    const file = new TokenFile('/nonexistent/rowkube/token', {
      what: 'the OAUTHBEARER token file (kafka.sasl.tokenFile)',
    });
    const error = (await bearerToken(file, now).catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(
      /^SASL OAUTHBEARER: cannot read the OAUTHBEARER token file \(kafka\.sasl\.tokenFile\) \/nonexistent\/rowkube\/token: ENOENT/,
    );
  });

  it('an opaque token (not a JWT) has no expiry to check and is sent as it is', async () => {
    expect(jwtExpiry('opaque-token')).toBeUndefined();
    expect(jwtExpiry(jwt({ sub: 'x' }))).toBeUndefined();
    expect(jwtExpiry(jwt({ exp: 10 }))).toBe(10_000);
    const file = new TokenFile(tokenFile('opaque-token'));
    expect(await bearerToken(file, now)).toBe('opaque-token');
  });

  it('the mechanism sends the RFC 7628 message and turns a refusal into an error naming the file', async () => {
    const token = jwt({ sub: 'rowkube', exp: now / 1000 + 600 });
    const path = tokenFile(token);
    const sent: string[] = [];
    const mechanism = oauthBearerMechanism(path, { now: () => now });
    const logger = { debug: () => undefined } as never;
    const refusal = Buffer.from('{"status":"invalid_token"}');
    const framed = Buffer.concat([Buffer.alloc(4), refusal]);
    framed.writeInt32BE(refusal.length, 0);
    const authenticator = mechanism.authenticationProvider({
      host: 'b',
      port: 1,
      logger,
      saslAuthenticate: (async ({
        request,
        response,
      }: {
        request: { encode: () => Promise<Buffer> };
        response?: { decode: (b: Buffer) => Promise<Buffer>; parse: (b: Buffer) => unknown };
      }) => {
        sent.push((await request.encode()).subarray(4).toString('utf8'));
        return response ? response.parse(await response.decode(framed)) : undefined;
      }) as never,
    });
    const error = (await authenticator.authenticate().catch((e: Error) => e)) as Error;
    expect(sent).toEqual([`n,,\u0001auth=Bearer ${token}\u0001\u0001`, '\u0001']);
    expect(error.message).toContain('the broker refused the token of kafka.sasl.tokenFile');
    expect(error.message).toContain('invalid_token');
    expect(error.message).not.toContain(token);
  });
});
