-- Corrections and the database's own guard of locked and published data. What the
-- application promises (a month's scores are locked once a period using it has confirmed
-- its candidates; a published period is read-only; every later change is a recorded
-- correction with a reason), the database enforces as well, so that neither a defect in
-- the application nor an UPDATE typed by hand can change those rows silently.
--
-- "Recorded in the same transaction" is checked by the correction row's time: made_at
-- defaults to now(), which is the start time of the current transaction.

create table score_correction (
    score_correction_id bigint generated always as identity primary key,
    center_id bigint not null references center (center_id),
    month text not null check (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    window_id bigint,
    staff_id bigint,
    score_before numeric(5, 2) check (score_before between 0 and 100),
    score_after numeric(5, 2) not null check (score_after between 0 and 100),
    reason text not null check (length(reason) between 1 and 1000),
    periods text[] not null,
    made_by bigint not null references account (account_id),
    made_at timestamptz not null default now(),
    foreign key (center_id, window_id) references service_window (center_id, window_id),
    foreign key (center_id, staff_id) references staff (center_id, staff_id),
    check (num_nonnulls(window_id, staff_id) = 1)
);
create index score_correction_month_idx on score_correction (center_id, month);

comment on table score_correction is 'A change of a monthly score after a period using the month confirmed its candidates. Append-only.';
comment on column score_correction.score_before is 'The score before the correction (null when there was none).';
comment on column score_correction.score_after is 'The corrected score.';
comment on column score_correction.reason is 'Why the score was corrected, as the supervision office wrote it.';
comment on column score_correction.periods is 'Codes of the periods whose round the correction changed.';

create function is_append_only() returns trigger language plpgsql as $$
begin
    raise exception '% is append-only: % is not allowed', tg_table_name, tg_op;
end;
$$;

create trigger score_correction_append_only before update or delete on score_correction
    for each row execute function is_append_only();
create trigger score_correction_no_truncate before truncate on score_correction
    for each statement execute function is_append_only();
create trigger period_correction_append_only before update or delete on period_correction
    for each row execute function is_append_only();
create trigger period_correction_no_truncate before truncate on period_correction
    for each statement execute function is_append_only();

-- Whether a period of the center that uses the month has confirmed its candidates.
create function month_is_locked(p_center_id bigint, p_month text) returns boolean
    language sql stable as $$
    select exists (
        select 1 from period
        where center_id = p_center_id and p_month = any (months)
          and phase in ('voting', 'rating', 'review', 'published'))
$$;

-- A score of a locked month changes only together with its correction, and is never
-- removed.
create function monthly_score_guard() returns trigger language plpgsql as $$
declare
    r monthly_score;
begin
    if tg_op = 'UPDATE' and (old.center_id, old.month, old.window_id, old.staff_id)
            is distinct from (new.center_id, new.month, new.window_id, new.staff_id) then
        raise exception 'monthly_score: the month and the entrant of a score cannot change';
    end if;
    if tg_op = 'DELETE' then
        r := old;
    else
        r := new;
    end if;
    if month_is_locked(r.center_id, r.month) then
        if tg_op = 'DELETE' then
            raise exception 'monthly_score: % is locked; a score of a locked month cannot be removed', r.month;
        end if;
        if not exists (
            select 1 from score_correction c
            where c.center_id = r.center_id and c.month = r.month
              and c.window_id is not distinct from r.window_id
              and c.staff_id is not distinct from r.staff_id
              and c.score_after = r.score
              and c.made_at = now()) then
            raise exception 'monthly_score: % is locked; a change needs a score correction with a reason', r.month;
        end if;
    end if;
    if tg_op = 'DELETE' then
        return old;
    end if;
    return new;
end;
$$;

create trigger monthly_score_locked before insert or update or delete on monthly_score
    for each row execute function monthly_score_guard();

-- Once candidates are confirmed, a period's round changes only with a score correction
-- (before publication) or a period correction (after); from voting on it only moves
-- forward, one phase at a time; a published period never leaves that phase and is never
-- deleted.
create function period_guard() returns trigger language plpgsql as $$
declare
    next_phase text;
begin
    if tg_op = 'DELETE' then
        if old.phase = 'published' then
            raise exception 'period %: a published period cannot be deleted', old.code;
        end if;
        return old;
    end if;
    if old.phase = 'published' then
        if (new.center_id, new.code, new.scheme_id, new.rules, new.months, new.phase,
            new.published_at, new.candidates, new.entrant_names)
           is distinct from
           (old.center_id, old.code, old.scheme_id, old.rules, old.months, old.phase,
            old.published_at, old.candidates, old.entrant_names) then
            raise exception 'period %: published; only its results can change, by a correction', old.code;
        end if;
        if (new.frozen_input, new.recount, new.results)
               is distinct from (old.frozen_input, old.recount, old.results)
           and not exists (select 1 from period_correction c
                           where c.period_id = old.period_id and c.made_at = now()) then
            raise exception 'period %: published; a change of its results needs a correction with a reason', old.code;
        end if;
    elsif old.phase in ('voting', 'rating', 'review') then
        next_phase := case old.phase when 'voting' then 'rating'
                                     when 'rating' then 'review'
                                     else 'published' end;
        if new.phase not in (old.phase, next_phase) then
            raise exception 'period %: from % it can only move on to the next phase', old.code, old.phase;
        end if;
        if new.phase = 'published' and (new.results is null or new.recount is null) then
            raise exception 'period %: publication needs its results and recount', old.code;
        end if;
        if (new.center_id, new.code, new.scheme_id, new.rules, new.months)
           is distinct from
           (old.center_id, old.code, old.scheme_id, old.rules, old.months) then
            raise exception 'period %: its rules and months are fixed once candidates are confirmed', old.code;
        end if;
        if (new.frozen_input, new.candidates, new.entrant_names)
               is distinct from (old.frozen_input, old.candidates, old.entrant_names)
           and not exists (select 1 from score_correction c
                           where c.center_id = old.center_id and old.code = any (c.periods)
                             and c.made_at = now()) then
            raise exception 'period %: its confirmed round changes only by a score correction', old.code;
        end if;
    end if;
    return new;
end;
$$;

create trigger period_locked before update or delete on period
    for each row execute function period_guard();

-- TRUNCATE fires no row trigger: refuse it on every table the guards above protect.
create function refuse_truncate() returns trigger language plpgsql as $$
begin
    raise exception '% cannot be truncated: its rows are guarded one by one', tg_table_name;
end;
$$;

create trigger period_no_truncate before truncate on period
    for each statement execute function refuse_truncate();
create trigger monthly_score_no_truncate before truncate on monthly_score
    for each statement execute function refuse_truncate();
create trigger duty_days_no_truncate before truncate on duty_days
    for each statement execute function refuse_truncate();
create trigger veto_no_truncate before truncate on veto
    for each statement execute function refuse_truncate();
create trigger ballot_receipt_no_truncate before truncate on ballot_receipt
    for each statement execute function refuse_truncate();
create trigger ballot_tally_no_truncate before truncate on ballot_tally
    for each statement execute function refuse_truncate();
create trigger rating_no_truncate before truncate on rating
    for each statement execute function refuse_truncate();
create trigger tie_decision_no_truncate before truncate on tie_decision
    for each statement execute function refuse_truncate();

-- Ballots, counters, ratings, decisions and duty days of a published period are final.
create function period_row_guard() returns trigger language plpgsql as $$
begin
    if tg_op in ('UPDATE', 'DELETE')
       and exists (select 1 from period where period_id = old.period_id and phase = 'published') then
        raise exception '%: the period is published; its rows are final', tg_table_name;
    end if;
    if tg_op in ('INSERT', 'UPDATE')
       and exists (select 1 from period where period_id = new.period_id and phase = 'published') then
        raise exception '%: the period is published; its rows are final', tg_table_name;
    end if;
    if tg_op = 'DELETE' then
        return old;
    end if;
    return new;
end;
$$;

create trigger ballot_receipt_published before insert or update or delete on ballot_receipt
    for each row execute function period_row_guard();
create trigger ballot_tally_published before insert or update or delete on ballot_tally
    for each row execute function period_row_guard();
create trigger rating_published before insert or update or delete on rating
    for each row execute function period_row_guard();
create trigger tie_decision_published before insert or update or delete on tie_decision
    for each row execute function period_row_guard();
create trigger duty_days_published before insert or update or delete on duty_days
    for each row execute function period_row_guard();

-- A veto of a published period is added only by a correction, and never changed after.
create function veto_guard() returns trigger language plpgsql as $$
declare
    pid bigint;
begin
    if tg_op = 'INSERT' then
        pid := new.period_id;
    else
        pid := old.period_id;
    end if;
    if exists (select 1 from period where period_id = pid and phase = 'published') then
        if tg_op <> 'INSERT' then
            raise exception 'veto: the period is published; its vetoes are final';
        end if;
        if not exists (select 1 from period_correction c
                       where c.period_id = pid and c.made_at = now()) then
            raise exception 'veto: the period is published; a veto needs a correction with a reason';
        end if;
    end if;
    if tg_op = 'DELETE' then
        return old;
    end if;
    return new;
end;
$$;

create trigger veto_published before insert or update or delete on veto
    for each row execute function veto_guard();
