-- Journal checkpoints: each chain's position at the last checkpoint, and the checkpoints
-- themselves, chained by digest. See trellis-app/src/journal.rs.

ALTER TABLE journal_heads ADD COLUMN checkpoint_seq INTEGER NOT NULL DEFAULT 0;

CREATE TABLE journal_checkpoints (
    id BLOB PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    at INTEGER NOT NULL,
    records INTEGER NOT NULL,
    digest TEXT NOT NULL,
    prev_digest TEXT NOT NULL
);
