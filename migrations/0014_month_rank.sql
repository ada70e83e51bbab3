-- A month's rank on the year page (issue 13): how many windows (or staff) of the center
-- scored better that month. Counting them row by row costs a scan of the month's scores;
-- this table counts the entrants at each score of a month, kept by trigger, so that a rank
-- is the sum over the few distinct scores above one's own.

create table month_score_count (
    center_id bigint not null references center (center_id),
    month text not null,
    kind text not null check (kind in ('window', 'staff')),
    score numeric(5, 2) not null,
    entrants integer not null check (entrants >= 0),
    primary key (center_id, month, kind, score)
);
comment on table month_score_count is 'How many windows or staff of a center have each score in a month; kept equal to monthly_score by the trigger monthly_score_counts.';
comment on column month_score_count.center_id is 'The center.';
comment on column month_score_count.month is 'The month, e.g. 2026-10.';
comment on column month_score_count.kind is 'window or staff.';
comment on column month_score_count.score is 'A score given that month.';
comment on column month_score_count.entrants is 'How many of that kind have it.';

create function month_score_count_sync() returns trigger language plpgsql as $$
begin
    if tg_op in ('UPDATE', 'DELETE') then
        update month_score_count set entrants = entrants - 1
         where center_id = old.center_id and month = old.month and score = old.score
           and kind = case when old.staff_id is null then 'window' else 'staff' end;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        insert into month_score_count (center_id, month, kind, score, entrants)
        values (new.center_id, new.month,
                case when new.staff_id is null then 'window' else 'staff' end, new.score, 1)
        on conflict (center_id, month, kind, score)
        do update set entrants = month_score_count.entrants + 1;
    end if;
    return null;
end
$$;
comment on function month_score_count_sync() is 'Moves a score''s count in month_score_count when a monthly score is written or removed.';

create trigger monthly_score_counts after insert or update or delete on monthly_score
    for each row execute function month_score_count_sync();

insert into month_score_count (center_id, month, kind, score, entrants)
select center_id, month, case when staff_id is null then 'window' else 'staff' end, score, count(*)
  from monthly_score
 group by 1, 2, 3, 4;
