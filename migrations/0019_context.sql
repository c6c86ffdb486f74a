-- Who a transaction acts for is no longer something the service role can say of itself.
--
-- Until now tessera_agency(), tessera_user() and tessera_role() read settings
-- (tessera.agency_id, ...) that any session may set, so row-level security guarded
-- against the service's bugs but not against anyone holding its role: one set_config()
-- made it an auditor of any agency. From here the context lives in tessera_contexts, a
-- table no service role can write, one row per backend, valid for the transaction it
-- was written in (its start time) and for that one only. Rows are written by definer
-- functions that each take a proof and derive user, agency and role from it:
--
--   tessera_enter(key_id, sha256(secret))   a bearer token (the API; tessera_app)
--   tessera_enter_session(sha256(cookie))   a desk session (tessera_app)
--   tessera_enter_machine(role, agency)     system, worker, retention: only the new
--                                           role tessera_worker may call it
--   tessera_context_set(user, agency, role) the owner (operators' commands) only
--   tessera_leave()                         any: drops the backend's context
--
-- tessera_worker, which the workers connect as, is a member of tessera_app (the same
-- grants) that may also act as a machine. Holding tessera_app alone, a session can act
-- only as the owner of a token it presents.
--
-- The audit log records the actor of the context it is written in: an append naming
-- another actor, agency or role is refused, so the service role cannot write an event
-- in someone else's name either.
--
-- The policies are rewritten to read the context once per statement ("(SELECT
-- tessera_agency())", an init plan) rather than once per row, since reading it is now a
-- lookup rather than a setting.

CREATE UNLOGGED TABLE tessera_contexts (
    pid         integer PRIMARY KEY,
    xact_start  timestamptz NOT NULL,
    user_id     uuid,
    agency_id   uuid,
    role        text NOT NULL CHECK (role IN ('caseworker', 'partner', 'auditor', 'oversight',
                                              'admin', 'system', 'worker', 'retention'))
);
ALTER TABLE tessera_contexts ENABLE ROW LEVEL SECURITY;
ALTER TABLE tessera_contexts FORCE ROW LEVEL SECURITY;
CREATE POLICY contexts_own_backend ON tessera_contexts
    USING (pid = pg_backend_pid()) WITH CHECK (pid = pg_backend_pid());
REVOKE ALL ON tessera_contexts FROM PUBLIC;

-- The readers: the row of this backend, if it was written in this transaction. No
-- search_path of their own (each call would pay for it); every name is qualified.
CREATE OR REPLACE FUNCTION tessera_agency() RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL RESTRICTED
    AS $$
        SELECT c.agency_id FROM public.tessera_contexts c
        WHERE c.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()
          AND c.xact_start OPERATOR(pg_catalog.=) pg_catalog.transaction_timestamp()
    $$;

CREATE OR REPLACE FUNCTION tessera_user() RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL RESTRICTED
    AS $$
        SELECT c.user_id FROM public.tessera_contexts c
        WHERE c.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()
          AND c.xact_start OPERATOR(pg_catalog.=) pg_catalog.transaction_timestamp()
    $$;

CREATE OR REPLACE FUNCTION tessera_role() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER PARALLEL RESTRICTED
    AS $$
        SELECT COALESCE(
            (SELECT c.role FROM public.tessera_contexts c
             WHERE c.pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid()
               AND c.xact_start OPERATOR(pg_catalog.=) pg_catalog.transaction_timestamp()),
            'none')
    $$;

-- The writers ----------------------------------------------------------------------------

CREATE FUNCTION tessera_context_set(p_user uuid, p_agency uuid, p_role text) RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
        INSERT INTO public.tessera_contexts (pid, xact_start, user_id, agency_id, role)
        VALUES (pg_backend_pid(), transaction_timestamp(), p_user, p_agency, p_role)
        ON CONFLICT (pid) DO UPDATE
            SET xact_start = excluded.xact_start, user_id = excluded.user_id,
                agency_id = excluded.agency_id, role = excluded.role
    $$;

CREATE FUNCTION tessera_enter(p_key_id text, p_secret_hash bytea)
    RETURNS TABLE (user_id uuid, agency_id uuid, role text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
        u record;
    BEGIN
        SELECT x.id, x.agency_id, x.role, x.secret_hash INTO u
            FROM public.users x
            WHERE x.key_id = p_key_id AND x.disabled_at IS NULL;
        IF NOT FOUND OR u.secret_hash IS DISTINCT FROM p_secret_hash THEN
            RAISE EXCEPTION 'that token opens no context'
                USING ERRCODE = 'invalid_authorization_specification';
        END IF;
        PERFORM public.tessera_context_set(u.id, u.agency_id, u.role);
        RETURN QUERY SELECT u.id, u.agency_id, u.role;
    END
    $$;

CREATE FUNCTION tessera_enter_session(p_id_hash bytea)
    RETURNS TABLE (user_id uuid, agency_id uuid, role text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
        s record;
    BEGIN
        SELECT d.user_id, u.agency_id, u.role INTO s
            FROM public.desk_sessions d
            JOIN public.users u ON u.id = d.user_id
            WHERE d.id_hash = p_id_hash AND u.disabled_at IS NULL
              AND u.agency_id = d.agency_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'that session opens no context'
                USING ERRCODE = 'invalid_authorization_specification';
        END IF;
        PERFORM public.tessera_context_set(s.user_id, s.agency_id, s.role);
        RETURN QUERY SELECT s.user_id, s.agency_id, s.role;
    END
    $$;

CREATE FUNCTION tessera_enter_machine(p_role text, p_agency uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    BEGIN
        IF p_role IS NULL OR p_role NOT IN ('system', 'worker', 'retention') THEN
            RAISE EXCEPTION 'a machine acts as system, worker or retention, not as %', p_role
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        PERFORM public.tessera_context_set('00000000-0000-0000-0000-000000000000'::uuid,
            coalesce(p_agency, '00000000-0000-0000-0000-000000000000'::uuid), p_role);
    END
    $$;

CREATE FUNCTION tessera_leave() RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$ DELETE FROM public.tessera_contexts WHERE pid = pg_backend_pid() $$;

REVOKE ALL ON FUNCTION tessera_context_set(uuid, uuid, text), tessera_enter(text, bytea),
    tessera_enter_session(bytea), tessera_enter_machine(text, uuid), tessera_leave()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tessera_enter(text, bytea), tessera_enter_session(bytea),
    tessera_leave() TO tessera_app;
GRANT EXECUTE ON FUNCTION tessera_enter_machine(text, uuid) TO tessera_worker;

-- The audit log names the context's actor -----------------------------------------------

CREATE OR REPLACE FUNCTION tessera_audit_append(
    p_actor_id uuid,
    p_agency_id uuid,
    p_role text,
    p_action text,
    p_object_type text,
    p_object_id text,
    p_purpose text,
    p_request_id text,
    p_details jsonb
) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
        ev public.audit_events;
        head_seq bigint;
        head_hash bytea;
        ctx_role text := nullif(public.tessera_role(), 'none');
    BEGIN
        IF (p_actor_id, p_agency_id, p_role) IS DISTINCT FROM
           (public.tessera_user(), public.tessera_agency(), ctx_role) THEN
            RAISE EXCEPTION 'an audit event names the actor of the context it is written in'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF p_action IS NULL OR length(p_action) = 0 OR length(p_action) > 100 THEN
            RAISE EXCEPTION 'an audit event needs an action of 1 to 100 characters'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF p_details IS NOT NULL AND jsonb_typeof(p_details) <> 'object' THEN
            RAISE EXCEPTION 'an audit event''s details are a JSON object'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        PERFORM pg_advisory_xact_lock(7341002);
        SELECT a.seq, a.hash INTO head_seq, head_hash
            FROM public.audit_events a ORDER BY a.seq DESC LIMIT 1;
        ev.seq := coalesce(head_seq, 0) + 1;
        ev.prev_hash := coalesce(head_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
        ev.id := gen_random_uuid();
        -- microseconds, as the chain's canonical form writes them
        ev.occurred_at := date_trunc('microseconds', clock_timestamp());
        ev.actor_id := p_actor_id;
        ev.agency_id := p_agency_id;
        ev.role := p_role;
        ev.action := p_action;
        ev.object_type := p_object_type;
        ev.object_id := p_object_id;
        ev.purpose := p_purpose;
        ev.request_id := p_request_id;
        ev.details := coalesce(p_details, '{}'::jsonb);
        ev.hash := public.tessera_audit_event_hash(ev);
        INSERT INTO public.audit_events VALUES (ev.*);
        RETURN ev.seq;
    END
    $$;

-- The service's two roles, not only tessera_app, are held to what the service may do --------

CREATE OR REPLACE FUNCTION tessera_retention_case() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            NEW.retention_until := now()
                + make_interval(days => tessera_retention_days(NEW.agency_id, 'case'));
        ELSIF OLD.closed_at IS NULL AND NEW.closed_at IS NOT NULL THEN
            NEW.retention_until := NEW.closed_at
                + make_interval(days => tessera_retention_days(NEW.agency_id, 'case'));
        ELSIF current_user IN ('tessera_app', 'tessera_worker') THEN
            -- the service cannot move a date; an operator (the owner) may, for a legal hold
            NEW.retention_until := OLD.retention_until;
        END IF;
        RETURN NEW;
    END
    $$;

CREATE OR REPLACE FUNCTION tessera_retention_identity() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        IF TG_OP = 'INSERT' OR NEW.person IS DISTINCT FROM OLD.person THEN
            NEW.retention_until := now()
                + make_interval(days => tessera_retention_days(NEW.agency_id, 'identity'));
        ELSIF current_user IN ('tessera_app', 'tessera_worker') THEN
            -- the service cannot move a date; an operator (the owner) may, for a legal hold
            NEW.retention_until := OLD.retention_until;
        END IF;
        RETURN NEW;
    END
    $$;

CREATE OR REPLACE FUNCTION tessera_decisions_immutable() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        IF current_user NOT IN ('tessera_app', 'tessera_worker')
           AND current_setting('tessera.erasing', true) = 'on' THEN
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            IF (NEW.id, NEW.agency_id, NEW.candidate_id, NEW.case_id, NEW.match_run_id,
                NEW.reviewer_id, NEW.verdict, NEW.reason, NEW.algorithm, NEW.score, NEW.band,
                NEW.created_at)
               IS NOT DISTINCT FROM
               (OLD.id, OLD.agency_id, OLD.candidate_id, OLD.case_id, OLD.match_run_id,
                OLD.reviewer_id, OLD.verdict, OLD.reason, OLD.algorithm, OLD.score, OLD.band,
                OLD.created_at)
               AND NEW.explanation = '[]'::jsonb THEN
                RETURN NEW;
            END IF;
        END IF;
        RAISE EXCEPTION 'decisions are immutable' USING ERRCODE = 'insufficient_privilege';
    END
    $$;

-- Policies read the context once per statement -------------------------------------------

DO $$
DECLARE
    p record;
    reads constant text := '\m(tessera_agency|tessera_user|tessera_role)\(\)';
    qual text;
    checks text;
BEGIN
    FOR p IN SELECT schemaname, tablename, policyname, pg_policies.qual, with_check
             FROM pg_policies WHERE schemaname = 'public'
    LOOP
        qual := regexp_replace(p.qual, reads, '(SELECT \1())', 'g');
        checks := regexp_replace(p.with_check, reads, '(SELECT \1())', 'g');
        IF qual IS DISTINCT FROM p.qual THEN
            EXECUTE format('ALTER POLICY %I ON %I.%I USING (%s)',
                           p.policyname, p.schemaname, p.tablename, qual);
        END IF;
        IF checks IS DISTINCT FROM p.with_check THEN
            EXECUTE format('ALTER POLICY %I ON %I.%I WITH CHECK (%s)',
                           p.policyname, p.schemaname, p.tablename, checks);
        END IF;
    END LOOP;
END
$$;
