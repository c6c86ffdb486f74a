-- The data subject's rights: retention periods per agency and kind of data, a
-- retention date set by the database on every write, the erasure the retention sweep
-- and deletion requests share, and the events a subject-access export reads.
--
-- Erasure runs in definer functions: they check that the caller acts for the owning
-- agency (a caseworker) or for the retention sweep (role 'retention'), then remove the
-- record and every copy derived from it wherever it lies, other agencies' match
-- candidates included, which no request's row-level scope could reach.

-- Retention periods ------------------------------------------------------------------------
-- A row without agency is the default for every agency; an agency's own row wins.

CREATE TABLE retention_periods (
    agency_id   uuid REFERENCES agencies (id),
    kind        text NOT NULL CHECK (kind IN ('case', 'identity', 'document', 'interview',
                                              'language_test', 'face_image')),
    days        integer NOT NULL CHECK (days BETWEEN 1 AND 36500),
    updated_by  uuid,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (agency_id, kind)
);
-- Defaults: five years for a case and its evidence (Eurodac 2024/1358 keeps the data of
-- a person apprehended at irregular entry five years), ten for a gallery record. An
-- agency sets its own through PUT /v1/agencies/{id}/retention.
INSERT INTO retention_periods (agency_id, kind, days) VALUES
    (NULL, 'case', 1825), (NULL, 'identity', 3650), (NULL, 'document', 1825),
    (NULL, 'interview', 1825), (NULL, 'language_test', 1825), (NULL, 'face_image', 1825);

ALTER TABLE retention_periods ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention_periods FORCE ROW LEVEL SECURITY;
CREATE POLICY retention_periods_read ON retention_periods FOR SELECT
    USING (tessera_role() = 'admin' OR agency_id IS NULL OR agency_id = tessera_agency());
CREATE POLICY retention_periods_admin_insert ON retention_periods FOR INSERT
    WITH CHECK (tessera_role() = 'admin' AND agency_id IS NOT NULL);
CREATE POLICY retention_periods_admin_update ON retention_periods FOR UPDATE
    USING (tessera_role() = 'admin' AND agency_id IS NOT NULL)
    WITH CHECK (tessera_role() = 'admin' AND agency_id IS NOT NULL);

-- The period that applies to an agency's data of one kind, in days.
CREATE FUNCTION tessera_retention_days(p_agency uuid, p_kind text) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
        SELECT r.days FROM public.retention_periods r
        WHERE r.kind = p_kind AND (r.agency_id = p_agency OR r.agency_id IS NULL)
        ORDER BY r.agency_id IS NULL
        LIMIT 1
    $$;

-- Retention dates, set on write ---------------------------------------------------------------
-- Whatever the client sends: an item of evidence keeps its kind's period from when it
-- was added; a case its period from its opening, then from its closing; an identity
-- record its period from its last change.

ALTER TABLE cases ADD COLUMN retention_until timestamptz;
ALTER TABLE identities ADD COLUMN retention_until timestamptz;

CREATE FUNCTION tessera_retention_evidence() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        NEW.retention_until := now()
            + make_interval(days => tessera_retention_days(NEW.agency_id, NEW.kind));
        RETURN NEW;
    END
    $$;
CREATE TRIGGER evidence_retention BEFORE INSERT ON evidence
    FOR EACH ROW EXECUTE FUNCTION tessera_retention_evidence();

CREATE FUNCTION tessera_retention_case() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            NEW.retention_until := now()
                + make_interval(days => tessera_retention_days(NEW.agency_id, 'case'));
        ELSIF OLD.closed_at IS NULL AND NEW.closed_at IS NOT NULL THEN
            NEW.retention_until := NEW.closed_at
                + make_interval(days => tessera_retention_days(NEW.agency_id, 'case'));
        ELSIF current_user = 'tessera_app' THEN
            -- the service cannot move a date; an operator (the owner) may, for a legal hold
            NEW.retention_until := OLD.retention_until;
        END IF;
        RETURN NEW;
    END
    $$;
CREATE TRIGGER cases_retention BEFORE INSERT OR UPDATE ON cases
    FOR EACH ROW EXECUTE FUNCTION tessera_retention_case();

CREATE FUNCTION tessera_retention_identity() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        IF TG_OP = 'INSERT' OR NEW.person IS DISTINCT FROM OLD.person THEN
            NEW.retention_until := now()
                + make_interval(days => tessera_retention_days(NEW.agency_id, 'identity'));
        ELSIF current_user = 'tessera_app' THEN
            -- the service cannot move a date; an operator (the owner) may, for a legal hold
            NEW.retention_until := OLD.retention_until;
        END IF;
        RETURN NEW;
    END
    $$;
