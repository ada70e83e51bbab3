-- Supporting files of a nomination (证明材料): PDF, JPEG or PNG, kept in PostgreSQL with the
-- rest, so that a backup of the database is a backup of everything.

create table nomination_file (
    nomination_file_id bigint generated always as identity primary key,
    nomination_id bigint not null references nomination (nomination_id),
    citywide_condition_id bigint references citywide_condition (citywide_condition_id),
    file_name text not null check (length(file_name) between 1 and 200),
    content_type text not null check (content_type in ('application/pdf', 'image/jpeg', 'image/png')),
    size integer not null check (size between 1 and 20971520),
    data bytea not null,
    uploaded_at timestamptz not null default now(),
    check (octet_length(data) = size)
);
create index nomination_file_nomination on nomination_file (nomination_id);
comment on table nomination_file is 'A supporting file of a nomination.';
comment on column nomination_file.citywide_condition_id is 'The condition it is evidence for; null for the nomination as a whole.';
comment on column nomination_file.file_name is 'The name it was uploaded with, for showing and downloading.';
comment on column nomination_file.content_type is 'What its first bytes say it is (never what the browser said).';
