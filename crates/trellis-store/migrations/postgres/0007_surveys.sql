-- Customer-satisfaction surveys: asked of a customer user when their ticket is resolved, or
-- sent periodically about a service; the answer is a score from 1 to 5 and a comment.

CREATE TABLE surveys (
    id UUID PRIMARY KEY,
    customer_id UUID NOT NULL REFERENCES customers (id),
    service_id UUID REFERENCES services (id),
    -- The portal user asked.
    user_id UUID NOT NULL REFERENCES users (id),
    -- ticket_resolved or periodic.
    reason TEXT NOT NULL,
    -- The ticket a ticket_resolved survey is about.
    record_id UUID,
    record_ref TEXT,
    sent_at BIGINT NOT NULL,
    answered_at BIGINT,
    score BIGINT,
    comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX surveys_user ON surveys (user_id, id);
CREATE INDEX surveys_customer ON surveys (customer_id, id);
CREATE INDEX surveys_record ON surveys (record_id);
