-- Knowledge articles (7.6) and the full-text search index over records and articles.
CREATE TABLE articles (
    id UUID PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    audience TEXT NOT NULL,
    service_id UUID REFERENCES services (id),
    -- The known error (a problem) the article documents.
    known_error_id UUID REFERENCES problems (id),
    author_id UUID REFERENCES users (id),
    -- Who last changed what readers see: neither they nor the author reviews it.
    edited_by UUID REFERENCES users (id),
    reviewed_by UUID REFERENCES users (id),
    reviewed_at BIGINT,
    published_at BIGINT,
    -- YYYY-MM-DD: when a published article is due for review.
    review_due_on TEXT,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX articles_status ON articles (status, id);
CREATE INDEX articles_review ON articles (status, review_due_on);
CREATE INDEX articles_known_error ON articles (known_error_id);

-- One searchable document per record: kept in the transaction that changes the record. `tags`
-- files it under its kind, its customer and, for a published public article, "public": words
-- the text index narrows a search by (see trellis_domain::search::tags). Weights: title A,
-- text B, tags D. 'simple': no stemming, as SQLite's unicode61.
CREATE TABLE search_docs (
    id BIGSERIAL PRIMARY KEY,
    record_id UUID NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    customer_id UUID,
    service_id UUID,
    -- A published public article (customers may find it).
    public BOOLEAN NOT NULL,
    tags TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    tsv TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')
        || setweight(to_tsvector('simple', tags), 'D')
    ) STORED
);
CREATE INDEX search_docs_kind ON search_docs (kind, customer_id);
CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv);

-- The records that exist already.
INSERT INTO search_docs (record_id, kind, ref, title, body, customer_id, service_id, public, tags, updated_at)
    SELECT id, 'incident', ref, title, description, customer_id, service_id, FALSE,
        'tagkindincident' || COALESCE(' tagcust' || replace(customer_id::text, '-', ''), ''), updated_at FROM incidents;
INSERT INTO search_docs (record_id, kind, ref, title, body, customer_id, service_id, public, tags, updated_at)
    SELECT id, 'problem', ref, title, description || ' ' || root_cause || ' ' || workaround || ' ' || resolution,
        NULL, service_id, FALSE, 'tagkindproblem', updated_at FROM problems;
INSERT INTO search_docs (record_id, kind, ref, title, body, customer_id, service_id, public, tags, updated_at)
    SELECT id, 'service_request', ref, title, description || ' ' || answers, customer_id, service_id, FALSE,
        'tagkindservicerequest' || COALESCE(' tagcust' || replace(customer_id::text, '-', ''), ''), updated_at
    FROM service_requests;
