-- The city-wide round's honorees (通报表彰): certificates in the city's name, numbered and
-- verifiable like the others; a later disqualification revokes one with a reason.

alter table citywide_round
    add column window_title text not null default '全市优质服务窗口'
        check (length(window_title) between 1 and 50),
    add column staff_title text not null default '全市优秀服务标兵'
        check (length(staff_title) between 1 and 50);
comment on column citywide_round.window_title is 'The honor a window receives (全市优质服务窗口).';
comment on column citywide_round.staff_title is 'The honor a person receives (全市优秀服务标兵).';

create table citywide_honor (
    citywide_honor_id bigint generated always as identity primary key,
    citywide_round_id bigint not null references citywide_round (citywide_round_id),
    nomination_id bigint not null unique references nomination (nomination_id),
    county_center_id bigint not null references center (center_id),
    kind text not null check (kind in ('window', 'staff')),
    window_id bigint,
    staff_id bigint,
    name text not null check (length(name) between 1 and 100),
    window_label text not null,
    department text not null,
    county text not null,
    certificate_no text not null unique check (certificate_no ~ '^[0-9A-Z-]{8,40}$'),
    issued_at timestamptz not null default now(),
    revoked_at timestamptz,
    revoked_reason text check (length(revoked_reason) between 1 and 2000),
    foreign key (county_center_id, window_id) references service_window (center_id, window_id),
    foreign key (county_center_id, staff_id) references staff (center_id, staff_id),
    check ((kind = 'window') = (window_id is not null) and num_nonnulls(window_id, staff_id) = 1),
    check ((revoked_at is null) = (revoked_reason is null))
);
create index citywide_honor_county on citywide_honor (county_center_id, citywide_round_id);
comment on table citywide_honor is 'An honoree of a published city-wide round, with its certificate in the city''s name.';
comment on column citywide_honor.name is 'The window''s label or the person''s name when published.';
comment on column citywide_honor.county is 'The county center that nominated it, by name when published.';
comment on column citywide_honor.revoked_reason is 'Why a later correction revoked it.';
