-- A month is complete when each active window and staff member has a score or is marked
-- not assessed (未参加考核) with a reason; only a complete month can be locked (issue 13).

create table not_assessed (
    not_assessed_id bigint generated always as identity primary key,
    center_id bigint not null references center (center_id),
    month text not null check (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    window_id bigint,
    staff_id bigint,
    reason text not null check (length(reason) between 1 and 200),
    created_by bigint not null references account (account_id),
    created_at timestamptz not null default now(),
    foreign key (center_id, window_id) references service_window (center_id, window_id),
    foreign key (center_id, staff_id) references staff (center_id, staff_id),
    check (num_nonnulls(window_id, staff_id) = 1)
);
comment on table not_assessed is 'A window or staff member not assessed in a month (未参加考核: sick leave, secondment, joined late), with the reason shown to the person; it completes the month like a score does.';
comment on column not_assessed.center_id is 'The center.';
comment on column not_assessed.month is 'The month, e.g. 2026-10.';
comment on column not_assessed.window_id is 'The window (or null for a staff member).';
comment on column not_assessed.staff_id is 'The staff member (or null for a window).';
comment on column not_assessed.reason is 'Why there is no score, e.g. 病假; shown to the person and on the results.';
comment on column not_assessed.created_by is 'Who recorded it.';
comment on column not_assessed.created_at is 'When it was recorded.';
create unique index not_assessed_window_key on not_assessed (center_id, month, window_id) where window_id is not null;
create unique index not_assessed_staff_key on not_assessed (center_id, month, staff_id) where staff_id is not null;
