-- Request offerings: catalogue items customers order. The definition (name, form fields,
-- approval policy, fulfilment target) is versioned as one unit and versions are never changed.

CREATE TABLE offerings (
    id UUID PRIMARY KEY,
    service_id UUID NOT NULL REFERENCES services (id),
    status TEXT NOT NULL,
    -- The offering_versions.version customers order from now.
    current_definition BIGINT NOT NULL,
    -- The row's version (for If-Match).
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX offerings_service ON offerings (service_id, id);

CREATE TABLE offering_versions (
    offering_id UUID NOT NULL REFERENCES offerings (id),
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    -- The form fields as JSON: [{"key", "label", "kind", "required", "choices"}].
    form TEXT NOT NULL,
    approval TEXT NOT NULL,
    fulfilment_minutes BIGINT,
    calendar_id UUID REFERENCES calendars (id),
    created_by UUID REFERENCES users (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (offering_id, version)
);
