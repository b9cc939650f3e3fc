-- Saved filters: a person's named views of a work list, kept as the list's query string.
CREATE TABLE saved_filters (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id),
    -- incidents, service-requests or problems
    list TEXT NOT NULL,
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, list, name)
);
