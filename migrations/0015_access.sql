-- Withdrawing access (issue 23): a user can be disabled and a sharing agreement
-- revoked before it expires, both at once for the next request; a partner's query
-- reaches only the galleries whose agreement allows the purpose it states; partner
-- queries are counted per agency in fixed windows; the two-person rule checks the
-- reviewer against the transaction's own user, and a first verdict no longer shows
-- in the case's state.

-- Disabling a user ---------------------------------------------------------------------
-- tessera_auth_lookup and tessera_desk_session (0001, 0005) already refuse a disabled
-- user; disabling also deletes the user's desk sessions, and is for good.

GRANT UPDATE (disabled_at) ON users TO tessera_app;
CREATE POLICY users_admin_disable ON users FOR UPDATE
    USING (tessera_role() = 'admin') WITH CHECK (tessera_role() = 'admin');

CREATE FUNCTION tessera_user_disabled() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    BEGIN
        IF OLD.disabled_at IS NOT NULL AND NEW.disabled_at IS DISTINCT FROM OLD.disabled_at THEN
            RAISE EXCEPTION 'a disabled user stays disabled'
                USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.disabled_at IS NOT NULL THEN
            DELETE FROM public.desk_sessions s WHERE s.user_id = NEW.id;
        END IF;
        RETURN NULL;
    END
    $$;
CREATE TRIGGER users_disabled AFTER UPDATE OF disabled_at ON users
    FOR EACH ROW EXECUTE FUNCTION tessera_user_disabled();

-- Revoking a sharing agreement ------------------------------------------------------------

ALTER TABLE sharing_agreements ADD COLUMN revoked_at timestamptz;
ALTER TABLE sharing_agreements ADD COLUMN revoked_by uuid REFERENCES users (id);
ALTER TABLE sharing_agreements ADD CONSTRAINT sharing_agreements_revoked_by
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL));
GRANT UPDATE (revoked_at, revoked_by) ON sharing_agreements TO tessera_app;
CREATE POLICY sharing_admin_revoke ON sharing_agreements FOR UPDATE
    USING (tessera_role() = 'admin') WITH CHECK (tessera_role() = 'admin');

CREATE FUNCTION tessera_agreement_revoke_once() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        IF OLD.revoked_at IS NOT NULL THEN
            RAISE EXCEPTION 'a revoked agreement stays revoked'
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END
    $$;
CREATE TRIGGER sharing_agreements_revoke_once BEFORE UPDATE ON sharing_agreements
    FOR EACH ROW EXECUTE FUNCTION tessera_agreement_revoke_once();

-- Purposes -----------------------------------------------------------------------------------
-- The purpose a request states (X-Purpose), set per transaction like the agency.
-- An agreement's purpose allows a stated purpose that is the same text, or begins with
-- it and goes on after a space or punctuation ("readmission" allows "readmission
-- request 42" and "Readmission: case 7", not "readmissions" or "visa"), compared
-- without regard to case or runs of white space.

CREATE FUNCTION tessera_purpose() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('tessera.purpose', true), '') $$;

CREATE FUNCTION tessera_purpose_norm(t text) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT lower(btrim(regexp_replace(coalesce(t, ''), '\s+', ' ', 'g'))) $$;

CREATE FUNCTION tessera_purpose_allows(agreed text, stated text) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, public
    AS $$
        SELECT a <> '' AND (s = a OR (left(s, length(a)) = a
                                      AND substr(s, length(a) + 1, 1) !~ '[[:alnum:]]'))
        FROM (SELECT public.tessera_purpose_norm(agreed) AS a,
                     public.tessera_purpose_norm(stated) AS s) AS p
    $$;

-- Agencies whose gallery the current agency may reach: its own, and every owner that
-- shares with it under an agreement that has neither expired nor been revoked; a
-- partner's query only under the agreements that allow the purpose it states (case
-- matching by an agency's own workers is not a partner query and states none).
CREATE OR REPLACE FUNCTION tessera_readable_agencies() RETURNS uuid[]
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
        SELECT array_append(
            coalesce(array_agg(DISTINCT s.owner_agency_id), '{}'::uuid[]), tessera_agency())
        FROM public.sharing_agreements s
        WHERE s.partner_agency_id = tessera_agency()
          AND (s.expires_at IS NULL OR s.expires_at > now())
          AND s.revoked_at IS NULL
          AND (tessera_role() <> 'partner'
               OR public.tessera_purpose_allows(s.purpose, public.tessera_purpose()))
    $$;

-- Partner query limits -----------------------------------------------------------------------
-- Queries per partner agency in fixed windows, in PostgreSQL so that every API process
-- counts together; reached only through the definer function below.

CREATE TABLE partner_query_windows (
    agency_id     uuid PRIMARY KEY REFERENCES agencies (id),
    window_start  timestamptz NOT NULL,
    queries       integer NOT NULL DEFAULT 0,
    refused       integer NOT NULL DEFAULT 0
);
ALTER TABLE partner_query_windows ENABLE ROW LEVEL SECURITY;
ALTER TABLE partner_query_windows FORCE ROW LEVEL SECURITY;