CREATE TRIGGER identities_retention BEFORE INSERT OR UPDATE ON identities
    FOR EACH ROW EXECUTE FUNCTION tessera_retention_identity();

-- Rows written before this migration get their dates from their creation (or closing)
-- under the defaults. The tables' own triggers refuse or skip such updates (evidence is
-- append-only, a closed case terminal), so they are set aside for this one statement each.
ALTER TABLE evidence DISABLE TRIGGER USER;
UPDATE evidence SET retention_until = created_at
    + make_interval(days => tessera_retention_days(agency_id, kind));
ALTER TABLE evidence ENABLE TRIGGER USER;
ALTER TABLE cases DISABLE TRIGGER USER;
UPDATE cases SET retention_until = coalesce(closed_at, created_at)
    + make_interval(days => tessera_retention_days(agency_id, 'case'));
ALTER TABLE cases ENABLE TRIGGER USER;
ALTER TABLE identities DISABLE TRIGGER USER;
UPDATE identities SET retention_until = updated_at
    + make_interval(days => tessera_retention_days(agency_id, 'identity'));
ALTER TABLE identities ENABLE TRIGGER USER;

CREATE INDEX cases_retention_until ON cases (retention_until);
CREATE INDEX identities_retention_until ON identities (retention_until);
CREATE INDEX evidence_retention_until ON evidence (retention_until) WHERE erased_at IS NULL;

-- Erasure of a document's MRZ reading ----------------------------------------------------
-- What stays of an erased item's checks: whether its MRZ was valid and which checks
-- failed (codes and field names), never the names, dates or numbers it read.

CREATE FUNCTION tessera_redacted_checks(c jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE
    AS $$
        SELECT jsonb_strip_nulls(jsonb_build_object(
            'erased', true,
            'flags', CASE WHEN jsonb_typeof(c -> 'flags') = 'array' THEN c -> 'flags' END,
            'mrz', CASE WHEN jsonb_typeof(c -> 'mrz') = 'object' THEN jsonb_build_object(
                'format', c -> 'mrz' -> 'format',
                'valid', c -> 'mrz' -> 'valid',
                'errors', c -> 'mrz' -> 'errors',
                'mismatches', (
                    SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'field', m -> 'field', 'code', m -> 'code')), '[]'::jsonb)
                    FROM jsonb_array_elements(
                        CASE WHEN jsonb_typeof(c -> 'mrz' -> 'mismatches') = 'array'
                             THEN c -> 'mrz' -> 'mismatches' ELSE '[]'::jsonb END) AS m))
            END))
    $$;
GRANT EXECUTE ON FUNCTION tessera_redacted_checks(jsonb) TO tessera_app;
GRANT UPDATE (checks) ON evidence TO tessera_app;

-- Decisions stay immutable to the service role. Erasure (a definer function, so not
-- that role) may delete the decisions of an erased case and blank the explanation a
-- decision copied from an erased candidate; nothing else about a decision changes.
CREATE OR REPLACE FUNCTION tessera_decisions_immutable() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        IF current_user <> 'tessera_app' AND current_setting('tessera.erasing', true) = 'on' THEN
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

-- Shared erasure steps ---------------------------------------------------------------------

-- A subject's profile, search keys (and their counts) and protection row.
CREATE FUNCTION tessera_erase_profile(p_subject uuid) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
        n_keys integer;
        n_profiles integer;
    BEGIN
        WITH gone AS (
            DELETE FROM public.match_keys WHERE subject_id = p_subject RETURNING agency_id, key
        ), moves AS (
            SELECT agency_id, key, count(*) AS n FROM gone GROUP BY agency_id, key
        ), moved AS (
            UPDATE public.match_key_stats s SET df = s.df - m.n
            FROM moves m WHERE s.agency_id = m.agency_id AND s.key = m.key
            RETURNING m.n
        )
        SELECT coalesce(sum(n), 0) INTO n_keys FROM moved;
        WITH gone AS (
            DELETE FROM public.match_profiles WHERE subject_id = p_subject RETURNING agency_id
        ), moved AS (
            UPDATE public.match_key_stats s SET df = s.df - 1
            FROM gone g WHERE s.agency_id = g.agency_id AND s.key = '*'
            RETURNING 1
        )
        SELECT count(*) INTO n_profiles FROM gone;
        DELETE FROM public.subject_protection WHERE subject_id = p_subject;
        RETURN jsonb_build_object('profiles', n_profiles, 'search_keys', n_keys);
    END
    $$;

