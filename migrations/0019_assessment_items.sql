-- The itemized monthly assessment (考核细则 and 考核记录): a center's rules per kind,
-- versioned by the month they take effect from; the deductions and bonuses recorded as
-- they happen, with photos; appeals against them; and the public's ratings (好差评) per
-- month. A month assessed by records gets its monthly_score from them.

create table assessment_rules (
    assessment_rules_id bigint generated always as identity primary key,
    center_id bigint not null references center (center_id),
    kind text not null check (kind in ('window', 'staff')),
    effective_from text not null check (effective_from ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    mode text not null check (mode in ('direct', 'records')),
    appeal_days integer not null default 3 check (appeal_days between 1 and 30),
    created_by bigint references account (account_id),
    created_at timestamptz not null default now(),
    unique (center_id, kind, effective_from),
    unique (center_id, assessment_rules_id)
);
comment on table assessment_rules is 'A version of a center''s monthly assessment rules (考核细则) for windows or for staff, in force from a month until the next version.';
comment on column assessment_rules.center_id is 'The center.';
comment on column assessment_rules.kind is 'window or staff: whom the rules assess.';
comment on column assessment_rules.effective_from is 'The first month the version applies to, e.g. 2026-01.';
comment on column assessment_rules.mode is 'direct: the office types each month''s totals; records: the totals are computed from assessment records under these items.';
comment on column assessment_rules.appeal_days is 'Working days after a record within which it may be appealed.';
comment on column assessment_rules.created_by is 'Who saved the version.';
comment on column assessment_rules.created_at is 'When the version was saved.';

create table assessment_item (
    assessment_item_id bigint generated always as identity primary key,
    assessment_rules_id bigint not null references assessment_rules (assessment_rules_id),
    position integer not null check (position between 1 and 50),
    name text not null check (length(name) between 1 and 30),
    max_points numeric(5, 2) not null check (max_points > 0 and max_points <= 100),
    satisfaction_steps jsonb,
    unique (assessment_rules_id, position),
    unique (assessment_rules_id, name)
);
comment on table assessment_item is 'An item of the rules (服务态度, 工作纪律 …) with its maximum points; the items of a version sum to 100.';
comment on column assessment_item.assessment_rules_id is 'The version it belongs to.';
comment on column assessment_item.position is 'Its place in the sheet, from 1.';
comment on column assessment_item.name is 'Its name, e.g. 服务态度.';
comment on column assessment_item.max_points is 'Its maximum; the item is never below 0 nor above it.';
comment on column assessment_item.satisfaction_steps is 'For the public''s-rating item (群众评价): [[min rate in hundredths of a percent, points in hundredths], …] from the highest rate down; the month''s satisfaction rate gives the points of the first step it reaches (0 below the last). Null for other items.';

create table assessment_standard (
    assessment_standard_id bigint generated always as identity primary key,
    assessment_item_id bigint not null references assessment_item (assessment_item_id),
    position integer not null check (position between 1 and 50),
    name text not null check (length(name) between 1 and 30),
    points numeric(5, 2) not null check (points <> 0 and points between -100 and 100),
    monthly_cap numeric(5, 2) check (monthly_cap > 0 and monthly_cap <= 100),
    unique (assessment_item_id, position),
    unique (assessment_item_id, name)
);
comment on table assessment_standard is 'A standard deduction or bonus of an item (迟到早退 −0.5, 表扬信 +1).';
comment on column assessment_standard.assessment_item_id is 'The item it counts against.';
comment on column assessment_standard.position is 'Its place under the item, from 1.';
comment on column assessment_standard.name is 'What happened, e.g. 迟到早退.';
comment on column assessment_standard.points is 'Points per occurrence: negative a deduction, positive a bonus.';
comment on column assessment_standard.monthly_cap is 'The most it can take or give in one month (absolute points); null for no cap but the item''s own bounds.';

create table assessment_record (
    assessment_record_id bigint generated always as identity primary key,
    center_id bigint not null references center (center_id),
    month text not null check (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    window_id bigint,
    staff_id bigint,
    assessment_standard_id bigint not null references assessment_standard (assessment_standard_id),
    occurrences integer not null check (occurrences between 1 and 99),
    occurred_on date not null,
    note text not null check (length(note) <= 500),
    status text not null default 'active' check (status in ('active', 'cancelled')),
    recorded_by bigint references account (account_id),
    recorded_at timestamptz not null default now(),
    foreign key (center_id, window_id) references service_window (center_id, window_id),
    foreign key (center_id, staff_id) references staff (center_id, staff_id),
    check (num_nonnulls(window_id, staff_id) = 1),
    check (to_char(occurred_on, 'YYYY-MM') = month)
);
create index assessment_record_month on assessment_record (center_id, month);
create index assessment_record_window on assessment_record (window_id, month) where window_id is not null;
create index assessment_record_staff on assessment_record (staff_id, month) where staff_id is not null;
comment on table assessment_record is 'A deduction or bonus (考核记录) recorded against a window or a staff member on the day the office found it.';
comment on column assessment_record.center_id is 'The center.';
comment on column assessment_record.month is 'The month it counts in: the month of occurred_on.';
comment on column assessment_record.window_id is 'The window concerned (or null for a staff member).';
comment on column assessment_record.staff_id is 'The staff member concerned (or null for a window).';
comment on column assessment_record.assessment_standard_id is 'The standard that applied, of the rules in force in the month.';
comment on column assessment_record.occurrences is 'How many times it happened; the points are the standard''s times this.';
comment on column assessment_record.occurred_on is 'The day it happened.';
comment on column assessment_record.note is 'What the office saw, e.g. 8:40 到岗.';
comment on column assessment_record.status is 'active, or cancelled (by an appeal or as recorded in error); a cancelled record counts nothing and is kept.';
comment on column assessment_record.recorded_by is 'Who recorded it.';
comment on column assessment_record.recorded_at is 'When it was recorded: the appeal time limit runs from this day.';

create table assessment_record_photo (
    assessment_record_photo_id bigint generated always as identity primary key,
    assessment_record_id bigint not null references assessment_record (assessment_record_id),
    content_type text not null check (content_type in ('image/jpeg', 'image/png')),
    data bytea not null check (octet_length(data) between 1 and 20971520),
    uploaded_at timestamptz not null default now()
);
create index assessment_record_photo_record on assessment_record_photo (assessment_record_id);
comment on table assessment_record_photo is 'A photo taken as evidence of a record, re-encoded by the server before it is kept.';
comment on column assessment_record_photo.content_type is 'The stored image''s type.';

create table assessment_appeal (
    assessment_appeal_id bigint generated always as identity primary key,
    assessment_record_id bigint not null references assessment_record (assessment_record_id),
    filed_by bigint not null references account (account_id),
    reason text not null check (length(reason) between 1 and 1000),
    file_name text check (length(file_name) between 1 and 200),
    file_type text check (file_type in ('application/pdf', 'image/jpeg', 'image/png')),
    file_data bytea check (octet_length(file_data) between 1 and 20971520),
    filed_at timestamptz not null default now(),
    status text not null default 'open' check (status in ('open', 'upheld', 'cancelled', 'changed', 'closed')),
    decision text check (length(decision) between 1 and 1000),
    decided_by bigint references account (account_id),
    decided_at timestamptz,
    check (num_nonnulls(file_name, file_type, file_data) in (0, 3)),
    check ((status = 'open') = (decided_at is null)),
    check ((status = 'open') = (decision is null))
);
create unique index assessment_appeal_one_open on assessment_appeal (assessment_record_id) where status = 'open';
comment on table assessment_appeal is 'An appeal (申诉) against a record, and the office''s review (复核) of it.';
comment on column assessment_appeal.assessment_record_id is 'The record appealed.';
comment on column assessment_appeal.filed_by is 'The staff member concerned or the window''s head who appealed.';
comment on column assessment_appeal.reason is 'Why, as the appellant wrote it.';
comment on column assessment_appeal.file_name is 'The supporting file''s name, when one was attached.';
comment on column assessment_appeal.file_type is 'What the file''s first bytes say it is.';
comment on column assessment_appeal.file_data is 'The supporting file.';
comment on column assessment_appeal.status is 'open; upheld (记录维持), cancelled (记录撤销), changed (记录改变), or closed (closed by the office without a review, so that the month could lock).';
comment on column assessment_appeal.decision is 'The office''s reason for its decision.';
comment on column assessment_appeal.decided_by is 'Who decided.';
comment on column assessment_appeal.decided_at is 'When.';

create table satisfaction_figure (
    satisfaction_figure_id bigint generated always as identity primary key,
    center_id bigint not null references center (center_id),
    month text not null check (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    window_id bigint,
    staff_id bigint,
    very_satisfied integer not null check (very_satisfied >= 0),
    satisfied integer not null check (satisfied >= 0),
    basically_satisfied integer not null check (basically_satisfied >= 0),
    dissatisfied integer not null check (dissatisfied >= 0),
    very_dissatisfied integer not null check (very_dissatisfied >= 0),
    imported_by bigint references account (account_id),
    imported_at timestamptz not null default now(),
    foreign key (center_id, window_id) references service_window (center_id, window_id),
    foreign key (center_id, staff_id) references staff (center_id, staff_id),
    check (num_nonnulls(window_id, staff_id) = 1)
);
create unique index satisfaction_figure_window on satisfaction_figure (center_id, month, window_id) where window_id is not null;
create unique index satisfaction_figure_staff on satisfaction_figure (center_id, month, staff_id) where staff_id is not null;
comment on table satisfaction_figure is 'A month''s counts of the public''s ratings (政务服务“好差评”) of a window or a staff member, as imported from that system''s export.';
comment on column satisfaction_figure.very_satisfied is '非常满意.';
comment on column satisfaction_figure.satisfied is '满意.';
comment on column satisfaction_figure.basically_satisfied is '基本满意.';
comment on column satisfaction_figure.dissatisfied is '不满意.';
comment on column satisfaction_figure.very_dissatisfied is '非常不满意.';
comment on column satisfaction_figure.imported_by is 'Who imported it.';
comment on column satisfaction_figure.imported_at is 'When.';

-- An import batch may carry a month's public's-rating counts, between preview and
-- confirmation, as the score import does.
alter table import_batch drop constraint import_batch_kind_check;
alter table import_batch add constraint import_batch_kind_check
    check (kind in ('window_scores', 'staff_scores', 'roster', 'duty_days', 'window_ratings', 'staff_ratings'));
alter table import_batch drop constraint import_batch_month_kind_check;
alter table import_batch add constraint import_batch_month_kind_check
    check ((kind in ('window_scores', 'staff_scores', 'window_ratings', 'staff_ratings')) = (month is not null));
comment on column import_batch.kind is 'window_scores, staff_scores, roster, duty_days, window_ratings or staff_ratings.';

-- The city-wide round's condition "群众评价满意率99%以上" is checked from these figures:
-- min_count holds the percent, since_year the first year summed.
alter table citywide_condition drop constraint citywide_condition_rule_check;
alter table citywide_condition add constraint citywide_condition_rule_check
    check (rule in ('honors', 'tenure', 'active', 'satisfaction'));
alter table citywide_condition add constraint citywide_condition_satisfaction_check
    check (rule is distinct from 'satisfaction' or (min_count is not null and since_year is not null));
comment on column citywide_condition.rule is 'How the system checks it from its records: honors (at least min_count honors since since_year), tenure (at the window min_count years or more), active (still at the window), satisfaction (a 好差评 satisfaction rate of min_count percent or more since January of since_year); null when declared with evidence.';
