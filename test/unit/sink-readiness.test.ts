import { describe, expect, it } from 'vitest';
import { type ReadinessState, readinessOf } from '../../src/sink/readiness/index.js';

// Status objects shaped like what the controllers write (trimmed to the
// fields the rules read, plus a few they must ignore).

interface Case {
  name: string;
  object: object;
  state: ReadinessState;
  /** A part of the reason that says why. */
  reason: string;
}

function check(cases: Case[]) {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const readiness = readinessOf(c.object);
    expect(readiness.state).toBe(c.state);
    expect(readiness.reason).toContain(c.reason);
  });
}

const time = '2025-01-15T10:30:00Z';

function deployment(spec: object, status: object | undefined, generation = 2): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'app', namespace: 'tenant-acme', generation },
    spec: { selector: { matchLabels: { app: 'x' } }, ...spec },
    ...(status === undefined ? {} : { status }),
  };
}

const availableTrue = {
  type: 'Available',
  status: 'True',
  lastUpdateTime: time,
  reason: 'MinimumReplicasAvailable',
  message: 'Deployment has minimum availability.',
};
const progressingComplete = {
  type: 'Progressing',
  status: 'True',
  reason: 'NewReplicaSetAvailable',
  message: 'ReplicaSet "app-5d8f7c" has successfully progressed.',
};

describe('Sink > readiness > Deployment', () => {
  check([
    {
      name: 'rolled out: every replica updated and available, Available=True',
      object: deployment(
        { replicas: 3 },
        {
          observedGeneration: 2,
          replicas: 3,
          updatedReplicas: 3,
          readyReplicas: 3,
          availableReplicas: 3,
          conditions: [availableTrue, progressingComplete],
        },
      ),
      state: 'ready',
      reason: '3 of 3 replicas',
    },
    {
      name: 'spec.replicas unset means 1',
      object: deployment(
        {},
        {
          observedGeneration: 2,
          replicas: 1,
          updatedReplicas: 1,
          readyReplicas: 1,
          availableReplicas: 1,
          conditions: [availableTrue, progressingComplete],
        },
      ),
      state: 'ready',
      reason: '1 of 1',
    },
    {
      name: 'scaled to zero is ready',
      object: deployment({ replicas: 0 }, { observedGeneration: 2, conditions: [availableTrue] }),
      state: 'ready',
      reason: '0 of 0',
    },
    {
      name: 'just created: no status yet',
      object: deployment({ replicas: 1 }, undefined, 1),
      state: 'progressing',
      reason: 'not reported a status',
    },
    {
      name: 'new spec not observed yet, although the old one was fully rolled out',
      object: deployment(
        { replicas: 2 },
        {
          observedGeneration: 1,
          replicas: 2,
          updatedReplicas: 2,
          availableReplicas: 2,
          conditions: [availableTrue],
        },
      ),
      state: 'progressing',
      reason: 'observed generation 1, not yet 2',
    },
    {
      name: 'rolling update: 1 of 3 updated',
      object: deployment(
        { replicas: 3 },
        {
          observedGeneration: 2,
          replicas: 4,
          updatedReplicas: 1,
          readyReplicas: 3,
          availableReplicas: 3,
          unavailableReplicas: 1,
          conditions: [
            availableTrue,
            { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: 'progressing' },
          ],
        },
      ),
      state: 'progressing',
      reason: '1 of 3 replicas updated',
    },
    {
      name: 'all updated, an old replica still terminating',
      object: deployment(
        { replicas: 3 },
        {
          observedGeneration: 2,
          replicas: 4,
          updatedReplicas: 3,
          availableReplicas: 3,
          conditions: [availableTrue],
        },
      ),
      state: 'progressing',
      reason: '1 old replicas pending termination',
    },
    {
      name: 'updated but not yet available',
      object: deployment(
        { replicas: 2 },
        {
          observedGeneration: 2,
          replicas: 2,
          updatedReplicas: 2,
          readyReplicas: 1,
          availableReplicas: 1,
          unavailableReplicas: 1,
          conditions: [
            {
              type: 'Available',
              status: 'False',
              reason: 'MinimumReplicasUnavailable',
              message: 'Deployment does not have minimum availability.',
            },
          ],
        },
      ),
      state: 'progressing',
      reason: '1 of 2 replicas available',
    },
    {
      name: 'counts complete but Available=False',
      object: deployment(
        { replicas: 1 },
        {
          observedGeneration: 2,
          replicas: 1,
          updatedReplicas: 1,
          availableReplicas: 1,
          conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }],
        },
      ),
      state: 'progressing',
      reason: 'Available is False',
    },
    {
      name: 'progress deadline exceeded is failed',
      object: deployment(
        { replicas: 2 },
        {
          observedGeneration: 2,
          replicas: 2,
          updatedReplicas: 1,
          availableReplicas: 1,
          conditions: [
            { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
            {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: 'ReplicaSet "app-7b9c" has timed out progressing.',
            },
          ],
        },
      ),
      state: 'failed',
      reason: 'ProgressDeadlineExceeded: ReplicaSet "app-7b9c" has timed out progressing.',
    },
    {
      name: 'being deleted is not ready',
      object: {
        ...deployment(
          { replicas: 1 },
          {
            observedGeneration: 2,
            replicas: 1,
            updatedReplicas: 1,
            availableReplicas: 1,
            conditions: [availableTrue],
          },
        ),
        metadata: { name: 'app', generation: 2, deletionTimestamp: time },
      },
      state: 'progressing',
      reason: 'being deleted',
    },
  ]);
});

