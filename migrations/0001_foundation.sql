-- Foundation: centers, the organisation of a center, accounts, sessions, login throttling
-- and the append-only audit log. Every organisational row carries its center.

create table center (
    center_id bigint generated always as identity primary key,
    parent_center_id bigint references center (center_id),
    code text not null unique check (code ~ '^[a-z0-9-]{1,32}$'),
    name text not null check (length(name) between 1 and 100),
    active boolean not null default true,
    created_at timestamptz not null default now()
);
comment on table center is 'A government service center (中心); county centers point to their city center.';
comment on column center.parent_center_id is 'The city center above a county center; null for a top-level center.';
comment on column center.code is 'Short stable code used in URLs and exports.';
comment on column center.name is 'Full Chinese name, e.g. 示范市政务服务中心.';
comment on column center.active is 'False once the center no longer takes part.';
comment on column center.created_at is 'When the row was created.';

create table department (
    department_id bigint generated always as identity primary key,
    center_id bigint not null references center (center_id),
    name text not null check (length(name) between 1 and 100),
    sort_order integer not null default 0,
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (center_id, name),
    unique (center_id, department_id)
);
comment on table department is 'A department stationed in the center (进驻单位).';
comment on column department.center_id is 'The center the department belongs to.';
comment on column department.name is 'Name, unique within the center.';
comment on column department.sort_order is 'Display order; smaller first.';
comment on column department.active is 'Deactivated instead of deleted: history refers to it.';
comment on column department.created_at is 'When the row was created.';
comment on column department.updated_at is 'When the row was last changed.';

create table business_area (
    business_area_id bigint generated always as identity primary key,
    center_id bigint not null references center (center_id),
    name text not null check (length(name) between 1 and 100),
    sort_order integer not null default 0,
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (center_id, name),
    unique (center_id, business_area_id)
);
comment on table business_area is 'A business area (业务范围) that windows are grouped by.';
comment on column business_area.center_id is 'The center the business area belongs to.';
comment on column business_area.name is 'Name, unique within the center.';
comment on column business_area.sort_order is 'Display order; smaller first.';
comment on column business_area.active is 'Deactivated instead of deleted: history refers to it.';
comment on column business_area.created_at is 'When the row was created.';
comment on column business_area.updated_at is 'When the row was last changed.';

-- "window" is an SQL keyword, hence the table name; its key is window_id.
create table service_window (
    window_id bigint generated always as identity primary key,
    center_id bigint not null references center (center_id),
    number text not null check (length(number) between 1 and 20),
    name text not null check (length(name) between 1 and 100),
    department_id bigint not null,
    business_area_id bigint not null,
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (center_id, number),
    unique (center_id, window_id),
    foreign key (center_id, department_id) references department (center_id, department_id),
    foreign key (center_id, business_area_id) references business_area (center_id, business_area_id)
);
comment on table service_window is 'A service window (窗口), an entrant of the window awards.';
comment on column service_window.center_id is 'The center the window belongs to.';
comment on column service_window.number is 'Window number as shown in the hall, e.g. 12; unique within the center.';
comment on column service_window.name is 'Window name, e.g. 不动产登记.';
comment on column service_window.department_id is 'The department (进驻单位) staffing the window, of the same center.';
comment on column service_window.business_area_id is 'The business area (业务范围) of the window, of the same center.';
comment on column service_window.active is 'Deactivated instead of deleted: scores and ballots refer to it.';
comment on column service_window.created_at is 'When the row was created.';
comment on column service_window.updated_at is 'When the row was last changed.';

