-- A center's organization as its pages list it (departments, windows, staff) and the
-- electorates of its votes (round members with their accounts' names and states) are kept
-- by each process (`db::org::roster`, `db::ballot::electorate`) and read again only when
-- they changed: a province's largest center has 1,200 windows, 6,000 staff and 1,200
-- heads, and reading them on every page of the score grid, the ballot and the turnout was
-- most of those pages' cost. This table counts the changes per center, so that a process
-- asks one row (with the session) whether what it keeps is still current.
--
-- The count is written by deferred triggers, once per transaction and center, when the
-- transaction commits: a change and its count commit together (a page read after a change
-- never finds the count of before it), and the count's row is locked only for the moment
-- of the commit, so a long import does not hold it, and two writers of a center cannot
-- deadlock on it while each holds a row the other wants. Only the columns the kept lists
-- show count: a photo or a date of posting changes nothing kept, nor does a sign-in (it
-- stamps `last_login_at`) or a new password.

create table org_revision (
    center_id bigint primary key references center (center_id),
    revision bigint not null check (revision > 0)
);
comment on table org_revision is 'How many transactions have changed what each center''s kept lists show (departments, windows, staff, round members, accounts'' names and states); kept by the triggers *_org_revision_*.';
comment on column org_revision.center_id is 'The center.';
comment on column org_revision.revision is 'Grows by one with each committed transaction that changed a listed column of the center''s department, service_window, staff, account or round_member rows.';

create function org_revision_bump(center bigint) returns void language plpgsql as $$
begin
    -- Once per transaction and center (the setting is the transaction's own).
    if current_setting('pingxuan.org_revision_' || center, true) = '1' then
        return;
    end if;
    perform set_config('pingxuan.org_revision_' || center, '1', true);
    insert into org_revision (center_id, revision) values (center, 1)
    on conflict (center_id) do update set revision = org_revision.revision + 1;
end
$$;
comment on function org_revision_bump(bigint) is 'Counts one change to what a center''s kept lists show, once per transaction.';

create function org_revision_count() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        perform org_revision_bump(old.center_id);
    else
        perform org_revision_bump(new.center_id);
        if tg_op = 'UPDATE' and old.center_id is distinct from new.center_id then
            perform org_revision_bump(old.center_id);
        end if;
    end if;
    return null;
end
$$;
comment on function org_revision_count() is 'Counts the change of a row in org_revision (deferred to the commit).';

create constraint trigger department_org_revision_insert after insert on department
    deferrable initially deferred for each row execute function org_revision_count();
create constraint trigger department_org_revision_delete after delete on department
    deferrable initially deferred for each row execute function org_revision_count();
create constraint trigger department_org_revision_update after update on department
    deferrable initially deferred for each row
    when ((old.center_id, old.name, old.active, old.sort_order)
          is distinct from (new.center_id, new.name, new.active, new.sort_order))
    execute function org_revision_count();

create constraint trigger service_window_org_revision_insert after insert on service_window
    deferrable initially deferred for each row execute function org_revision_count();
create constraint trigger service_window_org_revision_delete after delete on service_window
    deferrable initially deferred for each row execute function org_revision_count();
create constraint trigger service_window_org_revision_update after update on service_window
    deferrable initially deferred for each row
    when ((old.center_id, old.number, old.name, old.department_id, old.active)
          is distinct from (new.center_id, new.number, new.name, new.department_id, new.active))
    execute function org_revision_count();

create constraint trigger staff_org_revision_insert after insert on staff
    deferrable initially deferred for each row execute function org_revision_count();
create constraint trigger staff_org_revision_delete after delete on staff
    deferrable initially deferred for each row execute function org_revision_count();
create constraint trigger staff_org_revision_update after update on staff
    deferrable initially deferred for each row
    when ((old.center_id, old.name, old.employee_no, old.position, old.window_id, old.active)
          is distinct from (new.center_id, new.name, new.employee_no, new.position, new.window_id, new.active))
    execute function org_revision_count();

create constraint trigger account_org_revision_insert after insert on account
    deferrable initially deferred for each row execute function org_revision_count();
create constraint trigger account_org_revision_delete after delete on account
    deferrable initially deferred for each row execute function org_revision_count();
create constraint trigger account_org_revision_update after update on account
    deferrable initially deferred for each row
    when ((old.center_id, old.display_name, old.username, old.active)
          is distinct from (new.center_id, new.display_name, new.username, new.active))
    execute function org_revision_count();

create constraint trigger round_member_org_revision_insert after insert on round_member
    deferrable initially deferred for each row execute function org_revision_count();
create constraint trigger round_member_org_revision_delete after delete on round_member
    deferrable initially deferred for each row execute function org_revision_count();
create constraint trigger round_member_org_revision_update after update on round_member
    deferrable initially deferred for each row execute function org_revision_count();

insert into org_revision (center_id, revision) select center_id, 1 from center;