function statefulSet(spec: object, status: object): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', generation: 1 },
    spec: { serviceName: 'db', ...spec },
    status: { observedGeneration: 1, ...status },
  };
}

describe('Sink > readiness > StatefulSet', () => {
  check([
    {
      name: 'all ready on the update revision',
      object: statefulSet(
        { replicas: 3 },
        {
          replicas: 3,
          readyReplicas: 3,
          currentReplicas: 3,
          updatedReplicas: 3,
          availableReplicas: 3,
          currentRevision: 'db-6b9f8d7c5',
          updateRevision: 'db-6b9f8d7c5',
        },
      ),
      state: 'ready',
      reason: 'revision db-6b9f8d7c5',
    },
    {
      name: 'not all ready',
      object: statefulSet(
        { replicas: 3 },
        {
          replicas: 2,
          readyReplicas: 1,
          currentReplicas: 2,
          updatedReplicas: 2,
          currentRevision: 'db-1',
          updateRevision: 'db-1',
        },
      ),
      state: 'progressing',
      reason: '1 of 3 replicas ready',
    },
    {
      name: 'rolling update in progress',
      object: statefulSet(
        { replicas: 3 },
        {
          replicas: 3,
          readyReplicas: 3,
          currentReplicas: 2,
          updatedReplicas: 1,
          currentRevision: 'db-1',
          updateRevision: 'db-2',
        },
      ),
      state: 'progressing',
      reason: '1 of 3 replicas updated',
    },
    {
      name: 'all updated but the current revision not yet moved',
      object: statefulSet(
        { replicas: 2 },
        {
          replicas: 2,
          readyReplicas: 2,
          updatedReplicas: 2,
          currentRevision: 'db-1',
          updateRevision: 'db-2',
        },
      ),
      state: 'progressing',
      reason: 'rolling out revision db-2',
    },
    {
      name: 'partitioned rollout: the ordinals above the partition are updated',
      object: statefulSet(
        { replicas: 4, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } },
        {
          replicas: 4,
          readyReplicas: 4,
          currentReplicas: 2,
          updatedReplicas: 2,
          currentRevision: 'db-1',
          updateRevision: 'db-2',
        },
      ),
      state: 'ready',
      reason: 'above partition 2',
    },
    {
      name: 'partitioned rollout still updating',
      object: statefulSet(
        { replicas: 4, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } },
        {
          replicas: 4,
          readyReplicas: 4,
          updatedReplicas: 1,
          currentRevision: 'db-1',
          updateRevision: 'db-2',
        },
      ),
      state: 'progressing',
      reason: '1 of 2 replicas above partition 2 updated',
    },
    {
      name: 'OnDelete: ready replicas are enough',
      object: statefulSet(
        { replicas: 2, updateStrategy: { type: 'OnDelete' } },
        {
          replicas: 2,
          readyReplicas: 2,
          updatedReplicas: 0,
          currentRevision: 'db-1',
          updateRevision: 'db-2',
        },
      ),
      state: 'ready',
      reason: 'OnDelete',
    },
    {
      name: 'scaling down',
      object: statefulSet(
        { replicas: 1 },
        {
          replicas: 2,
          readyReplicas: 2,
          updatedReplicas: 2,
          currentRevision: 'db-1',
          updateRevision: 'db-1',
        },
      ),
      state: 'progressing',
      reason: 'scaling down',
    },
  ]);
});

