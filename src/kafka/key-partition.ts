import { Partitioners } from 'kafkajs';

// The partition the producers' default partitioner (murmur2, as the Java
// client) puts a keyed record in, so a reader of one key (a node's audit
// history) reads only that partition instead of the whole topic.

const partitioner = Partitioners.DefaultPartitioner();

/** The partition of a record whose key bytes, as sent, are `key`, in a topic of `partitionCount` partitions. */
export function keyPartition(topic: string, key: Buffer, partitionCount: number): number {
  const partitionMetadata = Array.from({ length: partitionCount }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [],
    isr: [],
  }));
  return partitioner({ topic, partitionMetadata, message: { key, value: null } });
}
