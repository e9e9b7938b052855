-- The dashboard's access log pages: newest first, keyset-paginated on (server_time, id), with or
-- without a checkpoint or verdict filter. The wider time index replaces access_logs_time.
DROP INDEX IF EXISTS access_logs_time;
CREATE INDEX access_logs_time_id ON access_logs (event_id, server_time, id);
CREATE INDEX access_logs_checkpoint_time ON access_logs (event_id, checkpoint_id, server_time, id);
CREATE INDEX access_logs_verdict_time ON access_logs (event_id, verdict, server_time, id);
