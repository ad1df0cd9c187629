import { z } from 'zod';

// TLS and SASL for the Kafka client. Every rowkube command that talks to Kafka
// (the stages, tail, replay, snapshot, release) builds its client from these,
// so one setting secures them all. Secrets belong in `${env:NAME}` or
// `${file:PATH}` references, never inline in the file.

export const kafkaSslSchema = z
  .strictObject({
    ca: z
      .string()
      .min(1)
      .optional()
      .describe(
        `PEM CA certificate(s) the brokers are checked against, e.g. \`\${file:/etc/kafka/ca.crt}\`; default: the system CAs.`,
      ),
    cert: z
      .string()
      .min(1)
      .optional()
      .describe('PEM client certificate, for brokers that require mutual TLS.'),
    key: z
      .string()
      .min(1)
      .optional()
      .describe(`PEM client private key (with \`cert\`), e.g. \`\${file:/etc/kafka/client.key}\`.`),
    rejectUnauthorized: z
      .boolean()
      .default(true)
      .describe("Check the brokers' certificates; turn off only for a throwaway test cluster."),
    servername: z
      .string()
      .min(1)
      .optional()
      .describe("Host name the brokers' certificates must match, when it differs from the broker address."),
  })
  .refine((ssl) => (ssl.cert === undefined) === (ssl.key === undefined), {
    message: 'give both cert and key, or neither',
  })
  .describe('TLS to the brokers. Present (even `{}`) means TLS on.');

export const kafkaSaslSchema = z
  .strictObject({
    mechanism: z
      .enum(['plain', 'scram-sha-256', 'scram-sha-512'])
      .describe('SASL mechanism the brokers offer.'),
    username: z.string().min(1).describe('SASL user name (the principal ACLs name: User:<username>).'),
    password: z
      .string()
      .min(1)
      .describe(`SASL password; give it as \`\${env:NAME}\` or \`\${file:PATH}\`, never inline.`),
  })
  .describe(
    'SASL authentication to the brokers; use it together with `ssl` so the password never crosses the network in clear.',
  );

export type KafkaSslConfig = z.infer<typeof kafkaSslSchema>;
export type KafkaSaslConfig = z.infer<typeof kafkaSaslSchema>;
