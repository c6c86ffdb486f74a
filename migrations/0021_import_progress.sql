-- Import progress read from the import's own indexing jobs.
--
-- GET /v1/imports/{id} counted how many of an import's records had a profile holding
-- the record's current person: a join of every record of the import to identities and
-- match_profiles with a jsonb comparison per row, on every poll. At 1,000,000 records
-- each poll took about a second of the same cores that were indexing.
--
-- An import's records are now indexed by jobs that name the import and how many
-- records they carry. A job that is done without an error has built the profiles of
-- its records from their person as it was then, which is the import's or a later one,
-- so the import's count is the sum over its finished jobs: one row per batch of
-- records (500 by default) instead of three rows per record. A dead-lettered job
-- (done, with an error) does not count, so its import stays "indexing" and the
-- failure is seen in the dead letters.
ALTER TABLE outbox ADD COLUMN import_id uuid;
ALTER TABLE outbox ADD COLUMN subjects integer CHECK (subjects >= 0);
ALTER TABLE outbox ADD CONSTRAINT outbox_import_subjects
    CHECK (import_id IS NULL OR subjects IS NOT NULL);
CREATE INDEX outbox_import ON outbox (import_id) WHERE import_id IS NOT NULL;