-- Count one query of the current (partner) agency. retry_after is 0 when the query is
-- admitted, else the seconds until the window ends (the refusal is counted). When this
-- query opened a new window, closed_* are the totals of the window it closed.
CREATE FUNCTION tessera_partner_admit(p_limit integer, p_window_s integer)
    RETURNS TABLE (retry_after integer, queries integer, refused integer,
                   closed_queries integer, closed_refused integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
        me uuid := tessera_agency();
        w public.partner_query_windows;
        ends timestamptz;
    BEGIN
        IF me IS NULL OR tessera_role() <> 'partner' THEN
            RAISE EXCEPTION 'only a partner''s query is counted'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        SELECT * INTO w FROM public.partner_query_windows q WHERE q.agency_id = me FOR UPDATE;
        IF NOT FOUND THEN
            INSERT INTO public.partner_query_windows (agency_id, window_start, queries)
            VALUES (me, clock_timestamp(), 1) ON CONFLICT (agency_id) DO NOTHING;
            IF FOUND THEN
                RETURN QUERY SELECT 0, 1, 0, NULL::integer, NULL::integer;
                RETURN;
            END IF;
            SELECT * INTO w FROM public.partner_query_windows q
             WHERE q.agency_id = me FOR UPDATE;
        END IF;
        ends := w.window_start + make_interval(secs => p_window_s);
        IF ends <= clock_timestamp() THEN
            UPDATE public.partner_query_windows q
               SET window_start = clock_timestamp(), queries = 1, refused = 0
             WHERE q.agency_id = me;
            RETURN QUERY SELECT 0, 1, 0, w.queries, w.refused;
        ELSIF w.queries >= p_limit THEN
            UPDATE public.partner_query_windows q SET refused = q.refused + 1
             WHERE q.agency_id = me;
            RETURN QUERY SELECT greatest(ceil(extract(epoch FROM ends - clock_timestamp()))::int, 1),
                                w.queries, w.refused + 1, NULL::integer, NULL::integer;
        ELSE
            UPDATE public.partner_query_windows q SET queries = q.queries + 1
             WHERE q.agency_id = me;
            RETURN QUERY SELECT 0, w.queries + 1, w.refused, NULL::integer, NULL::integer;
        END IF;
    END
    $$;

REVOKE ALL ON FUNCTION tessera_partner_admit(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tessera_partner_admit(integer, integer), tessera_purpose(),
    tessera_purpose_norm(text), tessera_purpose_allows(text, text) TO tessera_app;

-- The two-person rule, with the reviewer the transaction acts for ----------------------------
-- The reviewer is tessera_user(), the user the request authenticated as (set with the
-- agency and role); a decision whose reviewer_id is any other id is refused, so the
-- application cannot record a verdict in someone else's name.

CREATE OR REPLACE FUNCTION tessera_decide() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    DECLARE
        cand candidates%ROWTYPE;
        run_algorithm text;
        creator uuid;
        reviewer uuid := tessera_user();
        reviewer_role text;
        reviewer_agency uuid;
        other_confirms integer;
    BEGIN
        IF reviewer IS NULL OR NEW.reviewer_id IS DISTINCT FROM reviewer THEN
            RAISE EXCEPTION 'two_person_rule: a decision is recorded only in the name of the user who makes it'
                USING ERRCODE = 'check_violation';
        END IF;
        SELECT * INTO cand FROM candidates WHERE id = NEW.candidate_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'candidate % not found', NEW.candidate_id
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        SELECT u.role, u.agency_id INTO reviewer_role, reviewer_agency
            FROM users u WHERE u.id = reviewer AND u.disabled_at IS NULL;
        IF reviewer_role IS DISTINCT FROM 'caseworker'
           OR reviewer_agency IS DISTINCT FROM cand.agency_id
           OR tessera_role() IS DISTINCT FROM 'caseworker'
           OR tessera_agency() IS DISTINCT FROM cand.agency_id THEN
            RAISE EXCEPTION 'two_person_rule: only a caseworker of the case''s agency decides'
                USING ERRCODE = 'check_violation';
        END IF;
        SELECT algorithm INTO run_algorithm FROM match_runs WHERE id = cand.match_run_id;
        NEW.agency_id := cand.agency_id;
        NEW.case_id := cand.case_id;
        NEW.match_run_id := cand.match_run_id;
        NEW.algorithm := run_algorithm;
        NEW.score := cand.score;
        NEW.band := cand.band;
        NEW.explanation := cand.explanation;

        IF cand.status = 'confirmed' THEN
            RAISE EXCEPTION 'two_person_rule: this candidate is already confirmed'
                USING ERRCODE = 'check_violation';
        END IF;
        IF NEW.verdict = 'reject' THEN
            UPDATE candidates SET status = 'disputed' WHERE id = cand.id;
        ELSIF NEW.verdict = 'confirm' AND cand.status <> 'disputed' THEN
            SELECT count(*) INTO other_confirms FROM decisions d
                WHERE d.candidate_id = cand.id AND d.verdict = 'confirm'
                  AND d.reviewer_id <> reviewer;
            IF other_confirms > 0 THEN
                SELECT created_by INTO creator FROM cases WHERE id = cand.case_id;
                IF creator = reviewer THEN
                    RAISE EXCEPTION 'two_person_rule: the case''s creator cannot give the second confirmation'
                        USING ERRCODE = 'check_violation';
                END IF;
                UPDATE candidates SET status = 'confirmed' WHERE id = cand.id;
            ELSE
                UPDATE candidates SET status = 'under_review' WHERE id = cand.id;
            END IF;
        END IF;
        RETURN NEW;
    END
    $$;

-- A first verdict leaves the case's state as it was (candidates_ready): a second
-- reviewer reading the case must not learn that someone has decided. Only the
-- confirmation that completes the rule changes it, to identified. ('under_review'
-- stays a valid state for cases that reached it before this migration.)
CREATE OR REPLACE FUNCTION tessera_decisions_after() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    DECLARE
        cand_status text;
    BEGIN
        SELECT status INTO cand_status FROM candidates WHERE id = NEW.candidate_id;
        IF cand_status = 'confirmed' THEN
            UPDATE cases SET state = 'identified', updated_at = now() WHERE id = NEW.case_id;
        END IF;
        RETURN NULL;
    END
    $$;
