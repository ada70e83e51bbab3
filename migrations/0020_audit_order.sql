-- The audit page lists a center's rows newest first by audit_id (the order they were
-- written in); with a million rows in one center, that order must come from an index.
create index audit_log_center_id_idx on audit_log (center_id, audit_id desc);