function daemonSet(spec: object, status: object): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', generation: 3 },
    spec,
    status: { observedGeneration: 3, ...status },
  };
}

describe('Sink > readiness > DaemonSet', () => {
  check([
    {
      name: 'a ready, updated pod on every node',
      object: daemonSet(
        {},
        {
          currentNumberScheduled: 2,
          desiredNumberScheduled: 2,
          numberMisscheduled: 0,
          numberReady: 2,
          numberAvailable: 2,
          updatedNumberScheduled: 2,
        },
      ),
      state: 'ready',
      reason: '2 of 2 pods',
    },
    {
      name: 'a pod not yet ready',
      object: daemonSet(
        {},
        { desiredNumberScheduled: 2, numberReady: 1, numberAvailable: 1, updatedNumberScheduled: 2 },
      ),
      state: 'progressing',
      reason: '1 of 2 pods ready',
    },
    {
      name: 'a pod not updated',
      object: daemonSet(
        {},
        { desiredNumberScheduled: 2, numberReady: 2, numberAvailable: 2, updatedNumberScheduled: 1 },
      ),
      state: 'progressing',
      reason: '1 of 2 pods updated',
    },
    {
      name: 'ready but not yet available (minReadySeconds)',
      object: daemonSet(
        {},
        { desiredNumberScheduled: 2, numberReady: 2, numberAvailable: 1, updatedNumberScheduled: 2 },
      ),
      state: 'progressing',
      reason: '1 of 2 pods available',
    },
    {
      name: 'OnDelete ignores the update count',
      object: daemonSet(
        { updateStrategy: { type: 'OnDelete' } },
        { desiredNumberScheduled: 1, numberReady: 1, numberAvailable: 1, updatedNumberScheduled: 0 },
      ),
      state: 'ready',
      reason: '1 of 1',
    },
    {
      name: 'no node to run on is ready',
      object: daemonSet({}, { desiredNumberScheduled: 0, currentNumberScheduled: 0, numberReady: 0 }),
      state: 'ready',
      reason: '0 of 0',
    },
    {
      name: 'spec change not observed',
      object: { ...daemonSet({}, {}), status: { observedGeneration: 2, desiredNumberScheduled: 0 } },
      state: 'progressing',
      reason: 'not yet 3',
    },
  ]);
});

function job(status: object, spec: object = {}): object {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'migrate', generation: 1 },
    spec: { backoffLimit: 2, template: {}, ...spec },
    status,
  };
}

describe('Sink > readiness > Job', () => {
  check([
    {
      name: 'Complete=True is ready',
      object: job({
        startTime: time,
        completionTime: time,
        succeeded: 1,
        conditions: [
          { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached' },
          {
            type: 'Complete',
            status: 'True',
            reason: 'CompletionsReached',
            message: 'Reached expected number of succeeded pods',
          },
        ],
      }),
      state: 'ready',
      reason: 'job complete',
    },
    {
      name: 'Failed=True is failed, with the reason',
      object: job({
        failed: 3,
        conditions: [
          { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded' },
          {
            type: 'Failed',
            status: 'True',
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          },
        ],
      }),
      state: 'failed',
      reason: 'BackoffLimitExceeded: Job has reached the specified backoff limit',
    },
    {
      name: 'FailureTarget=True is already failed',
      object: job({
        active: 1,
        failed: 2,
        conditions: [{ type: 'FailureTarget', status: 'True', reason: 'DeadlineExceeded' }],
      }),
      state: 'failed',
      reason: 'DeadlineExceeded',
    },
    {
      name: 'running',
      object: job({ startTime: time, active: 1, ready: 0 }),
      state: 'progressing',
      reason: '1 active, 0 succeeded, 0 failed',
    },
    {
      name: 'suspended',
      object: job(
        { conditions: [{ type: 'Suspended', status: 'True', reason: 'JobSuspended' }] },
        { suspend: true },
      ),
      state: 'progressing',
      reason: 'suspended',
    },
  ]);
});

function pod(status: object): object {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [] }, status };
}

