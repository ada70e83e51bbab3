-- Separation of duties (issue 12): who takes part in a round is fixed when the round opens,
-- and a center has at most one group leader.

-- The electorate of a vote and the raters of a rating, as they were when it opened.
create table round_member (
    center_id bigint not null,
    period_id bigint not null,
    duty text not null check (duty in ('voter', 'rater')),
    account_id bigint not null references account (account_id),
    window_id bigint,
    fixed_at timestamptz not null default now(),
    primary key (period_id, duty, account_id),
    foreign key (center_id, period_id) references period (center_id, period_id),
    foreign key (center_id, window_id) references service_window (center_id, window_id),
    check ((duty = 'voter') = (window_id is not null))
);
comment on table round_member is 'Who may vote (the heads of the center''s windows) or rate (the leadership group) in a period, fixed when voting or rating opens: an account created, re-enabled or moved later does not take part.';
comment on column round_member.center_id is 'The center.';
comment on column round_member.period_id is 'The period.';
comment on column round_member.duty is 'voter (民主推荐) or rater (综合评定).';
comment on column round_member.account_id is 'The account taking part.';
comment on column round_member.window_id is 'A voter''s window when voting opened: recusal and the ballots-per-window count by it.';
comment on column round_member.fixed_at is 'When the round opened and the list was fixed.';

-- Rounds already open or past when this migration runs: their voters are the heads active
-- now (an open vote) or who cast a ballot (past votes), their raters likewise.
insert into round_member (center_id, period_id, duty, account_id, window_id)
select p.center_id, p.period_id, 'voter', a.account_id, a.window_id
  from period p join account a on a.center_id = p.center_id
 where p.phase = 'voting' and a.role = 'window_head' and a.active
on conflict do nothing;
insert into round_member (center_id, period_id, duty, account_id, window_id)
select distinct on (r.period_id, r.account_id) r.center_id, r.period_id, 'voter', r.account_id, r.window_id
  from ballot_receipt r
 order by r.period_id, r.account_id, r.cast_at
on conflict do nothing;
insert into round_member (center_id, period_id, duty, account_id)
select p.center_id, p.period_id, 'rater', a.account_id
  from period p join account a on a.center_id = p.center_id
 where p.phase = 'rating' and a.role = 'leadership' and a.active
on conflict do nothing;
insert into round_member (center_id, period_id, duty, account_id)
select distinct r.center_id, r.period_id, 'rater', r.account_id
  from rating r
on conflict do nothing;

-- At most one group leader per center: the lowest active account keeps the title where an
-- older version allowed several, and a disabled account keeps none (re-enabled, it would
-- otherwise bring a second one back).
update account set is_group_leader = false
 where is_group_leader and (not active or account_id not in (
       select min(account_id) from account where is_group_leader and active group by center_id));
create unique index account_one_group_leader on account (center_id) where is_group_leader;
