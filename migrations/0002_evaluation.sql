-- The evaluation round: schemes, periods and their phases, monthly scores, duty days,
-- vetoes, secret ballots (receipts and per-candidate counters, never linked), ratings and
-- tie decisions. Every row carries its center; windows and staff are referenced through
-- (center_id, id) so that no row can point into another center.

create table scheme (
    scheme_id bigint generated always as identity primary key,
    center_id bigint not null references center (center_id),
    name text not null check (length(name) between 1 and 50),
    period_kind text not null check (period_kind in ('quarter', 'month', 'year')),
    rules jsonb not null,
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (center_id, name),
    unique (center_id, scheme_id)
);
comment on table scheme is 'An evaluation scheme (评选方案): weights, counts and thresholds, copied onto each period it opens.';
comment on column scheme.center_id is 'The center the scheme belongs to.';
comment on column scheme.name is 'Name, e.g. 季度评选.';
comment on column scheme.period_kind is 'quarter, month or year: the periods it opens.';
comment on column scheme.rules is 'The rules object of the recount format (SPEC.md §5), checked by the scoring module.';
comment on column scheme.active is 'False once retired; periods opened with it keep their copy.';
comment on column scheme.created_at is 'When the row was created.';
comment on column scheme.updated_at is 'When the row was last changed.';

create table period (
    period_id bigint generated always as identity primary key,
    center_id bigint not null references center (center_id),
    code text not null check (code ~ '^[0-9]{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$'),
    scheme_id bigint not null,
    rules jsonb not null,
    months text[] not null check (cardinality(months) between 1 and 12),
    phase text not null default 'entry'
        check (phase in ('entry', 'candidates', 'voting', 'rating', 'review', 'published')),
    candidates jsonb,
    frozen_input jsonb,
    entrant_names jsonb,
    results jsonb,
    recount jsonb,
    published_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (center_id, code),
    unique (center_id, period_id),
    foreign key (center_id, scheme_id) references scheme (center_id, scheme_id),
    check ((phase = 'published') = (published_at is not null))
);
comment on table period is 'An evaluation period (评选周期): 2026-Q1, 2026-03 or 2026.';
comment on column period.center_id is 'The center running the period.';
comment on column period.code is 'Period id: 2026-Q1 (quarter), 2026-03 (month), 2026 (year); unique within the center.';
comment on column period.scheme_id is 'The scheme it was opened from.';
comment on column period.rules is 'The scheme''s rules as copied when the period opened; later scheme edits never change it.';
comment on column period.months is 'The months whose scores the period uses, e.g. {2026-01,2026-02,2026-03}.';
comment on column period.phase is 'entry (考核录入), candidates (候选确定), voting (民主推荐), rating (综合评定), review (审定), published (已发布).';
comment on column period.candidates is 'The scoring module''s result when the candidates were confirmed (the snapshot voting uses).';
comment on column period.frozen_input is 'The recount input (entrants, their windows, scores, duty days, vetoes) as confirmed with the candidates; everything after is computed from it, so later changes of the organisation cannot change the round.';
comment on column period.entrant_names is 'Names of the entrants of frozen_input by recount id, as they were at confirmation.';
comment on column period.results is 'The scoring module''s result as published (or as corrected since).';
comment on column period.recount is 'The recount input (SPEC.md §5, democratic recommendation as tallies) the published results were computed from.';
comment on column period.published_at is 'When the results were published.';
comment on column period.created_at is 'When the row was created.';
comment on column period.updated_at is 'When the row was last changed.';

-- One vote and one rating round at a time per center, so that a ballot or a rating can only
-- be meant for one period.
create unique index period_one_voting on period (center_id) where phase = 'voting';
create unique index period_one_rating on period (center_id) where phase = 'rating';

