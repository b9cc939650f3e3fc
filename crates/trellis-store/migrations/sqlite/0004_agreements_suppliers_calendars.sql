-- Business calendars, suppliers, agreements (SLA, OLA, underpinning contract) with their targets,
-- and reviews of agreements, suppliers and services.

CREATE TABLE calendars (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    -- The row's version (for If-Match); calendar_versions number the definitions.
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Every edit of a calendar adds a version in force from `effective_from` (never in the past), and
-- rows are never changed: time already measured is always measured by the version in force then.
CREATE TABLE calendar_versions (
    calendar_id BLOB NOT NULL REFERENCES calendars (id),
    version INTEGER NOT NULL,
    effective_from INTEGER NOT NULL,
    -- The calendar as JSON: {"time_zone", "week": {"monday": [{"start", "end"}], ...}, "special_days"}.
    definition TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_by BLOB REFERENCES users (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (calendar_id, version)
);

CREATE TABLE suppliers (
    id BLOB PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    supplier_type TEXT NOT NULL,
    status TEXT NOT NULL,
    contact TEXT NOT NULL DEFAULT '',
    owner_id BLOB REFERENCES users (id),
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX suppliers_status ON suppliers (status, id);

CREATE TABLE agreements (
    id BLOB PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    -- sla (with a customer), ola (with a team) or contract (with a supplier).
    agreement_type TEXT NOT NULL,
    status TEXT NOT NULL,
    service_id BLOB REFERENCES services (id),
    customer_id BLOB REFERENCES customers (id),
    team_id BLOB REFERENCES teams (id),
    supplier_id BLOB REFERENCES suppliers (id),
    owner_id BLOB REFERENCES users (id),
    -- Dates as YYYY-MM-DD text.
    starts_on TEXT,
    ends_on TEXT,
    notice_on TEXT,
    renewal_on TEXT,
    next_review_on TEXT,
    value_cents INTEGER,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX agreements_type ON agreements (agreement_type, id);
CREATE INDEX agreements_service ON agreements (service_id, id);
CREATE INDEX agreements_customer ON agreements (customer_id, id);
CREATE INDEX agreements_supplier ON agreements (supplier_id, id);

-- Targets keep their id while their agreement is edited (matched by metric and priority), so
-- the targets of higher agreements that rest on them stay attached.
CREATE TABLE agreement_targets (
    id BLOB PRIMARY KEY,
    agreement_id BLOB NOT NULL REFERENCES agreements (id),
    metric TEXT NOT NULL,
    -- p1..p4, or '' for availability (one target for the service).
    priority TEXT NOT NULL,
    -- Working minutes (response, resolution) or thousandths of a percent (availability).
    threshold INTEGER NOT NULL,
    calendar_id BLOB NOT NULL REFERENCES calendars (id),
    supported_by BLOB REFERENCES agreement_targets (id),
    position INTEGER NOT NULL
);
CREATE UNIQUE INDEX agreement_targets_key ON agreement_targets (agreement_id, metric, priority);
CREATE INDEX agreement_targets_supported_by ON agreement_targets (supported_by);

CREATE TABLE reviews (
    id BLOB PRIMARY KEY,
    -- The record reviewed: an agreement, a supplier or a service.
    record_kind TEXT NOT NULL,
    record_id BLOB NOT NULL,
    -- A service review is held with one customer.
    customer_id BLOB REFERENCES customers (id),
    scheduled_on TEXT NOT NULL,
    held_on TEXT,
    outcome TEXT NOT NULL DEFAULT '',
    actions TEXT NOT NULL DEFAULT '',
    -- Supplier performance, 1 (poor) to 5 (excellent).
    rating INTEGER,
    created_by BLOB REFERENCES users (id),
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX reviews_record ON reviews (record_id, scheduled_on);
