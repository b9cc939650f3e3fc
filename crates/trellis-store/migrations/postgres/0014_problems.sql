-- Problems and known errors (8.6.3). Incidents are linked to a problem with caused_by links.
CREATE TABLE problems (
    id UUID PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    service_id UUID REFERENCES services (id),
    ci_id UUID REFERENCES cis (id),
    team_id UUID REFERENCES teams (id),
    assignee_id UUID REFERENCES users (id),
    priority TEXT NOT NULL,
    root_cause TEXT NOT NULL,
    workaround TEXT NOT NULL,
    resolution TEXT NOT NULL,
    -- When a root cause was first recorded (problems without one are flagged after a while).
    root_cause_at BIGINT,
    created_by UUID REFERENCES users (id),
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX problems_status ON problems (status, id);
CREATE INDEX problems_service ON problems (service_id, status);
CREATE INDEX problems_ci ON problems (ci_id, status);
