-- The turnout keeps each period's electorate (the heads fixed as the vote opened, with
-- their names and state) per process, like the center's roster (migration 0025): a
-- province's largest center has 1,200 heads, and joining them to their accounts on every
-- request was most of the page. `org_revision` now also counts the statements that fix a
-- round's members and those that add or remove accounts, and each change of an account's
-- name, user name or state. A sign-in (which stamps `last_login_at`) or a new password
-- counts nothing.

create function org_revision_bump_row() returns trigger language plpgsql as $$
begin
    insert into org_revision (center_id, revision) values (new.center_id, 1)
    on conflict (center_id) do update set revision = org_revision.revision + 1;
    if old.center_id is distinct from new.center_id then
        insert into org_revision (center_id, revision) values (old.center_id, 1)
        on conflict (center_id) do update set revision = org_revision.revision + 1;
    end if;
    return null;
end
$$;
comment on function org_revision_bump_row() is 'Counts a change to the organization of the center of an updated row (and of its former center).';

create trigger account_org_revision_insert after insert on account
    referencing new table as changed for each statement execute function org_revision_bump();
create trigger account_org_revision_delete after delete on account
    referencing old table as changed for each statement execute function org_revision_bump();
create trigger account_org_revision_update after update on account
    for each row
    when (old.display_name is distinct from new.display_name
          or old.username is distinct from new.username
          or old.active is distinct from new.active
          or old.center_id is distinct from new.center_id)
    execute function org_revision_bump_row();
create trigger round_member_org_revision_insert after insert on round_member
    referencing new table as changed for each statement execute function org_revision_bump();
create trigger round_member_org_revision_update after update on round_member
    referencing new table as changed for each statement execute function org_revision_bump();
create trigger round_member_org_revision_delete after delete on round_member
    referencing old table as changed for each statement execute function org_revision_bump();

comment on table org_revision is 'How many statements have changed each center''s departments, windows, staff, accounts or round members; kept by the triggers *_org_revision_*.';
comment on column org_revision.revision is 'Grows by one with each statement that changes a row of the center''s department, service_window, staff or round_member, adds or removes an account, or changes an account''s name, user name or state.';
