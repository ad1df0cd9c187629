import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sink/kube/index.js';
import { OrphanLabel, OwnerLabel } from '../../../src/sink/ownership/index.js';
import { startUseCase, type UseCaseRun } from '../../../support/use-case-run.js';

// examples/use-cases/custom-domains on MariaDB (docs/use-cases/custom-domains.md),
// with the example's Certificate CRD installed first: a verified domain gets a
// cert-manager Certificate and a TLS Ingress, an unverified one a plain
// Ingress; verifying switches (the plain Ingress pruned, the TLS one and the
// Certificate created); unverifying switches back (the plain Ingress created
// again, the Certificate orphaned under Retain); verifying again adopts it.
interface IngressSpec {
  tls?: { hosts: string[]; secretName: string }[];
  rules: { host: string }[];
}

describe('use cases > custom domains', () => {
  let run: UseCaseRun;

  const get = (kind: 'Ingress' | 'Certificate', uid: string, name: string) =>
    run.kube.get({
      apiVersion: kind === 'Ingress' ? 'networking.k8s.io/v1' : 'cert-manager.io/v1',
      kind,
      namespace: run.tenantNamespace(uid),
      name,
    });
  const exists = (kind: 'Ingress' | 'Certificate', uid: string, name: string) => async () =>
    (await get(kind, uid, name)) ? true : undefined;
  const gone = (kind: 'Ingress' | 'Certificate', uid: string, name: string) => async () =>
    (await get(kind, uid, name)) ? undefined : true;
  const spec = (object: KubeObject) => object.spec as IngressSpec;

  beforeAll(async () => {
    run = await startUseCase({
      example: 'custom-domains',
      kind: 'mariadb',
      install: ['certificate-crd.yaml'],
    });
  });

  afterAll(async () => {
    await run?.stop();
  });

  it('a verified domain has its Certificate and a TLS Ingress; an unverified one a plain Ingress with its DNS record', async () => {
    const tls = await run.until('acme TLS Ingress', () => get('Ingress', 'acme', 'web-tls'));
    expect(spec(tls).tls).toEqual([{ hosts: ['shop.acme.example'], secretName: 'web-tls' }]);
    expect(tls.metadata.annotations?.['external-dns.alpha.kubernetes.io/hostname']).toBe('shop.acme.example');
    const certificate = await run.until('acme Certificate', () => get('Certificate', 'acme', 'web'));
    expect(certificate.spec).toMatchObject({ secretName: 'web-tls', dnsNames: ['shop.acme.example'] });
    expect(await get('Ingress', 'acme', 'web')).toBeUndefined();

    const plain = await run.until('globex plain Ingress', () => get('Ingress', 'globex', 'web'));
    expect(spec(plain).tls).toBeUndefined();
    expect(spec(plain).rules[0]?.host).toBe('www.globex.example');
    expect(plain.metadata.annotations?.['external-dns.alpha.kubernetes.io/hostname']).toBe(
      'www.globex.example',
    );
    expect(await get('Certificate', 'globex', 'web')).toBeUndefined();
    expect(await get('Ingress', 'globex', 'web-tls')).toBeUndefined();
  });

  it('verifying the domain creates the Certificate and the TLS Ingress, and prunes the plain one', async () => {
    await run.db.exec(`UPDATE tenants SET domain_verified = TRUE WHERE tenant_id = 'globex'`);
    await run.until('globex Certificate', exists('Certificate', 'globex', 'web'));
    await run.until('globex TLS Ingress', exists('Ingress', 'globex', 'web-tls'));
    await run.until('globex plain Ingress pruned', gone('Ingress', 'globex', 'web'));
  });

  it('unverifying creates the plain Ingress again, prunes the TLS one and keeps the Certificate orphaned (Retain)', async () => {
    await run.db.exec(`UPDATE tenants SET domain_verified = FALSE WHERE tenant_id = 'globex'`);
    await run.until('globex plain Ingress recreated', exists('Ingress', 'globex', 'web'));
    await run.until('globex TLS Ingress pruned', gone('Ingress', 'globex', 'web-tls'));
    const kept = await run.until('globex Certificate orphaned', async () => {
      const object = await get('Certificate', 'globex', 'web');
      return object?.metadata.labels?.[OrphanLabel] === 'true' ? object : undefined;
    });
    expect(kept.metadata.labels?.[OwnerLabel.node]).toBeUndefined();
  });

  it('verifying again takes the kept Certificate back', async () => {
    await run.db.exec(`UPDATE tenants SET domain_verified = TRUE WHERE tenant_id = 'globex'`);
    await run.until('globex Certificate owned again', async () => {
      const object = await get('Certificate', 'globex', 'web');
      return object?.metadata.labels?.[OwnerLabel.node] !== undefined ? true : undefined;
    });
    await run.until('globex plain Ingress pruned again', gone('Ingress', 'globex', 'web'));
  });
});