create table staff (
    staff_id bigint generated always as identity primary key,
    center_id bigint not null references center (center_id),
    name text not null check (length(name) between 1 and 50),
    employee_no text not null check (length(employee_no) between 1 and 30),
    window_id bigint not null,
    position text not null check (length(position) between 1 and 50),
    active boolean not null default true,
    photo bytea,
    photo_type text check (photo_type in ('image/jpeg', 'image/png', 'image/webp')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (center_id, employee_no),
    unique (center_id, staff_id),
    foreign key (center_id, window_id) references service_window (center_id, window_id),
    check ((photo is null) = (photo_type is null))
);
comment on table staff is 'A staff member (工作人员), an entrant of the staff awards.';
comment on column staff.center_id is 'The center the staff member works in.';
comment on column staff.name is 'Full name.';
comment on column staff.employee_no is 'Employee number (工号), unique within the center.';
comment on column staff.window_id is 'The window the person works at, of the same center.';
comment on column staff.position is 'Position (岗位), e.g. 综合受理员.';
comment on column staff.active is 'Deactivated instead of deleted: scores and results refer to the person.';
comment on column staff.photo is 'Optional photo for the honor roll, re-encoded by the server.';
comment on column staff.photo_type is 'MIME type of photo.';
comment on column staff.created_at is 'When the row was created.';
comment on column staff.updated_at is 'When the row was last changed.';

create index service_window_department_idx on service_window (department_id);
create index service_window_business_area_idx on service_window (business_area_id);
create index staff_window_idx on staff (window_id);

create table account (
    account_id bigint generated always as identity primary key,
    center_id bigint not null references center (center_id),
    username text not null check (username ~ '^[a-z0-9_.-]{3,32}$'),
    display_name text not null check (length(display_name) between 1 and 50),
    password_hash text not null,
    role text not null check (role in ('admin', 'supervision', 'window_head', 'leadership', 'staff')),
    window_id bigint,
    staff_id bigint,
    is_group_leader boolean not null default false,
    active boolean not null default true,
    must_change_password boolean not null default true,
    password_changed_at timestamptz,
    last_login_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique (username),
    foreign key (center_id, window_id) references service_window (center_id, window_id),
    foreign key (center_id, staff_id) references staff (center_id, staff_id),
    check ((role = 'window_head') = (window_id is not null)),
    check ((role = 'staff') = (staff_id is not null)),
    check (not is_group_leader or role = 'leadership')
);
comment on table account is 'A person who signs in; acts within its own center.';
comment on column account.center_id is 'The center the account acts in.';
comment on column account.username is 'Sign-in name, lower case, unique across all centers.';
comment on column account.display_name is 'Name shown on pages and in the audit log.';
comment on column account.password_hash is 'argon2id PHC string.';
comment on column account.role is 'admin, supervision (督查科), window_head (窗口负责人), leadership (领导小组成员) or staff.';
comment on column account.window_id is 'The window a window head represents; set exactly for window heads.';
comment on column account.staff_id is 'The staff member a staff account belongs to; set exactly for staff.';
comment on column account.is_group_leader is 'Leadership group leader (组长), who finalizes ratings.';
comment on column account.active is 'False once disabled; a disabled account cannot sign in and has no sessions.';
comment on column account.must_change_password is 'Set when an admin created or reset the password: the next sign-in must change it.';
comment on column account.password_changed_at is 'When the holder last set the password.';
comment on column account.last_login_at is 'Last successful sign-in.';
comment on column account.created_at is 'When the row was created.';
comment on column account.updated_at is 'When the row was last changed.';

create index account_center_idx on account (center_id, role);

create table session (
    session_hash bytea primary key,
    account_id bigint not null references account (account_id),
    csrf_token text not null,
    created_at timestamptz not null default now(),
    last_seen_at timestamptz not null default now(),
    ip text not null default '',
    user_agent text not null default ''
);
comment on table session is 'Server-side sign-in sessions; the cookie holds the id, the table only its hash.';
comment on column session.session_hash is 'SHA-256 of the random 128-bit session id in the cookie.';
comment on column session.account_id is 'The signed-in account.';
comment on column session.csrf_token is 'Per-session token that every form must send back.';
comment on column session.created_at is 'Sign-in time; the absolute timeout counts from here.';
comment on column session.last_seen_at is 'Last request (updated at most once a minute); the idle timeout counts from here.';
comment on column session.ip is 'Client address at sign-in.';
comment on column session.user_agent is 'Browser at sign-in (truncated).';

create index session_account_idx on session (account_id);

create table login_throttle (
    throttle_key text primary key,
    failures integer not null default 0,
    window_started_at timestamptz not null default now(),
    locked_until timestamptz
);
comment on table login_throttle is 'Failed sign-ins per username (known or not, so both answer alike) and per client address.';
comment on column login_throttle.throttle_key is 'user:<username> or ip:<address>.';
comment on column login_throttle.failures is 'Failures since window_started_at.';
comment on column login_throttle.window_started_at is 'Start of the counting window.';
comment on column login_throttle.locked_until is 'No attempt is evaluated before this time.';

create table audit_log (
    audit_id bigint generated always as identity primary key,
    center_id bigint references center (center_id),
    actor_account_id bigint references account (account_id),
    actor_name text not null,
    at timestamptz not null default now(),
    action text not null,
    entity text not null,
    entity_id text not null default '',
    before jsonb,
    after jsonb,
    ip text not null default ''
);
comment on table audit_log is 'Append-only record of every change: who, when, what, before and after.';
comment on column audit_log.center_id is 'The center the change belongs to; null for events without one (an unknown username).';
comment on column audit_log.actor_account_id is 'The account that acted, when signed in.';
comment on column audit_log.actor_name is 'Who acted, as shown (display name and username, or the attempted username).';
comment on column audit_log.at is 'When the change was committed.';
comment on column audit_log.action is 'What happened, e.g. window.update, login.failure.';
comment on column audit_log.entity is 'Kind of row changed, e.g. service_window.';
comment on column audit_log.entity_id is 'Id of the row changed.';
comment on column audit_log.before is 'The row before the change (null on create).';
comment on column audit_log.after is 'The row after the change (null when nothing remains).';
comment on column audit_log.ip is 'Client address of the request.';

create index audit_log_center_at_idx on audit_log (center_id, at desc);
create index audit_log_entity_idx on audit_log (entity, entity_id);

create function audit_log_is_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit_log is append-only: % is not allowed', tg_op;
end;
$$;

create trigger audit_log_no_update_delete
    before update or delete on audit_log
    for each row execute function audit_log_is_append_only();

create trigger audit_log_no_truncate
    before truncate on audit_log
    for each statement execute function audit_log_is_append_only();
