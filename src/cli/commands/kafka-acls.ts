import type { Writable } from 'node:stream';
import { ErrorCode, RowkubeError } from '../../core/errors.js';
import { kafkaAclCommands, rowkubeKafkaAcls } from '../../kafka/index.js';
import { loadConfig } from '../load-config.js';

export interface KafkaAclsRequest {
  config: string;
  /** TYPE:NAME; default User:<kafka.sasl.username>. */
  principal?: string;
}

/**
 * `rowkube kafka-acls --config F [--principal User:NAME]`: prints the Kafka
 * ACLs the configuration needs as kafka-acls.sh commands. Talks to no broker.
 */
export function kafkaAclsCommand(request: KafkaAclsRequest, out: Writable = process.stdout): number {
  const config = loadConfig(request.config);
  const sasl = config.kafka.sasl;
  const username = sasl !== undefined && 'username' in sasl ? sasl.username : undefined;
  const principal = request.principal ?? (username === undefined ? undefined : `User:${username}`);
  if (principal === undefined) {
    throw new RowkubeError(
      ErrorCode.CONFIG,
      sasl?.mechanism === 'oauthbearer'
        ? `kafka-acls: with kafka.sasl.mechanism oauthbearer the principal is the token's subject; name it with --principal User:<sub>`
        : `kafka-acls: ${request.config} sets no kafka.sasl.username; name the principal with --principal User:NAME`,
    );
  }
  const acls = rowkubeKafkaAcls(config.kafka.topicPrefix);
  out.write(
    `# Kafka ACLs for ${principal}, topic prefix '${config.kafka.topicPrefix}' (rowkube kafka-acls --config ${request.config}).\n` +
      '# admin.properties: the client settings of a principal allowed to change ACLs.\n' +
      kafkaAclCommands(acls, principal, config.kafka.brokers.join(',')),
  );
  return 0;
}
