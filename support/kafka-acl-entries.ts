import {
  type AclEntry,
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
} from 'kafkajs';
import { type KafkaAcl, rowkubeKafkaAcls } from '../src/kafka/index.js';

// The ACLs `rowkube kafka-acls` prints, as kafkajs admin entries: tests grant
// exactly these (through the plaintext listener, whose ANONYMOUS is a super
// user) so that what runs over the secure listener proves the derived ACLs
// are enough, and remove them afterwards.

/** Every entry `rowkube kafka-acls` derives for `topicPrefix`, for `principal` (User:NAME). */
export function derivedAclEntries(topicPrefix: string, principal: string): AclEntry[] {
  return rowkubeKafkaAcls(topicPrefix).flatMap((acl) => aclEntries(acl, principal));
}

/** One kafkajs ACL entry per operation of `acl`. */
export function aclEntries(acl: KafkaAcl, principal: string): AclEntry[] {
  const resourceType = {
    topic: AclResourceTypes.TOPIC,
    group: AclResourceTypes.GROUP,
    'transactional-id': AclResourceTypes.TRANSACTIONAL_ID,
    cluster: AclResourceTypes.CLUSTER,
  }[acl.resource];
  const operation: Record<string, AclOperationTypes> = {
    Create: AclOperationTypes.CREATE,
    Describe: AclOperationTypes.DESCRIBE,
    DescribeConfigs: AclOperationTypes.DESCRIBE_CONFIGS,
    Read: AclOperationTypes.READ,
    Write: AclOperationTypes.WRITE,
    IdempotentWrite: AclOperationTypes.IDEMPOTENT_WRITE,
  };
  return acl.operations.map((op) => ({
    resourceType,
    resourceName: acl.name,
    resourcePatternType:
      acl.pattern === 'prefixed' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    principal,
    host: '*',
    operation: operation[op] as AclOperationTypes,
    permissionType: AclPermissionTypes.ALLOW,
  }));
}
