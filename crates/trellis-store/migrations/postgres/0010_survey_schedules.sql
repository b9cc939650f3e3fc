-- Periodic satisfaction surveys: a customer's portal users are asked every `every_days` days.
-- A round is claimed by moving `next_round_at` on, so two server processes never both send it.

CREATE TABLE survey_schedules (
    customer_id UUID PRIMARY KEY REFERENCES customers (id),
    every_days BIGINT NOT NULL,
    next_round_at BIGINT NOT NULL
);
CREATE INDEX survey_schedules_due ON survey_schedules (next_round_at);
