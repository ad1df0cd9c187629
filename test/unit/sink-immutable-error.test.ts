import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/core/errors.js';
import { ImmutableFieldError, immutableFields, KubeApiError } from '../../src/sink/kube/index.js';
import { kubeStatusError } from '../../src/sink/kube/kube-errors.js';

// The Status bodies below are kube-apiserver 1.33's answers to a server-side
// apply that changes an immutable field (probed on the local stack).
const status = (kind: string, causes: { reason: string; message: string; field: string }[]) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: `${kind} "x" is invalid: …`,
  reason: 'Invalid',
  details: { name: 'x', kind, causes },
  code: 422,
});

const deploymentSelector = status('Deployment', [
  {
    reason: 'FieldValueInvalid',
    message:
      'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    field: 'spec.selector',
  },
]);
const serviceClusterIp = status('Service', [
  {
    reason: 'FieldValueInvalid',
    message: 'Invalid value: []string{"10.0.0.78"}: may not change once set',
    field: 'spec.clusterIPs[0]',
  },
]);
const jobTemplate = status('Job', [
  {
    reason: 'FieldValueInvalid',
    message: `Invalid value: core.PodTemplateSpec{ObjectMeta:v1.ObjectMeta{Name:"", ${'Labels:map[string]string{"a": "b"}, '.repeat(50)}}: field is immutable`,
    field: 'spec.template',
  },
]);
const statefulSet = status('StatefulSet', [
  {
    reason: 'FieldValueForbidden',
    message:
      "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    field: 'spec',
  },
]);
const immutableConfigMap = status('ConfigMap', [
  {
    reason: 'FieldValueForbidden',
    message: 'Forbidden: field is immutable when `immutable` is set',
    field: 'data',
  },
]);

describe('sink > kube > immutable fields', () => {
  it('recognises the immutability causes of a 422 Invalid, without the refused value', () => {
    expect(immutableFields(422, deploymentSelector)).toEqual([
      { field: 'spec.selector', message: 'field is immutable' },
    ]);
    expect(immutableFields(422, serviceClusterIp)).toEqual([
      { field: 'spec.clusterIPs[0]', message: 'may not change once set' },
    ]);
    expect(immutableFields(422, jobTemplate)).toEqual([
      { field: 'spec.template', message: 'field is immutable' },
    ]);
    expect(immutableFields(422, statefulSet)?.[0]?.field).toBe('spec');
    expect(immutableFields(422, statefulSet)?.[0]?.message).toMatch(/^updates to statefulset spec/);
    expect(immutableFields(422, immutableConfigMap)).toEqual([
      { field: 'data', message: 'field is immutable when `immutable` is set' },
    ]);
  });

  it('is not an immutability error when any cause is something else, or the status is not 422 Invalid', () => {
    const mixed = status('Deployment', [
      ...deploymentSelector.details.causes,
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: -1: must be greater than or equal to 0',
        field: 'spec.replicas',
      },
    ]);
    expect(immutableFields(422, mixed)).toBeUndefined();
    expect(immutableFields(422, status('Deployment', []))).toBeUndefined();
    expect(immutableFields(409, deploymentSelector)).toBeUndefined();
    expect(immutableFields(422, { ...deploymentSelector, reason: 'Conflict' })).toBeUndefined();
    expect(immutableFields(422, 'not a Status')).toBeUndefined();
  });

  it('classifies an apply refused as immutable as ImmutableFieldError, naming the object and the field', () => {
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'tenant-a', name: 'web' };
    const error = kubeStatusError({ verb: 'apply', subject: { ref }, status: 422 }, deploymentSelector);
    expect(error).toBeInstanceOf(ImmutableFieldError);
    expect(error.code).toBe(ErrorCode.IMMUTABLE_FIELD);
    expect(error.retriable).toBe(false);
    expect(error.summary).toBe(
      'Deployment/tenant-a/web: apply failed (HTTP 422 Invalid): spec.selector: field is immutable',
    );
    expect((error as ImmutableFieldError).fields).toEqual([
      { field: 'spec.selector', message: 'field is immutable' },
    ]);
  });

  it('leaves other invalid objects to the invalid-object error', () => {
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'tenant-a', name: 'web' };
    const invalid = status('Deployment', [
      {
        reason: 'FieldValueInvalid',
        message: 'Invalid value: -1: must be greater than or equal to 0',
        field: 'spec.replicas',
      },
    ]);
    const error = kubeStatusError({ verb: 'apply', subject: { ref }, status: 422 }, invalid);
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error).not.toBeInstanceOf(ImmutableFieldError);
    expect(error.code).toBe(ErrorCode.KUBERNETES_INVALID);
  });
});
