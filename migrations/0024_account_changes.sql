-- The turnout and the results list the changes made to the accounts of a round's members
-- while it was open (`db::round::member_changes`, whose list of actions this repeats so
-- that the planner can use the index). They are a sliver of a center's audit log (a
-- province's largest center has 1,000,000 rows, a sixth of them sign-ins of accounts):
-- without this index, finding them intersected the center's rows of the period with every
-- account row of the province.
create index if not exists audit_log_account_changes on audit_log (center_id, at)
    where entity = 'account'
      and action in ('account.create', 'account.update', 'account.disable', 'account.enable', 'account.password_reset');
