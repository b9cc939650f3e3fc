-- The service catalogue, the CMDB (CI types with attribute schemas, configuration items) and
-- complaints. Configuration relationships are typed links (depends_on, runs_on, connected_to,
-- part_of) in the platform's links table.

CREATE TABLE services (
    id UUID PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    criticality TEXT NOT NULL,
    owner_id UUID REFERENCES users (id),
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX services_status ON services (status, id);

-- Which customers receive a service: the portal shows a customer user only these.
CREATE TABLE service_customers (
    service_id UUID NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    customer_id UUID NOT NULL REFERENCES customers (id),
    PRIMARY KEY (service_id, customer_id)
);
CREATE INDEX service_customers_customer ON service_customers (customer_id, service_id);

CREATE TABLE ci_types (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    -- The attribute schema as JSON: [{"key", "label", "kind", "required", "choices"}].
    attributes TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE cis (
    id UUID PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    ci_type_id UUID NOT NULL REFERENCES ci_types (id),
    status TEXT NOT NULL,
    criticality TEXT NOT NULL,
    owner_id UUID REFERENCES users (id),
    team_id UUID REFERENCES teams (id),
    customer_id UUID REFERENCES customers (id),
    location TEXT NOT NULL DEFAULT '',
    cost_cents BIGINT,
    -- Dates as YYYY-MM-DD text: they sort and compare the same on both backends.
    warranty_expires TEXT,
    licence_expires TEXT,
    licence_seats BIGINT,
    attributes TEXT NOT NULL,
    last_verified_at BIGINT,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cis_type ON cis (ci_type_id, id);
CREATE INDEX cis_status ON cis (status, id);
CREATE INDEX cis_customer ON cis (customer_id, id);

CREATE TABLE complaints (
    id UUID PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    customer_id UUID NOT NULL REFERENCES customers (id),
    service_id UUID REFERENCES services (id),
    owner_id UUID REFERENCES users (id),
    outcome TEXT NOT NULL DEFAULT '',
    escalated BOOLEAN NOT NULL,
    created_by UUID REFERENCES users (id),
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
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
    value BIGINT NOT NULL
);
