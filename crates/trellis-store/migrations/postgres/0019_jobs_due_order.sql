-- The worker claims the job due first, ties broken by id. With the id in the index the claim
-- reads the first entry; without it, every job due at the same instant (a calendar change wakes
-- all its open tickets at once) was sorted again on each claim.
DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs (done_at, run_at, id);
