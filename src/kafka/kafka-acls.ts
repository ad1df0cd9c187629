import {
  captureTransactionalId,
  processorGroupId,
  processorTransactionalId,
  sinkGroupId,
} from '../contracts/stage-identities.js';

// The least-privilege Kafka ACLs rowkube needs, derived from the names it
// uses (src/contracts/stage-identities.ts and topic-names.ts), so the list
// cannot drift from the code. `rowkube kafka-acls` prints them as kafka-acls
// commands; docs/kafka-security.md explains each.

export interface KafkaAcl {
  resource: 'topic' | 'group' | 'transactional-id' | 'cluster';
  /** Resource name; for `cluster`, always kafka-cluster. */
  name: string;
  pattern: 'prefixed' | 'literal';
  operations: readonly string[];
  /** Why rowkube needs it (printed as a comment). */
  why: string;
}

/** The ACLs of a pipeline with this topic prefix: every stage, tail, replay, snapshot and release. */
export function rowkubeKafkaAcls(prefix: string): KafkaAcl[] {
  return [
    {
      resource: 'topic',
      name: `${prefix}.`,
      pattern: 'prefixed',
      operations: ['Create', 'Describe', 'DescribeConfigs', 'Read', 'Write'],
      why: `every topic rowkube creates, writes and reads is named ${prefix}.*`,
    },
    {
      resource: 'group',
      name: processorGroupId(prefix),
      pattern: 'literal',
      operations: ['Read', 'Describe'],
      why: 'the processors consume the change topics in this group',
    },
    {
      resource: 'group',
      name: sinkGroupId(prefix),
      pattern: 'literal',
      operations: ['Read', 'Describe'],
      why: `the sinks consume ${prefix}.desired in this group`,
    },
    {
      resource: 'group',
      name: 'rowkube-reader-',
      pattern: 'prefixed',
      operations: ['Read', 'Describe'],
      why: 'one-off readers (tail, replay, schema and offset topics) use a fresh group each',
    },
    {
      resource: 'transactional-id',
      name: captureTransactionalId(prefix, ''),
      pattern: 'prefixed',
      operations: ['Describe', 'Write'],
      why: 'one transactional producer per captured source',
    },
    {
      resource: 'transactional-id',
      name: `${processorTransactionalId(prefix, '')}`,
      pattern: 'prefixed',
      operations: ['Describe', 'Write'],
      why: 'one transactional producer per processor instance',
    },
    {
      resource: 'cluster',
      name: 'kafka-cluster',
      pattern: 'literal',
      operations: ['IdempotentWrite'],
      why: 'idempotent producers on brokers older than Kafka 3.0 (harmless later)',
    },
  ];
}

const shellQuote = (s: string) => (/^[A-Za-z0-9_.:=/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** kafka-acls.sh commands that add `acls` for `principal`, one per resource, each after a comment. */
export function kafkaAclCommands(acls: readonly KafkaAcl[], principal: string, bootstrap: string): string {
  const lines = acls.map((acl) => {
    const resource = acl.resource === 'cluster' ? '--cluster' : `--${acl.resource} ${shellQuote(acl.name)}`;
    const ops = acl.operations.map((op) => `--operation ${op}`).join(' ');
    return (
      `# ${acl.why}\n` +
      `kafka-acls.sh --bootstrap-server ${shellQuote(bootstrap)} --command-config admin.properties --add \\\n` +
      `  --allow-principal ${shellQuote(principal)} --resource-pattern-type ${acl.pattern} ${resource} ${ops}\n`
    );
  });
  return lines.join('');
}
