-- Foundation: identity and access, and the record platform shared by every record kind.
-- Instants are microseconds since the Unix epoch (BIGINT) on both backends, so that the same SQL
-- compares and sorts them everywhere; ids are UUIDv7.

CREATE TABLE customers (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    notes TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE contacts (
    id UUID PRIMARY KEY,
    customer_id UUID NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX contacts_customer ON contacts (customer_id);

CREATE TABLE teams (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE users (
    id UUID PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    customer_id UUID REFERENCES customers (id),
    password_hash TEXT,
    active BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX users_customer ON users (customer_id);

CREATE TABLE team_members (
    team_id UUID NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

-- Server-side sessions: only the SHA-256 of the cookie value is stored.
CREATE TABLE sessions (
    id_hash BYTEA PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    revoked_at BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id);

-- API tokens: shown once, stored only as SHA-256.
CREATE TABLE api_tokens (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    expires_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Failed logins, counted per address and per account within a window (rate limiting that works
-- across several server processes).
CREATE TABLE login_failures (
    id UUID PRIMARY KEY,
    email TEXT NOT NULL,
    ip TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, at);
CREATE INDEX login_failures_ip ON login_failures (ip, at);

-- One counter row per record kind for human references (INC-000123).
CREATE TABLE ref_counters (
    kind TEXT PRIMARY KEY,
    last_value BIGINT NOT NULL
);

CREATE TABLE incidents (
    id UUID PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    customer_id UUID REFERENCES customers (id),
    team_id UUID REFERENCES teams (id),
    assignee_id UUID REFERENCES users (id),
    owner_id UUID REFERENCES users (id),
    created_by UUID REFERENCES users (id),
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX incidents_customer ON incidents (customer_id, id);
CREATE INDEX incidents_status ON incidents (status, id);
CREATE INDEX incidents_assignee ON incidents (assignee_id, id);
CREATE INDEX incidents_team ON incidents (team_id, id);
CREATE INDEX incidents_updated ON incidents (updated_at, id);

-- The append-only journal: one hash chain per record.
CREATE TABLE journal_entries (
    id UUID PRIMARY KEY,
    record_id UUID NOT NULL,
    record_kind TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_id UUID,
    channel TEXT NOT NULL,
    action TEXT NOT NULL,
    changes TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (record_id, seq)
);

-- The head of every chain, written in the same transaction as the entry.
CREATE TABLE journal_heads (
    record_id UUID PRIMARY KEY,
    record_kind TEXT NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX journal_heads_kind ON journal_heads (record_kind, record_id);

CREATE TABLE comments (
    id UUID PRIMARY KEY,
    record_id UUID NOT NULL,
    record_kind TEXT NOT NULL,
    author_id UUID REFERENCES users (id),
    body TEXT NOT NULL,
    is_public BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX comments_record ON comments (record_id, id);

CREATE TABLE attachments (
    id UUID PRIMARY KEY,
    record_id UUID NOT NULL,
    record_kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by UUID REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_record ON attachments (record_id, id);

-- Attachment bytes live apart from the metadata row, so listing attachments never reads them.
CREATE TABLE attachment_contents (
    attachment_id UUID PRIMARY KEY REFERENCES attachments (id) ON DELETE CASCADE,
    content BYTEA NOT NULL
);

CREATE TABLE links (
    id UUID PRIMARY KEY,
    from_id UUID NOT NULL,
    from_kind TEXT NOT NULL,
    to_id UUID NOT NULL,
    to_kind TEXT NOT NULL,
    link_type TEXT NOT NULL,
    created_by UUID REFERENCES users (id),
    created_at BIGINT NOT NULL,
    UNIQUE (from_id, to_id, link_type)
);
CREATE INDEX links_to ON links (to_id);