describe('Sink > readiness > Pod', () => {
  check([
    {
      name: 'Ready=True',
      object: pod({
        phase: 'Running',
        conditions: [
          { type: 'Initialized', status: 'True' },
          { type: 'Ready', status: 'True' },
          { type: 'ContainersReady', status: 'True' },
          { type: 'PodScheduled', status: 'True' },
        ],
      }),
      state: 'ready',
      reason: 'Ready',
    },
    {
      name: 'running but not ready',
      object: pod({
        phase: 'Running',
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'ContainersNotReady',
            message: 'containers with unready status: [app]',
          },
        ],
      }),
      state: 'progressing',
      reason: 'ContainersNotReady',
    },
    {
      name: 'pending, not scheduled',
      object: pod({
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }],
      }),
      state: 'progressing',
      reason: 'Pending',
    },
    {
      name: 'Succeeded is ready although Ready=False',
      object: pod({
        phase: 'Succeeded',
        conditions: [{ type: 'Ready', status: 'False', reason: 'PodCompleted' }],
      }),
      state: 'ready',
      reason: 'completed',
    },
    {
      name: 'Failed is failed',
      object: pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' }),
      state: 'failed',
      reason: 'Evicted: The node was low on resource: memory.',
    },
  ]);
});

describe('Sink > readiness > PersistentVolumeClaim and Namespace', () => {
  const claim = (phase?: string) => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    status: phase ? { phase } : {},
  });
  const namespace = (phase?: string) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'tenant-acme' },
    spec: { finalizers: ['kubernetes'] },
    status: phase ? { phase } : {},
  });
  check([
    { name: 'claim Bound', object: claim('Bound'), state: 'ready', reason: 'Bound' },
    { name: 'claim Pending', object: claim('Pending'), state: 'progressing', reason: 'Pending' },
    { name: 'claim without status', object: claim(), state: 'progressing', reason: 'not bound' },
    { name: 'claim Lost', object: claim('Lost'), state: 'failed', reason: 'Lost' },
    { name: 'namespace Active', object: namespace('Active'), state: 'ready', reason: 'Active' },
    {
      name: 'namespace Terminating',
      object: namespace('Terminating'),
      state: 'progressing',
      reason: 'Terminating',
    },
    { name: 'namespace without status', object: namespace(), state: 'progressing', reason: 'not set' },
  ]);
});

describe('Sink > readiness > Service and Ingress', () => {
  const service = (type: string | undefined, status: object = { loadBalancer: {} }) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web' },
    spec: { ...(type ? { type } : {}), ports: [{ port: 80 }], clusterIP: '10.96.0.12' },
    status,
  });
  const ingress = (status: object) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web' },
    spec: { rules: [{ host: 'acme.example.com' }] },
    status,
  });
  check([
    {
      name: 'ClusterIP (default type) exists',
      object: service(undefined),
      state: 'ready',
      reason: 'ClusterIP',
    },
    { name: 'NodePort exists', object: service('NodePort'), state: 'ready', reason: 'NodePort' },
    {
      name: 'LoadBalancer without an address',
      object: service('LoadBalancer'),
      state: 'progressing',
      reason: 'status.loadBalancer.ingress',
    },
    {
      name: 'LoadBalancer with an address',
      object: service('LoadBalancer', { loadBalancer: { ingress: [{ ip: '203.0.113.7', ipMode: 'VIP' }] } }),
      state: 'ready',
      reason: 'address',
    },
    {
      name: 'Ingress with rules but no controller address is not ready',
      object: ingress({ loadBalancer: {} }),
      state: 'progressing',
      reason: 'without an ingress controller',
    },
    {
      name: 'Ingress with an empty address list',
      object: ingress({ loadBalancer: { ingress: [] } }),
      state: 'progressing',
      reason: 'no address',
    },
    {
      name: 'Ingress with a controller address',
      object: ingress({ loadBalancer: { ingress: [{ hostname: 'lb.example.com' }] } }),
      state: 'ready',
      reason: 'published an address',
    },
  ]);
});

