-- Self-service kiosks: attendees' visits and the queue tickets kiosks hand out, uploaded by the
-- devices through POST /sync/v1/kiosk (ids made on the device, upserted). Every row has a tenant.

-- What the device last said it runs as (`kiosk` or `gate`), and its kiosk outbox.
ALTER TABLE devices ADD COLUMN mode TEXT;
ALTER TABLE devices ADD COLUMN kiosk_outbox_depth BIGINT;

-- One attendee's visit. `revision` grows with each change on the kiosk; an upload carrying an
-- older revision than the row's changes nothing. `outcome` sums the visit up for lists.
CREATE TABLE kiosk_sessions (
    id TEXT PRIMARY KEY,
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
    received_at BIGINT NOT NULL
);
CREATE INDEX kiosk_sessions_recent ON kiosk_sessions (tenant_id, started_at);
CREATE INDEX kiosk_sessions_device ON kiosk_sessions (tenant_id, device_id, started_at);

-- A numbered ticket for a desk. The kiosk owns the number; the desk's `status` (waiting, served,
-- cancelled) is the server's, changed by admins, and never overwritten by an upload.
CREATE TABLE queue_tickets (
    id TEXT PRIMARY KEY,
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
    received_at BIGINT NOT NULL
);
CREATE INDEX queue_tickets_queue ON queue_tickets (tenant_id, status, desk, issued_at);
