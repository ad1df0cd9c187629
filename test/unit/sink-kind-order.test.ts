import { describe, expect, it } from 'vitest';
import { apiGroupOf, CUSTOM_RESOURCE_TIER, kindTier } from '../../src/sink/plan/index.js';

describe('Sink > plan > kind order', () => {
  it('orders the built-in kinds as a fixed table, lowest applied first', () => {
    const order = [
      ['Namespace'],
      ['CustomResourceDefinition'],
      ['ResourceQuota', 'LimitRange', 'PriorityClass'],
      ['ServiceAccount'],
      ['Secret'],
      ['ConfigMap'],
      ['StorageClass', 'PersistentVolume', 'PersistentVolumeClaim'],
      ['ClusterRole', 'Role'],
      ['ClusterRoleBinding', 'RoleBinding'],
      [
        'Deployment',
        'StatefulSet',
        'DaemonSet',
        'ReplicaSet',
        'Pod',
        'Job',
        'CronJob',
        'HorizontalPodAutoscaler',
        'PodDisruptionBudget',
      ],
      ['Service'],
      ['Endpoints', 'EndpointSlice'],
      ['Ingress', 'IngressClass', 'NetworkPolicy'],
    ];
    order.forEach((kinds, tier) => {
      for (const kind of kinds) expect(kindTier(kind), kind).toBe(tier);
    });
    expect(CUSTOM_RESOURCE_TIER).toBe(order.length);
  });

  it('puts unknown kinds (custom resources) last', () => {
    expect(kindTier('Certificate')).toBe(CUSTOM_RESOURCE_TIER);
    expect(kindTier('Certificate', 'cert-manager.io/v1')).toBe(CUSTOM_RESOURCE_TIER);
    expect(kindTier('')).toBe(CUSTOM_RESOURCE_TIER);
  });

  it('counts a kind as built in only in its own API group when the apiVersion is given', () => {
    expect(kindTier('Service', 'v1')).toBe(kindTier('Service'));
    expect(kindTier('Service', 'serving.knative.dev/v1')).toBe(CUSTOM_RESOURCE_TIER);
    expect(kindTier('Deployment', 'apps/v1')).toBe(kindTier('Deployment'));
    expect(kindTier('Deployment', 'extensions/v1beta1')).toBe(kindTier('Deployment'));
    expect(kindTier('Deployment', 'v1')).toBe(CUSTOM_RESOURCE_TIER);
    expect(kindTier('Ingress', 'networking.k8s.io/v1')).toBe(kindTier('Ingress'));
  });

  it('does not take Object.prototype members for kinds', () => {
    expect(kindTier('constructor')).toBe(CUSTOM_RESOURCE_TIER);
    expect(kindTier('toString', 'v1')).toBe(CUSTOM_RESOURCE_TIER);
  });

  it('reads the API group of an apiVersion', () => {
    expect(apiGroupOf('v1')).toBe('');
    expect(apiGroupOf('apps/v1')).toBe('apps');
    expect(apiGroupOf('networking.k8s.io/v1')).toBe('networking.k8s.io');
  });
});