describe('Sink > readiness > CustomResourceDefinition', () => {
  const crd = (conditions: object[]) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    status: { conditions },
  });
  check([
    {
      name: 'Established',
      object: crd([
        { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts' },
        { type: 'Established', status: 'True', reason: 'InitialNamesAccepted' },
      ]),
      state: 'ready',
      reason: 'Established',
    },
    {
      name: 'not Established yet',
      object: crd([{ type: 'NamesAccepted', status: 'True', reason: 'NoConflicts' }]),
      state: 'progressing',
      reason: 'not Established',
    },
    {
      name: 'names clash',
      object: crd([
        {
          type: 'NamesAccepted',
          status: 'False',
          reason: 'KindConflict',
          message: '"Widget" is already in use',
        },
      ]),
      state: 'failed',
      reason: 'KindConflict',
    },
  ]);
});

describe('Sink > readiness > any other kind', () => {
  const custom = (status: object | undefined, kind = 'Certificate', generation = 4) => ({
    apiVersion: 'cert-manager.io/v1',
    kind,
    metadata: { name: 'tls', generation },
    spec: { secretName: 'tls' },
    ...(status ? { status } : {}),
  });
  check([
    {
      name: 'Ready=True',
      object: custom({
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Ready',
            message: 'Certificate is up to date',
            observedGeneration: 4,
          },
        ],
      }),
      state: 'ready',
      reason: 'Certificate is up to date',
    },
    {
      name: 'Ready=False with a reason that is not a failure',
      object: custom({
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'DoesNotExist',
            message: 'Issuing certificate',
            observedGeneration: 4,
          },
        ],
      }),
      state: 'progressing',
      reason: 'DoesNotExist',
    },
    {
      name: 'Ready=False with a Failed reason',
      object: custom({
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'ReconcileFailed',
            message: 'invalid issuer',
            observedGeneration: 4,
          },
        ],
      }),
      state: 'failed',
      reason: 'ReconcileFailed: invalid issuer',
    },
    {
      name: 'Ready=Unknown',
      object: custom({ conditions: [{ type: 'Ready', status: 'Unknown', reason: 'Pending' }] }),
      state: 'progressing',
      reason: 'Ready is Unknown',
    },
    {
      name: 'Ready=True for an older generation',
      object: custom({
        conditions: [{ type: 'Ready', status: 'True', reason: 'Ready', observedGeneration: 3 }],
      }),
      state: 'progressing',
      reason: 'generation 3, not yet 4',
    },
    {
      name: 'Ready=True with a stale status.observedGeneration',
      object: custom({ observedGeneration: 3, conditions: [{ type: 'Ready', status: 'True' }] }),
      state: 'progressing',
      reason: 'not yet 4',
    },
    {
      name: 'no Ready condition: ready when it exists',
      object: custom({ conditions: [{ type: 'Issuing', status: 'True' }] }),
      state: 'ready',
      reason: 'exists',
    },
    {
      name: 'no status at all',
      object: custom(undefined),
      state: 'ready',
      reason: 'exists',
    },
    {
      name: 'a ConfigMap',
      object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg' }, data: { a: 'b' } },
      state: 'ready',
      reason: 'exists',
    },
    {
      name: 'a custom resource called Service is not a v1 Service',
      object: {
        apiVersion: 'serving.knative.dev/v1',
        kind: 'Service',
        metadata: { name: 'web', generation: 1 },
        status: {
          observedGeneration: 1,
          conditions: [{ type: 'Ready', status: 'Unknown', reason: 'RevisionMissing' }],
        },
      },
      state: 'progressing',
      reason: 'RevisionMissing',
    },
    {
      name: 'a status of the wrong shape',
      object: {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w' },
        status: { conditions: 'Ready' },
      },
      state: 'ready',
      reason: 'exists',
    },
  ]);
});
