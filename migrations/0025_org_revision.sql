-- A center's organization (departments, windows, staff) as its pages list it is kept by
-- each process (`db::org::roster`) and read again only when it changed: a province's
-- largest center has 1,200 windows and 6,000 staff, and every page of the score grid read
-- them (window filter, department counts, the page's staff in window order). This table
-- counts the changes to each center's organization, kept by statement triggers, so that a
-- process asks one row whether what it keeps is still current. A change and its count are
-- written in the same transaction, so a page read after a change never finds the count
-- of before it.

create table org_revision (
    center_id bigint primary key references center (center_id),
    revision bigint not null check (revision > 0)
);
comment on table org_revision is 'How many statements have changed each center''s departments, windows or staff; kept by the triggers *_org_revision_*.';
comment on column org_revision.center_id is 'The center.';
comment on column org_revision.revision is 'Grows by one with each statement that changes a row of the center''s department, service_window or staff.';

create function org_revision_bump() returns trigger language plpgsql as $$
begin
    -- `changed` is the statement's new rows (insert, update) or old rows (delete); a
    -- statement that changed no row changes no count.
    insert into org_revision (center_id, revision)
    select distinct center_id, 1 from changed
    on conflict (center_id) do update set revision = org_revision.revision + 1;
    return null;
end
$$;
comment on function org_revision_bump() is 'Counts a change to the organization of each center whose rows a statement changed.';

create trigger department_org_revision_insert after insert on department
    referencing new table as changed for each statement execute function org_revision_bump();
create trigger department_org_revision_update after update on department
    referencing new table as changed for each statement execute function org_revision_bump();
create trigger department_org_revision_delete after delete on department
    referencing old table as changed for each statement execute function org_revision_bump();
create trigger service_window_org_revision_insert after insert on service_window
    referencing new table as changed for each statement execute function org_revision_bump();
create trigger service_window_org_revision_update after update on service_window
    referencing new table as changed for each statement execute function org_revision_bump();
create trigger service_window_org_revision_delete after delete on service_window
    referencing old table as changed for each statement execute function org_revision_bump();
create trigger staff_org_revision_insert after insert on staff
    referencing new table as changed for each statement execute function org_revision_bump();
create trigger staff_org_revision_update after update on staff
    referencing new table as changed for each statement execute function org_revision_bump();
create trigger staff_org_revision_delete after delete on staff
    referencing old table as changed for each statement execute function org_revision_bump();

insert into org_revision (center_id, revision) select center_id, 1 from center;