-- Other records' copies of a subject: the candidates that named it in any agency's match
-- runs keep their rank, score, band and status (the case's decisions stay readable) but
-- lose its reference and the explanation (its names, dates, documents), as do the
-- decisions taken on them.
CREATE FUNCTION tessera_redact_candidates_of(p_subject uuid) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
        n integer;
    BEGIN
        PERFORM set_config('tessera.erasing', 'on', true);
        UPDATE public.decisions d SET explanation = '[]'::jsonb
            FROM public.candidates c
            WHERE c.subject_id = p_subject AND d.candidate_id = c.id
              AND d.explanation <> '[]'::jsonb;
        UPDATE public.candidates SET ref = NULL, explanation = '[]'::jsonb
            WHERE subject_id = p_subject;
        GET DIAGNOSTICS n = ROW_COUNT;
        PERFORM set_config('tessera.erasing', '', true);
        RETURN n;
    END
    $$;

CREATE FUNCTION tessera_may_erase(p_agency uuid) RETURNS boolean
    LANGUAGE sql STABLE
    AS $$
        SELECT (tessera_role() = 'caseworker' AND p_agency = tessera_agency())
            OR (tessera_role() = 'retention' AND p_agency = tessera_agency())
    $$;

-- Erasure of a case, an identity record, an item of evidence ------------------------------
-- Each returns the counts of what it removed (no content), NULL when the caller's agency
-- holds no such row, or {"refused": code} when a deletion request must wait for the
-- retention sweep: a case identified by two confirmations, a record a case was
-- identified as. The sweep (p_refuse_confirmed false) erases those too.

CREATE FUNCTION tessera_erase_case(p_case uuid, p_refuse_confirmed boolean) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
        c_agency uuid;
        result jsonb;
        n integer;
    BEGIN
        SELECT agency_id INTO c_agency FROM public.cases WHERE id = p_case FOR UPDATE;
        IF NOT FOUND OR NOT tessera_may_erase(c_agency) THEN
            RETURN NULL;
        END IF;
        IF p_refuse_confirmed AND EXISTS (
            SELECT 1 FROM public.candidates WHERE case_id = p_case AND status = 'confirmed'
        ) THEN
            RETURN jsonb_build_object('refused', 'case_identified');
        END IF;
        result := tessera_erase_profile(p_case);
        result := result || jsonb_build_object('candidates_elsewhere', tessera_redact_candidates_of(p_case));
        PERFORM set_config('tessera.erasing', 'on', true);
        DELETE FROM public.decisions WHERE case_id = p_case;
        GET DIAGNOSTICS n = ROW_COUNT;
        result := result || jsonb_build_object('decisions', n);
        PERFORM set_config('tessera.erasing', '', true);
        DELETE FROM public.candidates WHERE case_id = p_case;
        GET DIAGNOSTICS n = ROW_COUNT;
        result := result || jsonb_build_object('candidates', n);
        DELETE FROM public.match_runs WHERE case_id = p_case;
        GET DIAGNOSTICS n = ROW_COUNT;
        result := result || jsonb_build_object('match_runs', n);
        DELETE FROM public.face_embeddings WHERE case_id = p_case;
        GET DIAGNOSTICS n = ROW_COUNT;
        result := result || jsonb_build_object('face_embeddings', n);
        DELETE FROM public.face_images WHERE case_id = p_case;
        GET DIAGNOSTICS n = ROW_COUNT;
        result := result || jsonb_build_object('face_images', n);
        DELETE FROM public.evidence WHERE case_id = p_case;
        GET DIAGNOSTICS n = ROW_COUNT;
        result := result || jsonb_build_object('evidence', n);
        DELETE FROM public.cases WHERE id = p_case;
        RETURN result || jsonb_build_object('cases', 1);
    END
    $$;

CREATE FUNCTION tessera_erase_identity(p_identity uuid, p_refuse_confirmed boolean) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
        i_agency uuid;
        result jsonb;
        n integer;
    BEGIN
        SELECT agency_id INTO i_agency FROM public.identities WHERE id = p_identity FOR UPDATE;
        IF NOT FOUND OR NOT tessera_may_erase(i_agency) THEN
            RETURN NULL;
        END IF;
        IF p_refuse_confirmed AND EXISTS (
            SELECT 1 FROM public.candidates WHERE subject_id = p_identity AND status = 'confirmed'
        ) THEN
            RETURN jsonb_build_object('refused', 'identity_confirmed_match');
        END IF;
        result := tessera_erase_profile(p_identity);
        result := result || jsonb_build_object(
            'candidates_elsewhere', tessera_redact_candidates_of(p_identity));
        DELETE FROM public.import_records WHERE identity_id = p_identity;
        GET DIAGNOSTICS n = ROW_COUNT;
        result := result || jsonb_build_object('import_records', n);
        DELETE FROM public.identities WHERE id = p_identity;
        RETURN result || jsonb_build_object('identities', 1);
    END
    $$;

-- The sweep's erasure of one item whose retention passed before its case's: the same as
-- DELETE /v1/cases/{id}/evidence/{id} (a tombstone; the photo, thumbnail and embedding go).
CREATE FUNCTION tessera_erase_evidence(p_evidence uuid) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
        e_agency uuid;
        e_case uuid;
        e_kind text;
        e_erased timestamptz;
        n_images integer;
        n_embeddings integer;
    BEGIN
        SELECT agency_id, case_id, kind, erased_at INTO e_agency, e_case, e_kind, e_erased
            FROM public.evidence WHERE id = p_evidence FOR UPDATE;
        IF NOT FOUND OR NOT tessera_may_erase(e_agency) OR e_erased IS NOT NULL THEN
            RETURN NULL;
        END IF;
        DELETE FROM public.face_images WHERE evidence_id = p_evidence;
        GET DIAGNOSTICS n_images = ROW_COUNT;
        DELETE FROM public.face_embeddings WHERE evidence_id = p_evidence;
        GET DIAGNOSTICS n_embeddings = ROW_COUNT;
        UPDATE public.evidence
            SET erased_at = now(), data = '{"status": "erased"}'::jsonb,
                checks = tessera_redacted_checks(checks)
            WHERE id = p_evidence;
        RETURN jsonb_build_object('case_id', e_case, 'kind', e_kind, 'face_images', n_images,
                                  'face_embeddings', n_embeddings, 'evidence', 1);
    END
    $$;

-- What the sweep must erase now, across agencies (ids and kinds only). An item of
-- evidence whose case is due goes with its case.
CREATE FUNCTION tessera_retention_due(p_now timestamptz, p_limit integer)
    RETURNS TABLE (kind text, id uuid, agency_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    BEGIN
        IF tessera_role() <> 'retention' THEN
            RAISE EXCEPTION 'only the retention sweep lists what is due'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN QUERY
            (SELECT 'case'::text, c.id, c.agency_id FROM public.cases c
             WHERE c.retention_until <= p_now ORDER BY c.retention_until LIMIT p_limit)
            UNION ALL
            (SELECT 'identity'::text, i.id, i.agency_id FROM public.identities i
             WHERE i.retention_until <= p_now ORDER BY i.retention_until LIMIT p_limit)
            UNION ALL
            (SELECT 'evidence'::text, e.id, e.agency_id FROM public.evidence e
             JOIN public.cases c ON c.id = e.case_id
             WHERE e.retention_until <= p_now AND e.erased_at IS NULL
               AND NOT (c.retention_until <= p_now)
             ORDER BY e.retention_until LIMIT p_limit);
    END
    $$;

-- Subject-access export: the audit events about one case of the caller's agency (the
-- case, its evidence, its runs and candidates), for a caseworker of that agency.
CREATE INDEX audit_events_case_id ON audit_events ((details ->> 'case_id'), seq);

CREATE FUNCTION tessera_case_audit_events(p_case uuid)
    RETURNS TABLE (seq bigint, occurred_at timestamptz, actor_id uuid, role text, action text,
                   object_type text, object_id text, purpose text, details jsonb)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
        SELECT a.seq, a.occurred_at, a.actor_id, a.role, a.action, a.object_type, a.object_id,
               a.purpose, a.details
        FROM public.audit_events a
        WHERE EXISTS (SELECT 1 FROM public.cases c WHERE c.id = p_case
                      AND c.agency_id = tessera_agency() AND tessera_role() = 'caseworker')
          AND (a.object_id = p_case::text
               OR a.details ->> 'case_id' = p_case::text
               OR a.object_id IN (SELECT e.id::text FROM public.evidence e WHERE e.case_id = p_case)
               OR a.object_id IN (SELECT r.id::text FROM public.match_runs r
                                  WHERE r.case_id = p_case)
               OR a.object_id IN (SELECT k.id::text FROM public.candidates k
                                  WHERE k.case_id = p_case))
        ORDER BY a.seq
    $$;

REVOKE ALL ON FUNCTION tessera_retention_days(uuid, text), tessera_erase_profile(uuid),
    tessera_redact_candidates_of(uuid), tessera_erase_case(uuid, boolean),
    tessera_erase_identity(uuid, boolean), tessera_erase_evidence(uuid),
    tessera_retention_due(timestamptz, integer), tessera_case_audit_events(uuid)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tessera_retention_days(uuid, text), tessera_may_erase(uuid),
    tessera_erase_case(uuid, boolean), tessera_erase_identity(uuid, boolean),
    tessera_erase_evidence(uuid), tessera_retention_due(timestamptz, integer),
    tessera_case_audit_events(uuid) TO tessera_app;
GRANT SELECT, INSERT, UPDATE ON retention_periods TO tessera_app;
