-- REST API v1: answers to POST requests sent with an Idempotency-Key, kept 24 hours so a retried
-- request gets the first answer instead of creating twice. Keyed per API key: two integrators
-- may pick the same key text. `request_hash` (SHA-256 of method, path and body) tells a true
-- retry from a different request reusing the key.
CREATE TABLE idempotency_keys (
    api_key_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    request_hash TEXT NOT NULL,
    status BIGINT NOT NULL,
    response_body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (api_key_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- The participants list pages by id within a tenant, and filters on the last change.
CREATE INDEX participants_tenant_id ON participants (tenant_id, id);
CREATE INDEX participants_tenant_updated ON participants (tenant_id, updated_at);

-- An API key may be limited to client addresses: a JSON array of CIDR blocks
-- (["203.0.113.0/24", "2001:db8::/32"]); NULL admits any address.
ALTER TABLE api_keys ADD COLUMN allowed_ips TEXT;
