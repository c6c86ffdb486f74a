-- The subject's own account changes as a case goes on (a name spelt otherwise at the
-- second interview, a date of birth corrected): every version is kept. The database
-- writes the history itself, on the case's insert and on every change of its subject,
-- so no write path can change a subject without leaving the version it replaced; the
-- application role may only read it.

ALTER TABLE cases ADD COLUMN subject_reason text
    CHECK (length(subject_reason) BETWEEN 1 AND 2000);

CREATE TABLE case_subject_versions (
    case_id     uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    agency_id   uuid NOT NULL REFERENCES agencies (id),
    version     integer NOT NULL CHECK (version >= 1),
    subject     jsonb NOT NULL,
    reason      text,
    changed_by  uuid REFERENCES users (id),
    changed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, version)
);
ALTER TABLE case_subject_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE case_subject_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY case_subject_versions_own_agency ON case_subject_versions FOR SELECT
    USING (agency_id = tessera_agency() AND tessera_role() = 'caseworker');
GRANT SELECT ON case_subject_versions TO tessera_app;

CREATE FUNCTION tessera_case_subject_version() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.subject IS NOT DISTINCT FROM OLD.subject THEN
            RETURN NEW;
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.subject_reason IS NULL THEN
            RAISE EXCEPTION 'subject_reason_required: a change of the subject states its reason'
                USING ERRCODE = 'check_violation';
        END IF;
        INSERT INTO public.case_subject_versions
            (case_id, agency_id, version, subject, reason, changed_by)
        SELECT NEW.id, NEW.agency_id, coalesce(max(v.version), 0) + 1, NEW.subject,
               CASE WHEN TG_OP = 'UPDATE' THEN NEW.subject_reason END,
               coalesce(public.tessera_user(), NEW.created_by)
        FROM public.case_subject_versions v WHERE v.case_id = NEW.id;
        RETURN NEW;
    END
    $$;
CREATE TRIGGER cases_subject_version AFTER INSERT OR UPDATE OF subject ON cases
    FOR EACH ROW EXECUTE FUNCTION tessera_case_subject_version();

-- the cases opened before this migration: their subject as version 1
INSERT INTO case_subject_versions (case_id, agency_id, version, subject, changed_by, changed_at)
SELECT id, agency_id, 1, subject, created_by, created_at FROM cases;
