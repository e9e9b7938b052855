-- Ids that clients choose (a scan's id, a kiosk visit's, a queue ticket's) are unique within a
-- tenant, not across the platform: another tenant's row with the same id must neither hide a
-- new row nor be read back in its place. Their primary keys become (tenant_id, id). SQLite cannot
-- change a primary key in place, so each table is copied into its new shape.
--
-- A scan decided on the server also keeps `request_digest`, a digest of the request that made it
-- (what was presented, where, which way, who asked): asking again under the same scan id is a
-- retry only when the digest matches.
--
-- Occupancy counters above the bound a device may now report are brought down to it, so the
-- sums of counters stored before the bound cannot overflow.

CREATE TABLE access_logs_0007 (
    id TEXT NOT NULL,
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
    offline_duplicate BIGINT NOT NULL,
    request_digest TEXT,
    PRIMARY KEY (tenant_id, id)
);
INSERT INTO access_logs_0007 (id, tenant_id, event_id, checkpoint_id, zone_id, device_id,
    participant_id, credential_seq, movement, verdict, reason, override_reason, device_time,
    corrected_time, server_time, received_at, source, offline_duplicate)
SELECT id, tenant_id, event_id, checkpoint_id, zone_id, device_id, participant_id, credential_seq,
    movement, verdict, reason, override_reason, device_time, corrected_time, server_time,
    received_at, source, offline_duplicate
FROM access_logs;
DROP TABLE access_logs;
ALTER TABLE access_logs_0007 RENAME TO access_logs;
CREATE INDEX access_logs_history ON access_logs (event_id, participant_id, zone_id, server_time);
CREATE INDEX access_logs_time_id ON access_logs (event_id, server_time, id);
CREATE INDEX access_logs_checkpoint_time ON access_logs (event_id, checkpoint_id, server_time, id);
CREATE INDEX access_logs_verdict_time ON access_logs (event_id, verdict, server_time, id);
CREATE INDEX access_logs_participant_time ON access_logs (event_id, participant_id, server_time, id);
CREATE INDEX access_logs_offline_duplicates ON access_logs (event_id, server_time, id) WHERE offline_duplicate = 1;

CREATE TABLE kiosk_sessions_0007 (
    id TEXT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    event_id TEXT NOT NULL REFERENCES events(id),
    device_id TEXT NOT NULL,
    participant_id TEXT,
    identified_by TEXT,
    language TEXT,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    scan_id TEXT,
    verdict TEXT,
    outcome TEXT NOT NULL,
    badge TEXT,
    queue_ticket_id TEXT,
    revision BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
INSERT INTO kiosk_sessions_0007 (id, tenant_id, event_id, device_id, participant_id,
    identified_by, language, started_at, ended_at, scan_id, verdict, outcome, badge,
    queue_ticket_id, revision, received_at)
SELECT id, tenant_id, event_id, device_id, participant_id, identified_by, language, started_at,
    ended_at, scan_id, verdict, outcome, badge, queue_ticket_id, revision, received_at
FROM kiosk_sessions;
DROP TABLE kiosk_sessions;
ALTER TABLE kiosk_sessions_0007 RENAME TO kiosk_sessions;
CREATE INDEX kiosk_sessions_recent ON kiosk_sessions (tenant_id, started_at);
CREATE INDEX kiosk_sessions_device ON kiosk_sessions (tenant_id, device_id, started_at);

CREATE TABLE queue_tickets_0007 (
    id TEXT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id),
    event_id TEXT NOT NULL REFERENCES events(id),
    device_id TEXT NOT NULL,
    session_id TEXT,
    desk TEXT NOT NULL,
    number BIGINT NOT NULL,
    label TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    status_changed_at BIGINT,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
INSERT INTO queue_tickets_0007 (id, tenant_id, event_id, device_id, session_id, desk, number,
    label, issued_at, status, status_changed_at, received_at)
SELECT id, tenant_id, event_id, device_id, session_id, desk, number, label, issued_at, status,
    status_changed_at, received_at
FROM queue_tickets;
DROP TABLE queue_tickets;
ALTER TABLE queue_tickets_0007 RENAME TO queue_tickets;
CREATE INDEX queue_tickets_queue ON queue_tickets (tenant_id, status, desk, issued_at);

-- gatehouse_db::occupancy::MAX_COUNT
UPDATE occupancy_counters SET ins = 10000000 WHERE ins > 10000000;
UPDATE occupancy_counters SET outs = 10000000 WHERE outs > 10000000;
