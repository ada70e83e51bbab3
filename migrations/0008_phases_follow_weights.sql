-- Phases follow the weights (issue 13, SPEC §3): a phase whose weight is 0 does not exist
-- for a period. A monthly period goes 考核录入 → 候选确定 → 审定 → 已发布; the guard of phase
-- moves lets a period skip the phases its own rules leave out, and no other.
create or replace function period_guard() returns trigger language plpgsql as $$
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
        -- A phase whose weight is 0 does not exist for the period (SPEC §3): from voting
        -- straight to review when comprehensive rating weighs nothing.
        next_phase := case old.phase
                          when 'voting' then
                              case when coalesce((old.rules -> 'weights' ->> 'comprehensive')::numeric, 0) = 0
                                   then 'review' else 'rating' end
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
