-- Failed sign-ins, counted in fixed windows per source address and per token id, so
-- every API process (and the desk) sees the same counts. The application role reaches
-- the table only through the two definer functions below; the secret never arrives here.

CREATE TABLE auth_failures (
    scope         text NOT NULL CHECK (scope IN ('source', 'key')),
    subject       text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    window_start  timestamptz NOT NULL,
    failures      integer NOT NULL DEFAULT 0,
    refused       integer NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, subject)
);
ALTER TABLE auth_failures ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_failures FORCE ROW LEVEL SECURITY;

-- Seconds until the source (or the token id) may try again, 0 if it may now. A refusal
-- is counted (refused), without looking at the token.
CREATE FUNCTION tessera_auth_retry_after(p_source text, p_key_id text, p_limit integer,
                                         p_window_s integer)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
        wait_s integer;
    BEGIN
        SELECT coalesce(max(ceil(extract(epoch FROM
                   f.window_start + make_interval(secs => p_window_s) - clock_timestamp())))::int,
                   0)
          INTO wait_s
          FROM public.auth_failures f
         WHERE ((f.scope = 'source' AND f.subject = p_source)
                OR (f.scope = 'key' AND f.subject = p_key_id))
           AND f.failures >= p_limit
           AND f.window_start + make_interval(secs => p_window_s) > clock_timestamp();
        IF wait_s > 0 THEN
            UPDATE public.auth_failures f SET refused = f.refused + 1
             WHERE (f.scope = 'source' AND f.subject = p_source)
                OR (f.scope = 'key' AND f.subject = p_key_id);
            RETURN greatest(wait_s, 1);
        END IF;
        RETURN 0;
    END
    $$;

-- Count one failure for the source and (if the token had one) its id. Returns the
-- source's count in its current window and, when this failure opened a new window, the
-- totals of the window it closed (failures and refusals), so they can be logged.
CREATE FUNCTION tessera_auth_failed(p_source text, p_key_id text, p_window_s integer)
    RETURNS TABLE (failures integer, key_failures integer, closed_failures integer,
                   closed_refused integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
        old public.auth_failures;
        n integer;
        k integer := NULL;
    BEGIN
        SELECT * INTO old FROM public.auth_failures f
         WHERE f.scope = 'source' AND f.subject = p_source FOR UPDATE;
        INSERT INTO public.auth_failures AS f (scope, subject, window_start, failures)
        VALUES ('source', p_source, clock_timestamp(), 1)
        ON CONFLICT (scope, subject) DO UPDATE SET
            window_start = CASE WHEN f.window_start + make_interval(secs => p_window_s)
                                     <= clock_timestamp()
                                THEN clock_timestamp() ELSE f.window_start END,
            failures = CASE WHEN f.window_start + make_interval(secs => p_window_s)
                                 <= clock_timestamp()
                            THEN 1 ELSE f.failures + 1 END,
            refused = CASE WHEN f.window_start + make_interval(secs => p_window_s)
                                <= clock_timestamp()
                           THEN 0 ELSE f.refused END
        RETURNING f.failures INTO n;
        IF p_key_id IS NOT NULL THEN
            INSERT INTO public.auth_failures AS f (scope, subject, window_start, failures)
            VALUES ('key', p_key_id, clock_timestamp(), 1)
            ON CONFLICT (scope, subject) DO UPDATE SET
                window_start = CASE WHEN f.window_start + make_interval(secs => p_window_s)
                                         <= clock_timestamp()
                                    THEN clock_timestamp() ELSE f.window_start END,
                failures = CASE WHEN f.window_start + make_interval(secs => p_window_s)
                                     <= clock_timestamp()
                                THEN 1 ELSE f.failures + 1 END,
                refused = CASE WHEN f.window_start + make_interval(secs => p_window_s)
                                    <= clock_timestamp()
                               THEN 0 ELSE f.refused END
            RETURNING f.failures INTO k;
        END IF;
        IF n = 1 THEN
            -- a new window: forget counts whose windows ended long ago, so the table
            -- stays small however many token ids an attacker makes up
            DELETE FROM public.auth_failures f
             WHERE f.window_start < clock_timestamp() - make_interval(secs => 10 * p_window_s);
        END IF;
        IF n = 1 AND old.subject IS NOT NULL THEN
            RETURN QUERY SELECT n, k, old.failures, old.refused;
        ELSE
            RETURN QUERY SELECT n, k, NULL::integer, NULL::integer;
        END IF;
    END
    $$;

REVOKE ALL ON FUNCTION tessera_auth_retry_after(text, text, integer, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION tessera_auth_failed(text, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tessera_auth_retry_after(text, text, integer, integer),
    tessera_auth_failed(text, text, integer) TO tessera_app;
