-- Award titles belong to the scheme (issue 13, SPEC §3): 优质服务窗口 / 优秀服务标兵 for the
-- quarterly scheme, 文明服务窗口 / 文明服务标兵 for the monthly and annual ones, or whatever a
-- center calls them; copied onto each period like every other rule.
alter table scheme add column window_title text, add column staff_title text;
update scheme set
    window_title = case when period_kind = 'quarter' then '优质服务窗口' else '文明服务窗口' end,
    staff_title = case when period_kind = 'quarter' then '优秀服务标兵' else '文明服务标兵' end;
alter table scheme
    alter column window_title set not null,
    alter column staff_title set not null,
    add check (length(window_title) between 1 and 20),
    add check (length(staff_title) between 1 and 20);
comment on column scheme.window_title is 'The title the scheme awards to windows, e.g. 优质服务窗口.';
comment on column scheme.staff_title is 'The title the scheme awards to staff members, e.g. 优秀服务标兵.';

alter table period add column window_title text, add column staff_title text;
update period p set window_title = s.window_title, staff_title = s.staff_title
  from scheme s where s.scheme_id = p.scheme_id;
alter table period
    alter column window_title set not null,
    alter column staff_title set not null,
    add check (length(window_title) between 1 and 20),
    add check (length(staff_title) between 1 and 20);
comment on column period.window_title is 'The windows'' award title, copied from the scheme when the period opened.';
comment on column period.staff_title is 'The staff''s award title, copied from the scheme when the period opened.';
