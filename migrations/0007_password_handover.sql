-- A temporary password is shown once, on a page that a refresh does not submit again
-- (issue 12): the form that makes it redirects to that page, which takes the password from
-- the administrator's own session and clears it.
alter table session add column handover jsonb;
comment on column session.handover is 'A temporary or initial password this session''s administrator just generated ({account_id, username, display_name, password, created, at}), taken and cleared by the one page that shows it; ignored after 10 minutes.';
