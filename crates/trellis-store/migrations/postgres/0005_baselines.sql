-- Configuration baselines: a snapshot of a set of CIs (fields, attributes and relationships) at
-- a moment, kept as taken so it can be compared with the configuration of today.

CREATE TABLE baselines (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- Which CIs it covers, as JSON: {"ci_type_id": ..., "customer_id": ...} (null = any).
    selection TEXT NOT NULL,
    taken_at BIGINT NOT NULL,
    created_by UUID REFERENCES users (id),
    item_count BIGINT NOT NULL
);

CREATE TABLE baseline_items (
    baseline_id UUID NOT NULL REFERENCES baselines (id),
    ci_id UUID NOT NULL,
    ref TEXT NOT NULL,
    -- The CI as it was: JSON of its fields, attributes and relationships.
    snapshot TEXT NOT NULL,
    PRIMARY KEY (baseline_id, ci_id)
);
