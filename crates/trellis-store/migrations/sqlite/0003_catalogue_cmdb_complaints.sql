-- The service catalogue, the CMDB (CI types with attribute schemas, configuration items) and
-- complaints. Configuration relationships are typed links (depends_on, runs_on, connected_to,
-- part_of) in the platform's links table.

CREATE TABLE services (
    id BLOB PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    criticality TEXT NOT NULL,
    owner_id BLOB REFERENCES users (id),
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX services_status ON services (status, id);

-- Which customers receive a service: the portal shows a customer user only these.
CREATE TABLE service_customers (
    service_id BLOB NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    customer_id BLOB NOT NULL REFERENCES customers (id),
    PRIMARY KEY (service_id, customer_id)
);
CREATE INDEX service_customers_customer ON service_customers (customer_id, service_id);

CREATE TABLE ci_types (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    -- The attribute schema as JSON: [{"key", "label", "kind", "required", "choices"}].
    attributes TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE cis (
    id BLOB PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    ci_type_id BLOB NOT NULL REFERENCES ci_types (id),
    status TEXT NOT NULL,
    criticality TEXT NOT NULL,
    owner_id BLOB REFERENCES users (id),
    team_id BLOB REFERENCES teams (id),
    customer_id BLOB REFERENCES customers (id),
    location TEXT NOT NULL DEFAULT '',
    cost_cents INTEGER,
    -- Dates as YYYY-MM-DD text: they sort and compare the same on both backends.
    warranty_expires TEXT,
    licence_expires TEXT,
    licence_seats INTEGER,
    attributes TEXT NOT NULL,
    last_verified_at INTEGER,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX cis_type ON cis (ci_type_id, id);
CREATE INDEX cis_status ON cis (status, id);
CREATE INDEX cis_customer ON cis (customer_id, id);

CREATE TABLE complaints (
    id BLOB PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    customer_id BLOB NOT NULL REFERENCES customers (id),
    service_id BLOB REFERENCES services (id),
    owner_id BLOB REFERENCES users (id),
    outcome TEXT NOT NULL DEFAULT '',
    escalated BOOLEAN NOT NULL,
    created_by BLOB REFERENCES users (id),
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX complaints_customer ON complaints (customer_id, id);
CREATE INDEX complaints_service ON complaints (service_id, id);
CREATE INDEX complaints_status ON complaints (status, id);

-- A record's relationships are read from either end of a link (its page, its neighbourhood).
CREATE INDEX links_from_type ON links (from_id, link_type, to_id);
CREATE INDEX links_to_type ON links (to_id, link_type, from_id);

-- Counters that change whenever a set of rows changes, so a process can tell whether what it
-- cached is still current (`configuration`: CIs, services and their relationships).
CREATE TABLE change_counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
