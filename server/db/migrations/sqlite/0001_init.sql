-- Gatehouse platform schema, SQLite dialect. Ids are UUID text, times are BIGINT milliseconds
-- since the epoch and flags are BIGINT 0/1, so the PostgreSQL schema and every query are the same.

CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE tenant_features (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    flag TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, flag)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    email TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE roles (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE role_permissions (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    role_id TEXT NOT NULL REFERENCES roles(id),
    permission TEXT NOT NULL,
    PRIMARY KEY (role_id, permission)
);

CREATE TABLE user_roles (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    role_id TEXT NOT NULL REFERENCES roles(id),
    PRIMARY KEY (user_id, role_id)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    name TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    time_zone TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX events_tenant ON events (tenant_id);

CREATE TABLE zones (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    event_id TEXT NOT NULL REFERENCES events(id),
    name TEXT NOT NULL,
    capacity BIGINT,
    multiple_entry BIGINT NOT NULL
);
CREATE INDEX zones_event ON zones (event_id);

CREATE TABLE checkpoints (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    event_id TEXT NOT NULL REFERENCES events(id),
    zone_id TEXT NOT NULL REFERENCES zones(id),
    name TEXT NOT NULL,
    direction TEXT NOT NULL,
    active BIGINT NOT NULL
);
CREATE INDEX checkpoints_event ON checkpoints (event_id);

CREATE TABLE participant_categories (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    event_id TEXT NOT NULL REFERENCES events(id),
    name TEXT NOT NULL,
    UNIQUE (event_id, name)
);

CREATE TABLE participants (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    event_id TEXT NOT NULL REFERENCES events(id),
    full_name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    organisation TEXT,
    nationality TEXT,
    passport_number TEXT,
    date_of_birth TEXT,
    category TEXT NOT NULL,
    status TEXT NOT NULL,
    zone_ids TEXT NOT NULL,
    valid_from BIGINT,
    valid_until BIGINT,
    credential_seq BIGINT NOT NULL,
    blocked BIGINT NOT NULL,
    registration_code TEXT NOT NULL,
    photo BLOB,
    photo_type TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (event_id, registration_code)
);
CREATE INDEX participants_event_name ON participants (event_id, full_name);

CREATE TABLE ticket_keys (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    event_id TEXT NOT NULL REFERENCES events(id),
    key_id BIGINT NOT NULL,
    sealed_secret TEXT NOT NULL,
    retired BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (event_id, key_id)
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    event_id TEXT NOT NULL REFERENCES events(id),
    name TEXT NOT NULL,
    token_hash TEXT UNIQUE,
    pairing_code_hash TEXT UNIQUE,
    pairing_expires_at BIGINT,
    paired_at BIGINT,
    revoked_at BIGINT,
    app_version TEXT,
    profile TEXT,
    last_seen_at BIGINT,
    sync_cursor BIGINT,
    sync_lag BIGINT,
    outbox_depth BIGINT,
    clock_offset_ms BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX devices_event ON devices (event_id);

CREATE TABLE access_logs (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    event_id TEXT NOT NULL REFERENCES events(id),
    checkpoint_id TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    device_id TEXT,
    participant_id TEXT,
    credential_seq BIGINT,
    movement TEXT,
    verdict TEXT NOT NULL,
    reason TEXT NOT NULL,
    override_reason TEXT,
    device_time BIGINT NOT NULL,
    corrected_time BIGINT NOT NULL,
    server_time BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    source TEXT NOT NULL,
    offline_duplicate BIGINT NOT NULL
);
CREATE INDEX access_logs_history ON access_logs (event_id, participant_id, zone_id, server_time);
CREATE INDEX access_logs_time ON access_logs (event_id, server_time);

CREATE TABLE occupancy_counters (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    event_id TEXT NOT NULL REFERENCES events(id),
    source TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    ins BIGINT NOT NULL,
    outs BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (event_id, source, zone_id)
);

CREATE TABLE feed_seq (
    event_id TEXT PRIMARY KEY REFERENCES events(id),
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    seq BIGINT NOT NULL
);

CREATE TABLE feed_entries (
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    event_id TEXT NOT NULL REFERENCES events(id),
    kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    origin_device TEXT,
    payload TEXT NOT NULL,
    PRIMARY KEY (event_id, kind, entity_id)
);
CREATE INDEX feed_entries_seq ON feed_entries (event_id, seq);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX audit_log_tenant_time ON audit_log (tenant_id, at);
