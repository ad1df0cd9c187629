import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { type KafkaSaslConfig, kafkaSaslSchema } from './kafka-security-schema.js';

// `kafka.sasl` as the configuration takes it: the password mechanisms of
// kafka-security-schema.ts plus OAUTHBEARER, whose token sits in a file that
// something else keeps fresh (a projected service-account token, a
// workload-identity agent), so rowkube re-reads it instead of holding a secret.
// One object with the mechanism deciding which keys apply, rather than a
// union, so that a mistake is reported at the key to fix and the reference
// lists every key.

const PASSWORD_MECHANISMS = kafkaSaslSchema.shape.mechanism.options;

export const kafkaSaslConfigSchema = z
  .strictObject({
    mechanism: z
      .enum([...PASSWORD_MECHANISMS, 'oauthbearer'])
      .describe(
        'SASL mechanism the brokers offer; `oauthbearer` sends the token of `tokenFile` (KIP-768 brokers).',
      ),
    username: kafkaSaslSchema.shape.username
      .optional()
      .describe(
        'SASL user name (the principal ACLs name: User:<username>); for plain and scram-*, not oauthbearer.',
      ),
    password: kafkaSaslSchema.shape.password
      .optional()
      .describe(
        `SASL password; give it as \`\${env:NAME}\` or \`\${file:PATH}\`, never inline; for plain and scram-*.`,
      ),
    tokenFile: z
      .string()
      .min(1)
      .refine(isAbsolute, 'give the absolute path of the token file, not its contents (no file: reference)')
      .optional()
      .describe(
        'For oauthbearer: absolute path of a file holding the bearer token (a JWT), replaced by whatever issues it before it expires; re-read when it changes. The principal is the token’s subject.',
      ),
  })
  .superRefine((sasl, ctx) => {
    const need = (key: 'username' | 'password' | 'tokenFile') => {
      if (sasl[key] === undefined)
        ctx.addIssue({ code: 'custom', path: [key], message: `required with mechanism ${sasl.mechanism}` });
    };
    const refuse = (key: 'username' | 'password' | 'tokenFile', why: string) => {
      if (sasl[key] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `not used with mechanism ${sasl.mechanism}: ${why}`,
        });
    };
    if (sasl.mechanism === 'oauthbearer') {
      need('tokenFile');
      refuse('username', 'the principal is the token’s subject');
      refuse('password', 'the token of tokenFile is the credential');
    } else {
      need('username');
      need('password');
      refuse('tokenFile', 'only oauthbearer sends a token');
    }
  })
  // superRefine made sure the keys of the mechanism are there.
  .transform(
    ({ mechanism, username = '', password = '', tokenFile = '' }): KafkaSaslSettings =>
      mechanism === 'oauthbearer' ? { mechanism, tokenFile } : { mechanism, username, password },
  )
  .describe(
    'SASL authentication to the brokers; use it together with `ssl` so the credential never crosses the network in clear.',
  );

/** `kafka.sasl` after validation: a password login, or OAUTHBEARER with its token file. */
export type KafkaSaslSettings = KafkaSaslConfig | KafkaOAuthBearerConfig;
export interface KafkaOAuthBearerConfig {
  mechanism: 'oauthbearer';
  tokenFile: string;
}
