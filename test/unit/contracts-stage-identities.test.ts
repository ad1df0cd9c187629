import { describe, expect, it } from 'vitest';
import { captureLeaseName, defaultInstanceName } from '../../src/contracts/index.js';

describe('Contracts > stage identities', () => {
  it('names a source’s Lease as a DNS subdomain', () => {
    expect(captureLeaseName('rowkube', 'appdb')).toBe('rowkube-capture-rowkube-appdb');
    expect(captureLeaseName('Team_A.cdc', 'app_db')).toBe('rowkube-capture-team-a.cdc-app-db');
  });

  it('defaults the instance name to the pod name, else 0', () => {
    expect(defaultInstanceName({ HOSTNAME: 'rowkube-6c9d8-abcde' })).toBe('rowkube-6c9d8-abcde');
    expect(defaultInstanceName({})).toBe('0');
    expect(defaultInstanceName({ HOSTNAME: 'bad name' })).toBe('0');
  });
});
