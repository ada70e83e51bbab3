-- Feedback on the nominees of a city-wide round's public notice (公示): from the public by
-- the notice's form under their real name, or recorded by the office from a letter, a
-- telephone call or the media; each answered on the record.

create table notice_feedback (
    notice_feedback_id bigint generated always as identity primary key,
    citywide_round_id bigint not null references citywide_round (citywide_round_id),
    nomination_id bigint not null references nomination (nomination_id),
    receipt text not null unique check (receipt ~ '^[0-9A-Z-]{8,40}$'),
    source text not null check (source in ('public', 'letter', 'telephone', 'media', 'other')),
    source_detail text not null default '' check (length(source_detail) <= 200),
    body text not null check (length(body) between 1 and 5000),
    real_name text not null default '' check (length(real_name) <= 50),
    telephone text not null default '' check (length(telephone) <= 30),
    client_ip text not null default '',
    received_at timestamptz not null default now(),
    recorded_by bigint references account (account_id),
    answer text check (answer in ('substantiated', 'partly', 'unfounded', 'unrelated')),
    answer_note text check (length(answer_note) <= 2000),
    answered_at timestamptz,
    answered_by bigint references account (account_id),
    check (source <> 'public' or (length(real_name) >= 1 and length(telephone) >= 5)),
    check ((answer is null) = (answered_at is null))
);
create index notice_feedback_round on notice_feedback (citywide_round_id, nomination_id);
create index notice_feedback_ip on notice_feedback (client_ip, received_at);
create index notice_feedback_received on notice_feedback (received_at);
comment on table notice_feedback is 'A piece of feedback on a nominee of a public notice (公示), never shown publicly.';
comment on column notice_feedback.receipt is 'The number given to whoever sent it, to refer to it later.';
comment on column notice_feedback.source is 'public (the notice''s form), letter, telephone, media or other (recorded by the office).';
comment on column notice_feedback.source_detail is 'Where it came from when recorded by the office (a newspaper, a hotline).';
comment on column notice_feedback.real_name is 'The sender''s real name (实名反映); required from the public.';
comment on column notice_feedback.telephone is 'The sender''s telephone number; required from the public.';
comment on column notice_feedback.client_ip is 'The address a public submission came from, for the flood limits.';
comment on column notice_feedback.recorded_by is 'The office account that recorded it; null for the public form.';
comment on column notice_feedback.answer is 'substantiated (查实), partly (部分查实), unfounded (不实) or unrelated (与评选无关).';
comment on column notice_feedback.answer_note is 'The office''s note on its answer.';
