-- Custom domains, on MariaDB: each tenant may bring its own domain. The
-- application sets domain_verified once the tenant proved it owns the domain
-- (a DNS TXT record, say); only then does rowkube ask for a certificate.
CREATE TABLE tenants (
  tenant_id       VARCHAR(63) PRIMARY KEY,
  custom_domain   VARCHAR(253) NOT NULL,
  domain_verified BOOLEAN NOT NULL DEFAULT FALSE,
  app_version     VARCHAR(32) NOT NULL,
  active          BOOLEAN NOT NULL DEFAULT TRUE
);

INSERT INTO tenants (tenant_id, custom_domain, domain_verified, app_version) VALUES ('acme', 'shop.acme.example', TRUE, '2.4.0');
INSERT INTO tenants (tenant_id, custom_domain, domain_verified, app_version) VALUES ('globex', 'www.globex.example', FALSE, '2.4.0');
