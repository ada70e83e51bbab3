-- Autovacuum's defaults act when a tenth of a table's rows (analyze) or a fifth (vacuum
-- after inserts) has changed. Two tables grow in bursts too small for that and are read
-- by the rows of the burst:
--
-- * ballot_receipt: a vote adds one center's receipts (2,400 for a province's largest
--   center) to a province's tens of thousands; until analyzed, the planner expects one
--   receipt of the period and reads the turnout's and the office home's by random index
--   scan and sort (about twice the time, measured in docs/PERFORMANCE.md). Analyzed after
--   every 200 changes instead.
-- * audit_log: every change adds a row, and the newest rows (the first pages of the log,
--   the ids kept for its far pages) are read by index-only scans, which visit the table
--   for pages not yet marked all-visible. Vacuumed after every 10,000 inserts instead of a
--   fifth of a million-row log (a vacuum after inserts only reads the pages not yet
--   all-visible).

alter table ballot_receipt set (autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 200);
alter table audit_log set (autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 10000);
