-- Honors: every winner of a published period, as the honor roll and the certificates show
-- them. Names, window, department and business area are copied at publication, so that a
-- later move or rename never changes a published honor. Each honor carries its
-- certificate number; a correction after publication revokes the honors it takes away
-- (with its reason) and issues the ones it gives.

create table honor (
    honor_id bigint generated always as identity primary key,
    center_id bigint not null,
    period_id bigint not null,
    kind text not null check (kind in ('window', 'staff')),
    window_id bigint,
    staff_id bigint,
    rank integer not null check (rank >= 1),
    name text not null check (length(name) between 1 and 100),
    window_label text not null,
    department text not null,
    business_area text not null,
    total numeric(5, 2) not null check (total between 0 and 100),
    certificate_no text not null unique check (certificate_no ~ '^[0-9A-Z-]{8,40}$'),
    issued_at timestamptz not null default now(),
    revoked_at timestamptz,
    revoked_reason text check (length(revoked_reason) between 1 and 1000),
    foreign key (center_id, period_id) references period (center_id, period_id),
    foreign key (center_id, window_id) references service_window (center_id, window_id),
    foreign key (center_id, staff_id) references staff (center_id, staff_id),
    check ((kind = 'window') = (window_id is not null) and num_nonnulls(window_id, staff_id) = 1),
    check ((revoked_at is null) = (revoked_reason is null))
);
create index honor_period_idx on honor (period_id, kind, rank);
create index honor_staff_idx on honor (staff_id) where staff_id is not null;
create unique index honor_current_window on honor (period_id, window_id) where revoked_at is null and window_id is not null;
create unique index honor_current_staff on honor (period_id, staff_id) where revoked_at is null and staff_id is not null;

comment on table honor is 'A winner of a published period (优质服务窗口 or 优秀服务标兵) with its certificate.';
comment on column honor.kind is 'window (优质服务窗口) or staff (优秀服务标兵).';
comment on column honor.rank is 'Place in the list of winners of its kind (1 = first).';
comment on column honor.name is 'The window''s number and name, or the person''s name, at publication.';
comment on column honor.window_label is 'The window (number and name) at publication.';
comment on column honor.department is 'The department (进驻单位) at publication.';
comment on column honor.business_area is 'The business area (业务范围) at publication.';
comment on column honor.total is 'Weighted total score (综合得分).';
comment on column honor.certificate_no is 'Certificate number printed on the certificate and verified publicly.';
comment on column honor.revoked_at is 'When a correction took the honor away (null while valid).';
comment on column honor.revoked_reason is 'The correction''s reason.';

-- The honors of a published period change only with a correction recorded in the same
-- transaction, and are never deleted.
create function honor_guard() returns trigger language plpgsql as $$
declare
    pid bigint;
begin
    if tg_op = 'DELETE' then
        raise exception 'honor: honors are never deleted; a correction revokes them';
    end if;
    if tg_op = 'UPDATE' then
        if (new.center_id, new.period_id, new.kind, new.window_id, new.staff_id, new.certificate_no, new.issued_at)
           is distinct from
           (old.center_id, old.period_id, old.kind, old.window_id, old.staff_id, old.certificate_no, old.issued_at) then
            raise exception 'honor: only rank, total and revocation can change';
        end if;
        if old.revoked_at is not null then
            raise exception 'honor: a revoked honor is final';
        end if;
    end if;
    pid := new.period_id;
    if exists (select 1 from period where period_id = pid and phase = 'published')
       and not exists (select 1 from period_correction c where c.period_id = pid and c.made_at = now()) then
        raise exception 'honor: the period is published; its honors change only by a correction';
    end if;
    return new;
end;
$$;

create trigger honor_locked before insert or update or delete on honor
    for each row execute function honor_guard();
create trigger honor_no_truncate before truncate on honor
    for each statement execute function is_append_only();

-- Honors for periods published before this migration, from their stored results and the
-- current names (the best that is known of them).
alter table honor disable trigger honor_locked;
insert into honor (center_id, period_id, kind, window_id, staff_id, rank, name, window_label,
                   department, business_area, total, certificate_no, issued_at)
select p.center_id, p.period_id, k.kind,
       case when k.kind = 'window' then w.window_id end,
       case when k.kind = 'staff' then s.staff_id end,
       x.n::int,
       case when k.kind = 'window' then w.number || '号窗口 ' || w.name else s.name end,
       w.number || '号窗口 ' || w.name, d.name, a.name,
       (e ->> 'total')::numeric,
       upper(replace(p.code, '-', '')) || '-' || case when k.kind = 'window' then 'W' else 'S' end
           || lpad(x.n::text, 2, '0') || '-' || upper(substr(md5(p.period_id || k.kind || x.id || random()::text), 1, 6)),
       p.published_at
from period p
cross join (values ('window'), ('staff')) k (kind)
cross join lateral jsonb_array_elements_text(p.results -> k.kind -> 'winners') with ordinality x (id, n)
join lateral (select e from jsonb_array_elements(p.results -> k.kind -> 'entrants') e where e ->> 'id' = x.id) en on true
left join staff s on k.kind = 'staff' and s.staff_id = substr(x.id, 2)::bigint
join service_window w on w.window_id = case when k.kind = 'window' then substr(x.id, 2)::bigint else s.window_id end
join department d on d.department_id = w.department_id
join business_area a on a.business_area_id = w.business_area_id
where p.phase = 'published' and p.results is not null;
alter table honor enable trigger honor_locked;

alter table staff add column photo_updated_at timestamptz;
comment on column staff.photo_updated_at is 'When the photo was last replaced (its version in URLs).';

-- Publication and corrections tell every server process to drop its cached honor roll.
comment on table period_correction is 'A correction of a published period, with its reason and the winners before and after. Append-only; every server process is notified (channel pingxuan_honor) when one is made.';

-- Spreadsheet imports: what an uploaded file would change, kept between the preview and
-- the confirmation, so that the confirmation writes exactly what was shown (or nothing,
-- when the scores changed in between).
create table import_batch (
    import_batch_id bigint generated always as identity primary key,
    center_id bigint not null references center (center_id),
    kind text not null check (kind in ('window_scores', 'staff_scores', 'roster')),
    month text check (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    file_name text not null check (length(file_name) <= 200),
    changes jsonb not null,
    created_by bigint not null references account (account_id),
    created_at timestamptz not null default now(),
    applied_at timestamptz,
    check ((kind = 'roster') = (month is null))
);
create index import_batch_center_idx on import_batch (center_id, created_at desc);

comment on table import_batch is 'An uploaded score sheet or roster between its preview and its confirmation.';
comment on column import_batch.kind is 'window_scores, staff_scores or roster.';
comment on column import_batch.month is 'The month (YYYY-MM) the scores belong to (null for a roster).';
comment on column import_batch.file_name is 'Name of the uploaded file, as the browser gave it.';
comment on column import_batch.changes is 'Scores: the changes shown in the preview, [{id, before, version, after}] in hundredths. Roster: the rows read and the actions shown.';
comment on column import_batch.created_by is 'Who uploaded it; only they can confirm it.';
comment on column import_batch.applied_at is 'When it was confirmed and written (null until then).';
