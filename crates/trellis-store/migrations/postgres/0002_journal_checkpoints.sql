-- Journal checkpoints: each chain's position at the last checkpoint, and the checkpoints
-- themselves, chained by digest. See trellis-app/src/journal.rs.

ALTER TABLE journal_heads ADD COLUMN checkpoint_seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE journal_checkpoints (
    id UUID PRIMARY KEY,
    seq BIGINT NOT NULL UNIQUE,
    at BIGINT NOT NULL,
    records BIGINT NOT NULL,
    digest TEXT NOT NULL,
    prev_digest TEXT NOT NULL
);