create table monthly_score (
    monthly_score_id bigint generated always as identity primary key,
    center_id bigint not null references center (center_id),
    month text not null check (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    window_id bigint,
    staff_id bigint,
    score numeric(5, 2) not null check (score between 0 and 100),
    version integer not null default 1,
    updated_by bigint references account (account_id),
    updated_at timestamptz not null default now(),
    foreign key (center_id, window_id) references service_window (center_id, window_id),
    foreign key (center_id, staff_id) references staff (center_id, staff_id),
    check (num_nonnulls(window_id, staff_id) = 1)
);
comment on table monthly_score is 'The supervision office''s monthly 100-point assessment (百分考核) of a window or a staff member. Scores belong to months, not periods.';
comment on column monthly_score.center_id is 'The center.';
comment on column monthly_score.month is 'The month assessed, e.g. 2026-03.';
comment on column monthly_score.window_id is 'The window assessed (or null for a staff member).';
comment on column monthly_score.staff_id is 'The staff member assessed (or null for a window).';
comment on column monthly_score.score is 'Score from 0 to 100 with at most two decimals.';
comment on column monthly_score.version is 'Incremented on every change, so that a concurrent edit is detected, not overwritten.';
comment on column monthly_score.updated_by is 'Who last set the score.';
comment on column monthly_score.updated_at is 'When the score was last set.';
create unique index monthly_score_window_key on monthly_score (center_id, month, window_id) where window_id is not null;
create unique index monthly_score_staff_key on monthly_score (center_id, month, staff_id) where staff_id is not null;

create table duty_days (
    duty_days_id bigint generated always as identity primary key,
    center_id bigint not null,
    period_id bigint not null,
    staff_id bigint not null,
    days integer not null check (days between 0 and 366),
    version integer not null default 1,
    updated_by bigint references account (account_id),
    updated_at timestamptz not null default now(),
    unique (period_id, staff_id),
    foreign key (center_id, period_id) references period (center_id, period_id),
    foreign key (center_id, staff_id) references staff (center_id, staff_id)
);
comment on table duty_days is 'Days on duty of a staff member in a period (在岗天数).';
comment on column duty_days.center_id is 'The center.';
comment on column duty_days.period_id is 'The period.';
comment on column duty_days.staff_id is 'The staff member.';
comment on column duty_days.days is 'Days on duty in the period.';
comment on column duty_days.version is 'Incremented on every change (concurrent edits are detected).';
comment on column duty_days.updated_by is 'Who last set it.';
comment on column duty_days.updated_at is 'When it was last set.';

create table veto (
    veto_id bigint generated always as identity primary key,
    center_id bigint not null,
    period_id bigint not null,
    window_id bigint,
    staff_id bigint,
    code text not null check (code in ('reform_violation', 'disciplinary', 'verified_complaint',
                                       'corruption', 'major_incident', 'overdue_case')),
    occurred_on date not null,
    description text not null check (length(description) between 1 and 1000),
    evidence text not null default '' check (length(evidence) <= 1000),
    created_by bigint not null references account (account_id),
    created_at timestamptz not null default now(),
    revoked_at timestamptz,
    revoked_by bigint references account (account_id),
    revoked_reason text check (length(revoked_reason) between 1 and 1000),
    foreign key (center_id, period_id) references period (center_id, period_id),
    foreign key (center_id, window_id) references service_window (center_id, window_id),
    foreign key (center_id, staff_id) references staff (center_id, staff_id),
    check (num_nonnulls(window_id, staff_id) = 1),
    check ((revoked_at is null) = (revoked_reason is null) and (revoked_at is null) = (revoked_by is null))
);
comment on table veto is 'A one-vote veto (一票否决) recorded against a window or staff member for a period.';
comment on column veto.center_id is 'The center.';
comment on column veto.period_id is 'The period it disqualifies for.';
comment on column veto.window_id is 'The window (or null for a staff member).';
comment on column veto.staff_id is 'The staff member (or null for a window).';
comment on column veto.code is 'One of the six veto codes of SPEC.md §2.';
comment on column veto.occurred_on is 'When the incident happened.';
comment on column veto.description is 'What happened, plainly.';
comment on column veto.evidence is 'Where the evidence is (file number, report).';
comment on column veto.created_by is 'Who recorded it.';
comment on column veto.created_at is 'When it was recorded.';
comment on column veto.revoked_at is 'When it was revoked, if it was.';
comment on column veto.revoked_by is 'Who revoked it.';
comment on column veto.revoked_reason is 'Why it was revoked.';
create index veto_period_idx on veto (period_id);

create table ballot_receipt (
    ballot_receipt_id bigint generated always as identity primary key,
    center_id bigint not null,
    period_id bigint not null,
    kind text not null check (kind in ('window', 'staff')),
    account_id bigint not null references account (account_id),
    window_id bigint not null,
    cast_at timestamptz not null default now(),
    unique (period_id, kind, account_id),
    foreign key (center_id, period_id) references period (center_id, period_id),
    foreign key (center_id, window_id) references service_window (center_id, window_id)
);
comment on table ballot_receipt is 'That a window head cast a ballot of a kind in a period, and when; never what it said.';
comment on column ballot_receipt.center_id is 'The center.';
comment on column ballot_receipt.period_id is 'The period.';
comment on column ballot_receipt.kind is 'window or staff: which of the two ballots.';
comment on column ballot_receipt.account_id is 'The head who voted (one receipt per head, kind and period: the unique key is the guarantee).';
comment on column ballot_receipt.window_id is 'The head''s window when voting: the recusal and the denominator of D count by it.';
comment on column ballot_receipt.cast_at is 'When the ballot was cast (shown on the receipt).';

create table ballot_tally (
    ballot_tally_id bigint generated always as identity primary key,
    center_id bigint not null,
    period_id bigint not null,
    window_id bigint,
    staff_id bigint,
    recommendations integer not null default 0 check (recommendations >= 0),
    foreign key (center_id, period_id) references period (center_id, period_id),
    foreign key (center_id, window_id) references service_window (center_id, window_id),
    foreign key (center_id, staff_id) references staff (center_id, staff_id),
    check (num_nonnulls(window_id, staff_id) = 1)
);
comment on table ballot_tally is 'How many ballots recommended a candidate: counters created for every candidate when voting opens and incremented in the ballot''s transaction. No voter, receipt, time or order is kept.';
comment on column ballot_tally.center_id is 'The center.';
comment on column ballot_tally.period_id is 'The period.';
comment on column ballot_tally.window_id is 'The window candidate (or null).';
comment on column ballot_tally.staff_id is 'The staff candidate (or null).';
comment on column ballot_tally.recommendations is 'Ballots recommending the candidate.';
create unique index ballot_tally_window_key on ballot_tally (period_id, window_id) where window_id is not null;
create unique index ballot_tally_staff_key on ballot_tally (period_id, staff_id) where staff_id is not null;

create table rating (
    rating_id bigint generated always as identity primary key,
    center_id bigint not null,
    period_id bigint not null,
    account_id bigint not null references account (account_id),
    window_id bigint,
    staff_id bigint,
    score numeric(5, 2) not null check (score between 0 and 100),
    updated_at timestamptz not null default now(),
    foreign key (center_id, period_id) references period (center_id, period_id),
    foreign key (center_id, window_id) references service_window (center_id, window_id),
    foreign key (center_id, staff_id) references staff (center_id, staff_id),
    check (num_nonnulls(window_id, staff_id) = 1)
);
comment on table rating is 'A leadership member''s comprehensive rating (综合评定) of a candidate; editable until the rating phase closes.';
comment on column rating.center_id is 'The center.';
comment on column rating.period_id is 'The period.';
comment on column rating.account_id is 'The leadership member rating.';
comment on column rating.window_id is 'The window rated (or null).';
comment on column rating.staff_id is 'The staff member rated (or null).';
comment on column rating.score is 'Rating from 0 to 100 with at most two decimals.';
comment on column rating.updated_at is 'When it was last saved.';
create unique index rating_window_key on rating (period_id, account_id, window_id) where window_id is not null;
create unique index rating_staff_key on rating (period_id, account_id, staff_id) where staff_id is not null;

create table tie_decision (
    tie_decision_id bigint generated always as identity primary key,
    center_id bigint not null,
    period_id bigint not null,
    kind text not null check (kind in ('window', 'staff')),
    chosen bigint[] not null check (cardinality(chosen) >= 1),
    reason text not null check (length(reason) between 1 and 1000),
    decided_by bigint not null references account (account_id),
    decided_at timestamptz not null default now(),
    unique (period_id, kind),
    foreign key (center_id, period_id) references period (center_id, period_id)
);
comment on table tie_decision is 'How the leadership group settled an unresolved tie at the winners'' boundary.';
comment on column tie_decision.center_id is 'The center.';
comment on column tie_decision.period_id is 'The period.';
comment on column tie_decision.kind is 'window or staff.';
comment on column tie_decision.chosen is 'Ids (window_id or staff_id) of the tied entrants made winners.';
comment on column tie_decision.reason is 'The written reason (carried into the recount as decisions[].reason).';
comment on column tie_decision.decided_by is 'The group leader who recorded it.';
comment on column tie_decision.decided_at is 'When.';

create table period_correction (
    period_correction_id bigint generated always as identity primary key,
    center_id bigint not null,
    period_id bigint not null,
    reason text not null check (length(reason) between 1 and 1000),
    change jsonb not null,
    winners_before jsonb not null,
    winners_after jsonb not null,
    made_by bigint not null references account (account_id),
    made_at timestamptz not null default now(),
    foreign key (center_id, period_id) references period (center_id, period_id)
);
comment on table period_correction is 'A change to a published period (e.g. a veto found later), with its reason and the outcome it changed.';
comment on column period_correction.center_id is 'The center.';
comment on column period_correction.period_id is 'The published period corrected.';
comment on column period_correction.reason is 'Why the correction was made.';
comment on column period_correction.change is 'What was changed, e.g. {"veto": {...}}.';
comment on column period_correction.winners_before is 'Winners of each kind before the correction.';
comment on column period_correction.winners_after is 'Winners of each kind after it.';
comment on column period_correction.made_by is 'Who recorded the correction.';
comment on column period_correction.made_at is 'When.';
