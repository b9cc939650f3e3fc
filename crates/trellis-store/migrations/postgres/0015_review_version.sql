-- A major-incident review is corrected in place: its version guards against two managers
-- overwriting each other (If-Match).
ALTER TABLE major_incident_reviews ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
