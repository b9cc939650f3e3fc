-- Request offerings: catalogue items customers order. The definition (name, form fields,
-- approval policy, fulfilment target) is versioned as one unit and versions are never changed.

CREATE TABLE offerings (
    id BLOB PRIMARY KEY,
    service_id BLOB NOT NULL REFERENCES services (id),
    status TEXT NOT NULL,
    -- The offering_versions.version customers order from now.
    current_definition INTEGER NOT NULL,
    -- The row's version (for If-Match).
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX offerings_service ON offerings (service_id, id);

CREATE TABLE offering_versions (
    offering_id BLOB NOT NULL REFERENCES offerings (id),
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    -- The form fields as JSON: [{"key", "label", "kind", "required", "choices"}].
    form TEXT NOT NULL,
    approval TEXT NOT NULL,
    fulfilment_minutes INTEGER,
    calendar_id BLOB REFERENCES calendars (id),
    created_by BLOB REFERENCES users (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (offering_id, version)
);
