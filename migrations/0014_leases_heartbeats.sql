-- Jobs hold a short lease while they run, renewed by the worker running them: a job
-- whose worker was killed is handed out again once its lease lapses (seconds), not
-- after the broker's visibility timeout (minutes). Workers say they are alive in
-- worker_heartbeats, which /v1/health reads.

ALTER TABLE outbox ADD COLUMN lease_until timestamptz, ADD COLUMN leased_by text;
CREATE INDEX outbox_leased ON outbox (lease_until) WHERE done_at IS NULL AND lease_until IS NOT NULL;

CREATE TABLE worker_heartbeats (
    worker      text PRIMARY KEY CHECK (length(worker) BETWEEN 1 AND 200),
    pid         integer NOT NULL,
    host        text NOT NULL,
    started_at  timestamptz NOT NULL,
    seen_at     timestamptz NOT NULL
);
-- Not agency data: names of processes and when they last spoke. Only the service's
-- own system context writes it.
ALTER TABLE worker_heartbeats ENABLE ROW LEVEL SECURITY;
ALTER TABLE worker_heartbeats FORCE ROW LEVEL SECURITY;
CREATE POLICY heartbeats_read ON worker_heartbeats FOR SELECT USING (true);
CREATE POLICY heartbeats_write ON worker_heartbeats FOR ALL
    USING (tessera_role() = 'system') WITH CHECK (tessera_role() = 'system');
GRANT SELECT, INSERT, UPDATE, DELETE ON worker_heartbeats TO tessera_app;

-- What /v1/health tells anyone (counts and ages only, no row): workers seen lately, jobs
-- waiting to be published, the oldest job not done and the oldest queued match run.
CREATE FUNCTION tessera_pipeline_health(p_alive_s double precision)
    RETURNS TABLE (workers_alive bigint, unpublished bigint, oldest_unpublished_s double precision,
                   pending bigint, oldest_pending_s double precision,
                   oldest_queued_run_s double precision)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
        SELECT
            (SELECT count(*) FROM public.worker_heartbeats
              WHERE seen_at > now() - make_interval(secs => p_alive_s)),
            (SELECT count(*) FROM public.outbox WHERE done_at IS NULL AND published_at IS NULL),
            (SELECT extract(epoch FROM now() - min(created_at))::double precision FROM public.outbox
              WHERE done_at IS NULL AND published_at IS NULL),
            (SELECT count(*) FROM public.outbox WHERE done_at IS NULL),
            (SELECT extract(epoch FROM now() - min(created_at))::double precision FROM public.outbox
              WHERE done_at IS NULL),
            (SELECT extract(epoch FROM now() - min(created_at))::double precision FROM public.match_runs
              WHERE state = 'queued')
    $$;
REVOKE ALL ON FUNCTION tessera_pipeline_health(double precision) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tessera_pipeline_health(double precision) TO tessera_app;
