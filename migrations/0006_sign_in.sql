-- Sign-in that cannot be turned against its users (issue 12): browsers an account has
-- signed in from before are trusted for it and are not locked out by others' failures;
-- only failures are counted.

create table trusted_device (
    token_hash text not null check (token_hash ~ '^[0-9a-f]{64}$'),
    account_id bigint not null references account (account_id),
    first_seen_at timestamptz not null default now(),
    last_seen_at timestamptz not null default now(),
    primary key (token_hash, account_id)
);
comment on table trusted_device is 'A browser (by the SHA-256 of its device cookie) that has signed in to an account: a correct password from it is never refused because of other browsers'' failures.';
comment on column trusted_device.token_hash is 'SHA-256 (hex) of the random device cookie; the cookie itself is never stored.';
comment on column trusted_device.account_id is 'The account that signed in from it.';
comment on column trusted_device.first_seen_at is 'The first successful sign-in from this browser.';
comment on column trusted_device.last_seen_at is 'The latest successful sign-in from this browser (devices unused for 180 days are forgotten).';

comment on table login_throttle is 'Failed sign-ins per key: an account from unknown browsers (user:), an account from one address (ua:), an account from one trusted browser (device:) and an address (ip:). Successful sign-ins are never counted.';
comment on column login_throttle.throttle_key is 'user:<username>, ua:<username>|<address>, device:<account id>:<device hash prefix> or ip:<address>.';
