-- Incidents (8.6.1): classification, priority from impact × urgency, why a ticket waits, how it
-- was resolved, and the projection of its SLA clocks that queues sort by.
ALTER TABLE incidents ADD COLUMN service_id BLOB REFERENCES services (id);
ALTER TABLE incidents ADD COLUMN ci_id BLOB REFERENCES cis (id);
ALTER TABLE incidents ADD COLUMN category TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN impact TEXT NOT NULL DEFAULT 'medium';
ALTER TABLE incidents ADD COLUMN urgency TEXT NOT NULL DEFAULT 'medium';
ALTER TABLE incidents ADD COLUMN priority TEXT NOT NULL DEFAULT 'p3';
ALTER TABLE incidents ADD COLUMN pending_reason TEXT;
ALTER TABLE incidents ADD COLUMN resolution_code TEXT;
ALTER TABLE incidents ADD COLUMN resolution_notes TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN resolved_at INTEGER;
-- The earliest instant a running SLA clock of the incident falls due (NULL: none running).
ALTER TABLE incidents ADD COLUMN sla_due_at INTEGER;
CREATE INDEX incidents_service ON incidents (service_id, id);
CREATE INDEX incidents_team_due ON incidents (team_id, sla_due_at);

-- When an agreement's clocks run: pending reasons that pause them, what a reopen does, and the
-- share of a target at which a warning fires.
ALTER TABLE agreements ADD COLUMN pause_on TEXT NOT NULL DEFAULT 'awaiting_customer';
ALTER TABLE agreements ADD COLUMN on_reopen TEXT NOT NULL DEFAULT 'resume';
ALTER TABLE agreements ADD COLUMN warn_percent INTEGER NOT NULL DEFAULT 75;

-- Settings an administrator changes at run time (the priority matrix, the reopen window):
-- one JSON value per key, versioned for If-Match.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by BLOB REFERENCES users (id)
);

-- The SLA clocks of every ticket: a projection recomputed from the ticket's journal, the
-- agreement and the versioned calendar whenever one of them changes. Never the source of truth.
CREATE TABLE sla_timers (
    id BLOB PRIMARY KEY,
    record_id BLOB NOT NULL,
    record_kind TEXT NOT NULL,
    target_id BLOB NOT NULL,
    agreement_id BLOB NOT NULL REFERENCES agreements (id),
    state TEXT NOT NULL,
    cycle INTEGER NOT NULL,
    elapsed_secs INTEGER NOT NULL,
    target_secs INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    warn_at INTEGER,
    due_at INTEGER,
    breached_at INTEGER,
    stopped_at INTEGER,
    computed_at INTEGER NOT NULL,
    UNIQUE (record_id, target_id)
);
CREATE INDEX sla_timers_due ON sla_timers (state, due_at);
CREATE INDEX sla_timers_target ON sla_timers (target_id);

-- Warnings and breaches that fired: at most one per timer, cycle and kind, whichever process
-- fires it. `attributed_target_id` names the OLA or contract target whose miss caused a breach.
CREATE TABLE sla_events (
    id BLOB PRIMARY KEY,
    record_id BLOB NOT NULL,
    target_id BLOB NOT NULL,
    cycle INTEGER NOT NULL,
    kind TEXT NOT NULL,
    reached_at INTEGER NOT NULL,
    fired_at INTEGER NOT NULL,
    attributed_target_id BLOB,
    UNIQUE (record_id, target_id, cycle, kind)
);
CREATE INDEX sla_events_fired ON sla_events (fired_at, id);

-- Background work, shared by every server process: a job is claimed by taking a lease, and a
-- process that dies mid-job leaves a lease that expires so another takes it over. `generation`
-- counts re-arms: a worker finishes the job only if nobody re-armed it while it ran.
CREATE TABLE jobs (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    payload TEXT NOT NULL,
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    last_error TEXT,
    done_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (done_at, run_at);
