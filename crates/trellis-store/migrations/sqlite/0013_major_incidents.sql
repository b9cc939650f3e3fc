-- Escalation and major incidents (8.6.1): how far an incident has been escalated to management,
-- how often it changed teams, and, once declared major, who manages it.
ALTER TABLE incidents ADD COLUMN escalation_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN reassignments INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN major_declared_at INTEGER;
ALTER TABLE incidents ADD COLUMN major_manager_id BLOB REFERENCES users (id);
CREATE INDEX incidents_major ON incidents (major_declared_at);

-- What was communicated about a major incident, to whom and how.
CREATE TABLE incident_communications (
    id BLOB PRIMARY KEY,
    incident_id BLOB NOT NULL REFERENCES incidents (id),
    audience TEXT NOT NULL,
    channel TEXT NOT NULL,
    message TEXT NOT NULL,
    author_id BLOB REFERENCES users (id),
    sent_at INTEGER NOT NULL
);
CREATE INDEX incident_communications_incident ON incident_communications (incident_id, sent_at);

-- The review a major incident needs before it may close.
CREATE TABLE major_incident_reviews (
    incident_id BLOB PRIMARY KEY REFERENCES incidents (id),
    summary TEXT NOT NULL,
    cause TEXT NOT NULL,
    went_well TEXT NOT NULL,
    went_wrong TEXT NOT NULL,
    actions TEXT NOT NULL,
    reviewer_id BLOB REFERENCES users (id),
    reviewed_at INTEGER NOT NULL
);
