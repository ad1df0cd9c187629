import { z } from 'zod';

export const observabilitySchema = z
  .strictObject({
    port: z
      .number()
      .int()
      .min(0)
      .max(65_535)
      .default(9464)
      .describe(
        'TCP port of the HTTP server for /metrics (Prometheus), /healthz and /readyz; 0 turns it off. ' +
          'A port already in use is logged and the pipeline runs without the server.',
      ),
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe('Address the server listens on; "0.0.0.0" to let a scraper on another host reach it.'),
    lagIntervalSeconds: z
      .number()
      .min(0.5)
      .default(5)
      .describe(
        "The processor's and the sink's consumer lag (end offsets minus committed offsets) is read from Kafka when /metrics is scraped, at most once per this many seconds.",
      ),
    ui: z
      .boolean()
      .default(true)
      .describe(
        'Serve the read-only dashboard at /ui/ on the same server: node counts by hub, form and state, ' +
          "the node list, each node's objects and history, and the COMMIT→applied latency of the last hour. " +
          'It reads <prefix>.status only once someone opens it.',
      ),
  })
  .describe('Metrics, health, readiness and the dashboard over HTTP (docs/observability.md).');

export type ObservabilityConfig = z.infer<typeof observabilitySchema>;
