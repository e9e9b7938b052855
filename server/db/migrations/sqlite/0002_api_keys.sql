-- API keys for the REST API (/api/v1). Only the key's SHA-256 is kept; the key itself is shown
-- once, when it is created. `prefix` (the first 12 characters) lets admins and secret scanners
-- tell keys apart without the secret.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    tier TEXT NOT NULL,
    rate_limit_per_minute BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT,
    last_used_at BIGINT,
    use_count BIGINT NOT NULL DEFAULT 0,
    created_by TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);
