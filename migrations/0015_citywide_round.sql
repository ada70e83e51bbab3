-- The city-wide round (全市评选, SPEC.md §3): a city center's yearly round over its county
-- centers, with quotas, conditions, nominations, their files, review and public notice.

create table citywide_round (
    citywide_round_id bigint generated always as identity primary key,
    center_id bigint not null references center (center_id),
    year integer not null check (year between 2000 and 2100),
    title text not null check (length(title) between 1 and 200),
    deadline timestamptz not null,
    window_brief_limit integer not null check (window_brief_limit between 1 and 10000),
    window_full_limit integer not null check (window_full_limit between 1 and 50000),
    staff_brief_limit integer not null check (staff_brief_limit between 1 and 10000),
    staff_full_limit integer not null check (staff_full_limit between 1 and 50000),
    file_count_limit integer not null check (file_count_limit between 0 and 50),
    file_size_limit integer not null check (file_size_limit between 1024 and 20971520),
    phase text not null default 'nomination'
        check (phase in ('nomination', 'review', 'notice', 'confirmation', 'published')),
    notice_starts date,
    notice_ends date,
    objection_contact text not null default '' check (length(objection_contact) <= 1000),
    opened_at timestamptz not null default now(),
    published_at timestamptz,
    unique (center_id, year),
    unique (center_id, citywide_round_id),
    check (notice_ends is null or notice_ends >= notice_starts)
);
comment on table citywide_round is 'A city center''s yearly round over its county centers (全市评选).';
comment on column citywide_round.center_id is 'The city center running the round.';
comment on column citywide_round.deadline is 'When nominations close; the server''s clock decides.';
comment on column citywide_round.window_brief_limit is 'Most 字数 (SPEC.md §3a) of a window''s brief account (简版).';
comment on column citywide_round.window_full_limit is 'Most 字数 of a window''s full account (正版).';
comment on column citywide_round.staff_brief_limit is 'Most 字数 of a person''s brief account.';
comment on column citywide_round.staff_full_limit is 'Most 字数 of a person''s full account.';
comment on column citywide_round.file_count_limit is 'Most supporting files per nomination.';
comment on column citywide_round.file_size_limit is 'Largest supporting file, in bytes.';
comment on column citywide_round.phase is 'nomination (申报推荐), review (资格审核), notice (公示), confirmation (审核确认) or published (通报表彰).';
comment on column citywide_round.notice_starts is 'First day of the public notice (公示).';
comment on column citywide_round.notice_ends is 'Last day of the public notice.';
comment on column citywide_round.objection_contact is 'How to object besides the form (address, telephone), shown on the notice.';

create table citywide_quota (
    citywide_round_id bigint not null references citywide_round (citywide_round_id),
    county_center_id bigint not null references center (center_id),
    kind text not null check (kind in ('window', 'staff')),
    quota integer not null check (quota between 0 and 50),
    primary key (citywide_round_id, county_center_id, kind)
);
comment on table citywide_quota is 'How many windows or staff a county may nominate in a round (名额分配).';
comment on column citywide_quota.county_center_id is 'A county center under the round''s city center.';

create table citywide_condition (
    citywide_condition_id bigint generated always as identity primary key,
    citywide_round_id bigint not null references citywide_round (citywide_round_id),
    kind text not null check (kind in ('window', 'staff')),
    position integer not null check (position >= 1),
    text text not null check (length(text) between 1 and 500),
    rule text check (rule in ('honors', 'tenure', 'active')),
    min_count integer check (min_count between 1 and 100),
    since_year integer check (since_year between 2000 and 2100),
    unique (citywide_round_id, kind, position),
    check (rule is distinct from 'honors' or (min_count is not null and since_year is not null)),
    check (rule is distinct from 'tenure' or min_count is not null)
);
comment on table citywide_condition is 'An application condition (申报条件) of a round, for one kind.';
comment on column citywide_condition.rule is 'How the system checks it from its records: honors (at least min_count honors since since_year), tenure (at the window min_count years or more), active (still at the window); null when declared with evidence.';

alter table staff add column posted_on date;
comment on column staff.posted_on is 'The day the person started at their window (到岗日期), for tenure conditions; null when not recorded.';

create table nomination (
    nomination_id bigint generated always as identity primary key,
    citywide_round_id bigint not null references citywide_round (citywide_round_id),
    county_center_id bigint not null references center (center_id),
    kind text not null check (kind in ('window', 'staff')),
    window_id bigint,
    staff_id bigint,
    brief text not null default '' check (length(brief) <= 20000),
    full_text text not null default '' check (length(full_text) <= 100000),
    status text not null default 'draft'
        check (status in ('draft', 'submitted', 'returned', 'accepted', 'rejected')),
    submitted_at timestamptz,
    return_reason text check (length(return_reason) between 1 and 1000),
    return_deadline timestamptz,
    decision_reason text check (length(decision_reason) between 1 and 1000),
    disqualified_at timestamptz,
    disqualified_reason text check (length(disqualified_reason) between 1 and 2000),
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    foreign key (county_center_id, window_id) references service_window (center_id, window_id),
    foreign key (county_center_id, staff_id) references staff (center_id, staff_id),
    check ((kind = 'window') = (window_id is not null) and num_nonnulls(window_id, staff_id) = 1),
    check (status not in ('submitted', 'accepted') or submitted_at is not null),
    check ((disqualified_at is null) = (disqualified_reason is null))
);
create unique index nomination_window on nomination (citywide_round_id, window_id) where window_id is not null;
create unique index nomination_staff on nomination (citywide_round_id, staff_id) where staff_id is not null;
create index nomination_county on nomination (citywide_round_id, county_center_id, kind);
comment on table nomination is 'A county''s nomination (申报推荐) of one of its windows or staff in a round.';
comment on column nomination.brief is 'The brief account (简版事迹), the text shown in the public notice.';
comment on column nomination.full_text is 'The full account (正版事迹).';
comment on column nomination.status is 'draft, submitted, returned (退回补正), accepted or rejected in review.';
comment on column nomination.submitted_at is 'When it was last submitted, by the server''s clock.';
comment on column nomination.return_reason is 'Why the city returned it for correction.';
comment on column nomination.return_deadline is 'The later deadline of a returned nomination alone.';
comment on column nomination.decision_reason is 'Why the city rejected it in review.';
comment on column nomination.disqualified_reason is 'Why the city disqualified the nominee after the notice (取消评选资格).';
comment on column nomination.version is 'Bumped by every change, so that two editors do not overwrite each other.';

create table nomination_condition (
    nomination_id bigint not null references nomination (nomination_id),
    citywide_condition_id bigint not null references citywide_condition (citywide_condition_id),
    note text not null default '' check (length(note) <= 2000),
    review text check (review in ('verified', 'rejected')),
    review_reason text check (length(review_reason) between 1 and 1000),
    primary key (nomination_id, citywide_condition_id),
    check (review is distinct from 'rejected' or review_reason is not null)
);
comment on table nomination_condition is 'A nomination''s answer to one condition, and the city''s review of it.';
comment on column nomination_condition.note is 'What the county declares for the condition (说明).';
comment on column nomination_condition.review is 'verified or rejected by the city; null until reviewed.';
