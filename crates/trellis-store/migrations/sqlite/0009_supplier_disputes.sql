-- Disputes with suppliers (8.3.4): raised on a date, optionally about one contract, resolved
-- with the resolution recorded.

CREATE TABLE supplier_disputes (
    id BLOB PRIMARY KEY,
    supplier_id BLOB NOT NULL REFERENCES suppliers (id),
    agreement_id BLOB REFERENCES agreements (id),
    subject TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    raised_on TEXT NOT NULL,
    -- open or resolved.
    status TEXT NOT NULL,
    resolution TEXT NOT NULL DEFAULT '',
    resolved_on TEXT,
    created_by BLOB REFERENCES users (id),
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX supplier_disputes_supplier ON supplier_disputes (supplier_id, id);
