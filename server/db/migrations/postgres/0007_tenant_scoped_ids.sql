-- Ids that clients choose (a scan's id, a kiosk visit's, a queue ticket's) are unique within a
-- tenant, not across the platform: another tenant's row with the same id must neither hide a
-- new row nor be read back in its place. Their primary keys become (tenant_id, id).
--
-- A scan decided on the server also keeps `request_digest`, a digest of the request that made it
-- (what was presented, where, which way, who asked): asking again under the same scan id is a
-- retry only when the digest matches.
--
-- Occupancy counters above the bound a device may now report are brought down to it, so the
-- sums of counters stored before the bound cannot overflow.

ALTER TABLE access_logs DROP CONSTRAINT access_logs_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE access_logs ADD COLUMN request_digest TEXT;
ALTER TABLE kiosk_sessions DROP CONSTRAINT kiosk_sessions_pkey, ADD PRIMARY KEY (tenant_id, id);
ALTER TABLE queue_tickets DROP CONSTRAINT queue_tickets_pkey, ADD PRIMARY KEY (tenant_id, id);

-- gatehouse_db::occupancy::MAX_COUNT
UPDATE occupancy_counters SET ins = 10000000 WHERE ins > 10000000;
UPDATE occupancy_counters SET outs = 10000000 WHERE outs > 10000000;
