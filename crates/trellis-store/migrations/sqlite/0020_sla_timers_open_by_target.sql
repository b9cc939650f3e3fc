-- A calendar or agreement change recomputes the open clocks on it, listing their tickets by
-- target or agreement. With the state and the ticket in the index the list is read from the
-- index alone (reading each timer row for them took 1.4 s for 100,000 tickets on SQLite).
DROP INDEX sla_timers_target;
CREATE INDEX sla_timers_target ON sla_timers (target_id, state, record_id);
CREATE INDEX sla_timers_agreement ON sla_timers (agreement_id, state, record_id);
