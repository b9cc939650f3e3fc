-- Customer-satisfaction surveys: asked of a customer user when their ticket is resolved, or
-- sent periodically about a service; the answer is a score from 1 to 5 and a comment.

CREATE TABLE surveys (
    id BLOB PRIMARY KEY,
    customer_id BLOB NOT NULL REFERENCES customers (id),
    service_id BLOB REFERENCES services (id),
    -- The portal user asked.
    user_id BLOB NOT NULL REFERENCES users (id),
    -- ticket_resolved or periodic.
    reason TEXT NOT NULL,
    -- The ticket a ticket_resolved survey is about.
    record_id BLOB,
    record_ref TEXT,
    sent_at INTEGER NOT NULL,
    answered_at INTEGER,
    score INTEGER,
    comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX surveys_user ON surveys (user_id, id);
CREATE INDEX surveys_customer ON surveys (customer_id, id);
CREATE INDEX surveys_record ON surveys (record_id);
