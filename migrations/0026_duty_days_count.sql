-- How many duty-day rows each period has, kept by a trigger: the duty days page shows
-- "已录 n / m" and counted a large center's 6,000 rows of the period for every request
-- (0.6 ms of the page's 1.1 ms in PostgreSQL). As month_score_count (migration 0014) does
-- for the monthly scores, the count moves with each row written or removed, in the same
-- transaction.

create table duty_days_count (
    period_id bigint primary key references period (period_id) on delete cascade,
    filled bigint not null check (filled >= 0)
);

comment on table duty_days_count is 'How many duty_days rows each period has; kept equal to duty_days by the triggers duty_days_counts and duty_days_counts_truncate.';
comment on column duty_days_count.period_id is 'The period.';
comment on column duty_days_count.filled is 'How many staff members have duty days recorded for it.';

create function duty_days_count_sync() returns trigger language plpgsql as $$
begin
    if tg_op in ('UPDATE', 'DELETE') then
        update duty_days_count set filled = filled - 1 where period_id = old.period_id;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        insert into duty_days_count (period_id, filled) values (new.period_id, 1)
        on conflict (period_id) do update set filled = duty_days_count.filled + 1;
    end if;
    return null;
end
$$;

comment on function duty_days_count_sync() is 'Moves a period''s count in duty_days_count when a duty_days row is written, moved to another period or removed.';

create trigger duty_days_counts after insert or delete or update of period_id on duty_days
    for each row execute function duty_days_count_sync();

create function duty_days_count_clear() returns trigger language plpgsql as $$
begin
    delete from duty_days_count;
    return null;
end
$$;

comment on function duty_days_count_clear() is 'Empties duty_days_count when duty_days is truncated.';

create trigger duty_days_counts_truncate after truncate on duty_days
    for each statement execute function duty_days_count_clear();

insert into duty_days_count (period_id, filled)
select period_id, count(*) from duty_days group by period_id;
