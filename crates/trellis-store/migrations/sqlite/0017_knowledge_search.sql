-- Knowledge articles (7.6) and the full-text search index over records and articles.
CREATE TABLE articles (
    id BLOB PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    audience TEXT NOT NULL,
    service_id BLOB REFERENCES services (id),
    -- The known error (a problem) the article documents.
    known_error_id BLOB REFERENCES problems (id),
    author_id BLOB REFERENCES users (id),
    -- Who last changed what readers see: neither they nor the author reviews it.
    edited_by BLOB REFERENCES users (id),
    reviewed_by BLOB REFERENCES users (id),
    reviewed_at INTEGER,
    published_at INTEGER,
    -- YYYY-MM-DD: when a published article is due for review.
    review_due_on TEXT,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX articles_status ON articles (status, id);
CREATE INDEX articles_review ON articles (status, review_due_on);
CREATE INDEX articles_known_error ON articles (known_error_id);

-- One searchable document per record: kept in the transaction that changes the record. `tags`
-- files it under its kind, its customer and, for a published public article, "public": words
-- the text index narrows a search by (see trellis_domain::search::tags).
CREATE TABLE search_docs (
    id INTEGER PRIMARY KEY,
    record_id BLOB NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    customer_id BLOB,
    service_id BLOB,
    -- A published public article (customers may find it).
    public BOOLEAN NOT NULL,
    tags TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX search_docs_kind ON search_docs (kind, customer_id);

-- FTS5 over the documents (external content: the text is stored once, in search_docs).
CREATE VIRTUAL TABLE search_fts USING fts5(
    title, body, tags, content = 'search_docs', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts (rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags);
END;
CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body, tags) VALUES ('delete', old.id, old.title, old.body, old.tags);
END;
CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body, tags) VALUES ('delete', old.id, old.title, old.body, old.tags);
    INSERT INTO search_fts (rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags);
END;

-- The records that exist already.
INSERT INTO search_docs (record_id, kind, ref, title, body, customer_id, service_id, public, tags, updated_at)
    SELECT id, 'incident', ref, title, description, customer_id, service_id, 0,
        'tagkindincident' || COALESCE(' tagcust' || lower(hex(customer_id)), ''), updated_at FROM incidents;
INSERT INTO search_docs (record_id, kind, ref, title, body, customer_id, service_id, public, tags, updated_at)
    SELECT id, 'problem', ref, title, description || ' ' || root_cause || ' ' || workaround || ' ' || resolution,
        NULL, service_id, 0, 'tagkindproblem', updated_at FROM problems;
INSERT INTO search_docs (record_id, kind, ref, title, body, customer_id, service_id, public, tags, updated_at)
    SELECT id, 'service_request', ref, title, description || ' ' || answers, customer_id, service_id, 0,
        'tagkindservicerequest' || COALESCE(' tagcust' || lower(hex(customer_id)), ''), updated_at
    FROM service_requests;
