-- One row per entrant of every period's results (issue 13): a person's year and home page
-- read their own entries by key instead of expanding every period's results document. The
-- rows follow period.results by trigger, so no code path can leave them behind.

create table result_entry (
    period_id bigint not null references period (period_id) on delete cascade,
    kind text not null check (kind in ('window', 'staff')),
    entrant text not null check (entrant ~ '^[WS][0-9]+$'),
    entry jsonb not null,
    primary key (entrant, period_id)
);
comment on table result_entry is 'Each entrant''s entry of a period''s results (SPEC.md §5), kept equal to period.results by the trigger period_result_entries.';
comment on column result_entry.period_id is 'The period.';
comment on column result_entry.kind is 'window or staff.';
comment on column result_entry.entrant is 'The recount id, W12 or S34 (ids are unique across centers).';
comment on column result_entry.entry is 'The entrant''s object in period.results.';

create function result_entry_sync() returns trigger language plpgsql as $$
begin
    delete from result_entry where period_id = new.period_id;
    if new.results is not null then
        insert into result_entry (period_id, kind, entrant, entry)
        select new.period_id, k.kind, e ->> 'id', e
          from (values ('window'), ('staff')) k (kind),
               jsonb_array_elements(coalesce(new.results -> k.kind -> 'entrants', '[]'::jsonb)) e;
    end if;
    return null;
end
$$;
comment on function result_entry_sync() is 'Rewrites the result_entry rows of a period from its results.';

create trigger period_result_entries after insert or update of results on period
    for each row execute function result_entry_sync();

insert into result_entry (period_id, kind, entrant, entry)
select p.period_id, k.kind, e ->> 'id', e
  from period p, (values ('window'), ('staff')) k (kind),
       jsonb_array_elements(coalesce(p.results -> k.kind -> 'entrants', '[]'::jsonb)) e
 where p.results is not null;
