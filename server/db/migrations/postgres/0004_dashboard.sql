-- The dashboard's access log pages: newest first, keyset-paginated on (server_time, id), with or
-- without a checkpoint, verdict or participant filter. The wider time index replaces access_logs_time.
DROP INDEX IF EXISTS access_logs_time;
CREATE INDEX access_logs_time_id ON access_logs (event_id, server_time, id);
CREATE INDEX access_logs_checkpoint_time ON access_logs (event_id, checkpoint_id, server_time, id);
CREATE INDEX access_logs_verdict_time ON access_logs (event_id, verdict, server_time, id);
-- One person's scans, newest first (the participant filter and page): without it the planner
-- walks the time index through every scan of the event.
CREATE INDEX access_logs_participant_time ON access_logs (event_id, participant_id, server_time, id);
-- Offline duplicates to review are few: a partial index finds them without reading the rest.
CREATE INDEX access_logs_offline_duplicates ON access_logs (event_id, server_time, id) WHERE offline_duplicate = 1;
