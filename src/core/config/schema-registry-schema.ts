import { z } from 'zod';
import { kafkaSslSchema } from './kafka-security-schema.js';

// An optional Confluent-compatible schema registry (Confluent Schema Registry,
// Apicurio's ccompat API, Karapace, Redpanda). With it, every Avro key and
// value rowkube writes goes out in the Confluent wire format (magic byte 0,
// 4-byte schema id, Avro body) with its schema registered under
// `<topic>-key` / `<topic>-value`, so consumers that use no rowkube code
// (Kafka Connect, Flink, ksqlDB, kafkajs) read the topics. Without it the
// schemas live in `<prefix>._schemas` (docs/schema-registry.md).

export const schemaRegistryAuthSchema = z
  .strictObject({
    username: z.string().min(1).describe('User name for HTTP basic authentication.'),
    password: z
      .string()
      .min(1)
      .describe(`Password; give it as \`\${env:NAME}\` or \`\${file:PATH}\`, never inline.`),
  })
  .describe('HTTP basic authentication to the registry.');

export const schemaRegistrySchema = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/, error: 'an http:// or https:// URL of the registry' })
      .describe(
        'Base URL of the Confluent-compatible API, e.g. `https://registry:8443` or, for Apicurio, `http://registry:8080/apis/ccompat/v7`.',
      ),
    auth: schemaRegistryAuthSchema.optional(),
    ssl: kafkaSslSchema
      .optional()
      .describe('TLS settings for an https:// URL (same fields as `kafka.ssl`); default: the system CAs.'),
  })
  .describe(
    'A Confluent-compatible schema registry: when set, topics are written in the Confluent wire format with schemas registered per topic (docs/schema-registry.md). Absent: schemas live in `<prefix>._schemas`.',
  );

export type SchemaRegistryConfig = z.infer<typeof schemaRegistrySchema>;
