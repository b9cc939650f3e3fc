-- Service requests (8.6.2), ordered from request offerings. An offering's definition now names
-- its approvers and the fulfilment tasks every approved request gets.
ALTER TABLE offering_versions ADD COLUMN approvers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE offering_versions ADD COLUMN tasks TEXT NOT NULL DEFAULT '[]';
-- The first approval policies named one approver each: they become a one-step list (the
-- meaning is unchanged, so the versions stay what they were).
UPDATE offering_versions SET approval = 'sequence', approvers = '[{"type":"service_owner"}]'
    WHERE approval = 'service_owner';
UPDATE offering_versions SET approval = 'any_of', approvers = '[{"type":"managers"}]'
    WHERE approval = 'manager';

CREATE TABLE service_requests (
    id BLOB PRIMARY KEY,
    ref TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    -- The offering and the definition version it was ordered under (pinned: later edits of the
    -- offering do not change what was asked for).
    offering_id BLOB NOT NULL REFERENCES offerings (id),
    offering_version INTEGER NOT NULL,
    service_id BLOB NOT NULL REFERENCES services (id),
    customer_id BLOB REFERENCES customers (id),
    -- Who the request is for (a portal user; staff may order on someone's behalf).
    requested_for BLOB REFERENCES users (id),
    -- The answers to the offering's form, as JSON.
    answers TEXT NOT NULL,
    approval TEXT NOT NULL,
    -- The fulfilment clock: runs from approval on the definition's calendar.
    clock_started_at INTEGER,
    due_at INTEGER,
    fulfilled_at INTEGER,
    created_by BLOB REFERENCES users (id),
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX service_requests_customer ON service_requests (customer_id, id);
CREATE INDEX service_requests_status ON service_requests (status, due_at);
CREATE INDEX service_requests_for ON service_requests (requested_for, id);

-- One row per approver step of a request, in order.
CREATE TABLE request_approvals (
    id BLOB PRIMARY KEY,
    request_id BLOB NOT NULL REFERENCES service_requests (id),
    step INTEGER NOT NULL,
    -- service_owner, managers or user (then user_id names the person).
    rule TEXT NOT NULL,
    user_id BLOB REFERENCES users (id),
    state TEXT NOT NULL,
    decided_by BLOB REFERENCES users (id),
    decided_at INTEGER,
    comment TEXT NOT NULL,
    UNIQUE (request_id, step)
);

CREATE TABLE fulfilment_tasks (
    id BLOB PRIMARY KEY,
    request_id BLOB NOT NULL REFERENCES service_requests (id),
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    team_id BLOB REFERENCES teams (id),
    assignee_id BLOB REFERENCES users (id),
    status TEXT NOT NULL,
    note TEXT NOT NULL,
    done_by BLOB REFERENCES users (id),
    done_at INTEGER,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX fulfilment_tasks_request ON fulfilment_tasks (request_id, position);
CREATE INDEX fulfilment_tasks_status ON fulfilment_tasks (status, id);
CREATE INDEX fulfilment_tasks_team ON fulfilment_tasks (team_id, status);
CREATE INDEX fulfilment_tasks_assignee ON fulfilment_tasks (assignee_id, status);
