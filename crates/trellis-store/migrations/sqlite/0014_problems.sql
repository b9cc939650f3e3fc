-- Problems and known errors (8.6.3). Incidents are linked to a problem with caused_by links.
CREATE TABLE problems (
    id BLOB PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    service_id BLOB REFERENCES services (id),
    ci_id BLOB REFERENCES cis (id),
    team_id BLOB REFERENCES teams (id),
    assignee_id BLOB REFERENCES users (id),
    priority TEXT NOT NULL,
    root_cause TEXT NOT NULL,
    workaround TEXT NOT NULL,
    resolution TEXT NOT NULL,
    -- When a root cause was first recorded (problems without one are flagged after a while).
    root_cause_at INTEGER,
    created_by BLOB REFERENCES users (id),
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX problems_status ON problems (status, id);
CREATE INDEX problems_service ON problems (service_id, status);
CREATE INDEX problems_ci ON problems (ci_id, status);
