-- Duty days from a workbook (issue 13): an import batch may carry a period's duty days.

alter table import_batch add column period_id bigint;
alter table import_batch add foreign key (center_id, period_id) references period (center_id, period_id);
alter table import_batch drop constraint import_batch_kind_check;
alter table import_batch add constraint import_batch_kind_check
    check (kind in ('window_scores', 'staff_scores', 'roster', 'duty_days'));
alter table import_batch drop constraint import_batch_check;
alter table import_batch add constraint import_batch_month_kind_check
    check ((kind in ('window_scores', 'staff_scores')) = (month is not null));
alter table import_batch add constraint import_batch_period_check
    check ((kind = 'duty_days') = (period_id is not null));
comment on column import_batch.kind is 'window_scores, staff_scores, roster or duty_days.';
comment on column import_batch.period_id is 'The period whose duty days the batch carries (null for scores and rosters).';
comment on column import_batch.changes is 'Scores: the changes shown in the preview, [{id, before, version, after}] in hundredths. Duty days: the same in days. Roster: the rows read and the actions shown.';
