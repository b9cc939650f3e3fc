-- Notification templates an administrator rewrote live in `settings`
-- (`notification_template.<kind>`); a kind without one uses the built-in words.

-- In-app notifications: what each user was told, read or not. `dedupe_key` names the event and
-- the recipient, so an event told twice (a retried job) is stored once.
CREATE TABLE notifications (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    record_id BLOB,
    record_ref TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);
CREATE INDEX notifications_unread ON notifications (user_id, read_at);

-- Mail to send, written in the transaction of the event it tells of and delivered by the job
-- worker (one `mail.send` job per message): never sent from a request.
CREATE TABLE outbox (
    id BLOB PRIMARY KEY,
    notification_id BLOB NOT NULL UNIQUE REFERENCES notifications (id),
    to_address TEXT NOT NULL,
    to_name TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX outbox_created ON outbox (created_at);
