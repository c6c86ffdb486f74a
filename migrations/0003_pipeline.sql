-- The matching pipeline: profiles and search keys, the outbox and its dead letters,
-- match runs and candidates, decisions under the two-person rule, the stop switch.

-- Workers act for the agency whose case or record they process.
CREATE POLICY cases_worker ON cases
    USING (agency_id = tessera_agency() AND tessera_role() = 'worker')
    WITH CHECK (agency_id = tessera_agency() AND tessera_role() = 'worker');
CREATE POLICY evidence_worker ON evidence FOR SELECT
    USING (agency_id = tessera_agency() AND tessera_role() = 'worker');
CREATE POLICY identities_worker ON identities FOR SELECT
    USING (agency_id = tessera_agency() AND tessera_role() = 'worker');

-- Agencies whose gallery the current agency may reach: its own, and every owner that
-- shares with it under an agreement that has not expired.
CREATE FUNCTION tessera_readable_agencies() RETURNS uuid[]
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
        SELECT array_append(
            coalesce(array_agg(DISTINCT s.owner_agency_id), '{}'::uuid[]), tessera_agency())
        FROM public.sharing_agreements s
        WHERE s.partner_agency_id = tessera_agency()
          AND (s.expires_at IS NULL OR s.expires_at > now())
    $$;

-- Profiles and keys ------------------------------------------------------------------------
-- What matching reads: the merged person of a case or identity record, its search
-- keys, and a gallery version that grows with every change.

CREATE SEQUENCE gallery_version_seq;

CREATE TABLE match_profiles (
    subject_id       uuid PRIMARY KEY,
    subject_kind     text NOT NULL CHECK (subject_kind IN ('identity', 'case')),
    agency_id        uuid NOT NULL REFERENCES agencies (id),
    ref              text,
    person           jsonb NOT NULL,
    person_hash      text NOT NULL,
    name_text        text NOT NULL DEFAULT '',
    birth_year       integer,
    keys             text[] NOT NULL,
    algorithm        text NOT NULL,
    gallery_version  bigint NOT NULL DEFAULT nextval('gallery_version_seq'),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX match_profiles_agency_version ON match_profiles (agency_id, gallery_version);
CREATE INDEX match_profiles_name_trgm ON match_profiles USING gin (name_text gin_trgm_ops);
CREATE INDEX match_profiles_birth_year ON match_profiles (birth_year);

CREATE TABLE match_keys (
    key           text NOT NULL,
    subject_id    uuid NOT NULL REFERENCES match_profiles (subject_id) ON DELETE CASCADE,
    agency_id     uuid NOT NULL,
    subject_kind  text NOT NULL
);
CREATE INDEX match_keys_key ON match_keys (key) INCLUDE (subject_id, agency_id, subject_kind);
CREATE INDEX match_keys_subject ON match_keys (subject_id);

ALTER TABLE match_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE match_profiles FORCE ROW LEVEL SECURITY;
CREATE POLICY match_profiles_reach ON match_profiles FOR SELECT
    USING (tessera_role() IN ('caseworker', 'partner', 'worker')
           AND agency_id = ANY ((SELECT tessera_readable_agencies())::uuid[]));
CREATE POLICY match_profiles_own_write ON match_profiles FOR INSERT
    WITH CHECK (agency_id = tessera_agency() AND tessera_role() IN ('caseworker', 'worker'));
CREATE POLICY match_profiles_own_update ON match_profiles FOR UPDATE
    USING (agency_id = tessera_agency() AND tessera_role() IN ('caseworker', 'worker'));
CREATE POLICY match_profiles_own_delete ON match_profiles FOR DELETE
    USING (agency_id = tessera_agency() AND tessera_role() IN ('caseworker', 'worker'));

ALTER TABLE match_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE match_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY match_keys_reach ON match_keys FOR SELECT
    USING (tessera_role() IN ('caseworker', 'partner', 'worker')
           AND agency_id = ANY ((SELECT tessera_readable_agencies())::uuid[]));
CREATE POLICY match_keys_own_write ON match_keys FOR INSERT
    WITH CHECK (agency_id = tessera_agency() AND tessera_role() IN ('caseworker', 'worker'));
CREATE POLICY match_keys_own_delete ON match_keys FOR DELETE
    USING (agency_id = tessera_agency() AND tessera_role() IN ('caseworker', 'worker'));

-- The outbox ----------------------------------------------------------------------------------
-- A change that needs work writes a row here in its own transaction; the relay
-- publishes committed rows to the broker, so a rolled-back change sends nothing.

CREATE TABLE outbox (
    id            bigserial PRIMARY KEY,
    agency_id     uuid NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('match_case', 'index_subjects')),
    payload       jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz,
    publish_count integer NOT NULL DEFAULT 0,
    attempts      integer NOT NULL DEFAULT 0,
    done_at       timestamptz,
    last_error    text
);
CREATE INDEX outbox_pending ON outbox (id) WHERE done_at IS NULL;

CREATE TABLE dead_letters (
    id          bigserial PRIMARY KEY,
    outbox_id   bigint NOT NULL UNIQUE REFERENCES outbox (id),
    agency_id   uuid NOT NULL,
    kind        text NOT NULL,
    payload     jsonb NOT NULL,
    error       text NOT NULL,
    attempts    integer NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The relay and the workers act for every agency, so the outbox is theirs alone; a
-- request may only add rows of its own agency.
ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY outbox_enqueue ON outbox FOR INSERT
    WITH CHECK (agency_id = tessera_agency() OR tessera_role() = 'system');
CREATE POLICY outbox_system ON outbox FOR SELECT
    USING (tessera_role() = 'system' OR agency_id = tessera_agency());
CREATE POLICY outbox_system_update ON outbox FOR UPDATE USING (tessera_role() = 'system');
ALTER TABLE dead_letters ENABLE ROW LEVEL SECURITY;
ALTER TABLE dead_letters FORCE ROW LEVEL SECURITY;
CREATE POLICY dead_letters_system ON dead_letters
    USING (tessera_role() IN ('system', 'admin')) WITH CHECK (tessera_role() = 'system');

CREATE FUNCTION tessera_outbox_notify() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN PERFORM pg_notify('tessera_outbox', NEW.id::text); RETURN NULL; END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH ROW EXECUTE FUNCTION tessera_outbox_notify();

-- The stop switch -----------------------------------------------------------------------------

CREATE TABLE control_flags (
    name        text PRIMARY KEY CHECK (name IN ('matching_suspended')),
    value       boolean NOT NULL,
    reason      text,
    updated_by  uuid,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO control_flags (name, value) VALUES ('matching_suspended', false);
ALTER TABLE control_flags ENABLE ROW LEVEL SECURITY;
ALTER TABLE control_flags FORCE ROW LEVEL SECURITY;
CREATE POLICY control_flags_read ON control_flags FOR SELECT USING (true);
CREATE POLICY control_flags_admin ON control_flags FOR UPDATE
    USING (tessera_role() = 'admin');

-- Match runs and candidates -------------------------------------------------------------------

CREATE TABLE match_runs (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id        uuid NOT NULL DEFAULT tessera_agency(),
    case_id          uuid NOT NULL,
    state            text NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'running', 'done', 'failed')),
    algorithm        text NOT NULL,
    evidence_hash    text NOT NULL,
    gallery_version  bigint,
    requested_by     uuid NOT NULL REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    attempts         integer NOT NULL DEFAULT 0,
    candidate_count  integer,
    timings          jsonb NOT NULL DEFAULT '{}'::jsonb,
    error            text,
    FOREIGN KEY (case_id, agency_id) REFERENCES cases (id, agency_id),
    -- one result per case, evidence state and algorithm version
    UNIQUE (case_id, evidence_hash, algorithm),
    UNIQUE (id, agency_id)
);
CREATE INDEX match_runs_case ON match_runs (case_id, created_at DESC);

CREATE TABLE candidates (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id        uuid NOT NULL,
    match_run_id     uuid NOT NULL,
    case_id          uuid NOT NULL,
    rank             integer NOT NULL CHECK (rank > 0),
    kind             text NOT NULL CHECK (kind IN ('identity', 'case')),
    subject_id       uuid NOT NULL,
    owner_agency_id  uuid NOT NULL,
    ref              text,
    score            double precision NOT NULL CHECK (score BETWEEN 0 AND 1),
    match_weight     double precision NOT NULL,
    band             text NOT NULL CHECK (band IN ('strong', 'possible', 'weak')),
    explanation      jsonb NOT NULL,
    status           text NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'under_review', 'confirmed', 'disputed')),
    FOREIGN KEY (match_run_id, agency_id) REFERENCES match_runs (id, agency_id),
    UNIQUE (match_run_id, rank),
    UNIQUE (match_run_id, subject_id)
);
CREATE INDEX candidates_case ON candidates (case_id);

ALTER TABLE match_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE match_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY match_runs_own_agency ON match_runs
    USING (agency_id = tessera_agency() AND tessera_role() IN ('caseworker', 'worker'))
    WITH CHECK (agency_id = tessera_agency() AND tessera_role() IN ('caseworker', 'worker'));
ALTER TABLE candidates ENABLE ROW LEVEL SECURITY;
ALTER TABLE candidates FORCE ROW LEVEL SECURITY;
CREATE POLICY candidates_own_agency ON candidates
    USING (agency_id = tessera_agency() AND tessera_role() IN ('caseworker', 'worker'))
    WITH CHECK (agency_id = tessera_agency() AND tessera_role() IN ('caseworker', 'worker'));

-- Decisions and the two-person rule -----------------------------------------------------------

CREATE TABLE decisions (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id      uuid NOT NULL DEFAULT tessera_agency(),
    candidate_id   uuid NOT NULL REFERENCES candidates (id),
    case_id        uuid NOT NULL,
    match_run_id   uuid NOT NULL,
    reviewer_id    uuid NOT NULL REFERENCES users (id),
    verdict        text NOT NULL CHECK (verdict IN ('confirm', 'reject', 'unsure')),
    reason         text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    algorithm      text NOT NULL,
    score          double precision NOT NULL,
    band           text NOT NULL,
    explanation    jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (candidate_id, reviewer_id)
);
CREATE INDEX decisions_case ON decisions (case_id, created_at);
ALTER TABLE decisions ENABLE ROW LEVEL SECURITY;
ALTER TABLE decisions FORCE ROW LEVEL SECURITY;
CREATE POLICY decisions_own_agency ON decisions FOR SELECT
    USING ((agency_id = tessera_agency() AND tessera_role() = 'caseworker')
           OR tessera_role() = 'auditor');
CREATE POLICY decisions_insert ON decisions FOR INSERT
    WITH CHECK (agency_id = tessera_agency() AND tessera_role() = 'caseworker');

-- Every decision is taken on the candidate as it stood: the trigger copies the run,
-- algorithm, score and explanation from the candidate, so they cannot be forged, and
-- applies the two-person rule whatever the client sent.
CREATE FUNCTION tessera_decide() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    DECLARE
        cand candidates%ROWTYPE;
        run_algorithm text;
        creator uuid;
        reviewer_role text;
        reviewer_agency uuid;
        other_confirms integer;
    BEGIN
        SELECT * INTO cand FROM candidates WHERE id = NEW.candidate_id FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'candidate % not found', NEW.candidate_id
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        SELECT u.role, u.agency_id INTO reviewer_role, reviewer_agency
            FROM users u WHERE u.id = NEW.reviewer_id;
        IF reviewer_role IS DISTINCT FROM 'caseworker' OR reviewer_agency <> cand.agency_id THEN
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
                  AND d.reviewer_id <> NEW.reviewer_id;
            IF other_confirms > 0 THEN
                SELECT created_by INTO creator FROM cases WHERE id = cand.case_id;
                IF creator = NEW.reviewer_id THEN
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
CREATE TRIGGER decisions_two_person BEFORE INSERT ON decisions
    FOR EACH ROW EXECUTE FUNCTION tessera_decide();

CREATE FUNCTION tessera_decisions_after() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    DECLARE
        cand_status text;
    BEGIN
        SELECT status INTO cand_status FROM candidates WHERE id = NEW.candidate_id;
        IF cand_status = 'confirmed' THEN
            UPDATE cases SET state = 'identified', updated_at = now() WHERE id = NEW.case_id;
        ELSE
            UPDATE cases SET state = 'under_review', updated_at = now()
                WHERE id = NEW.case_id AND state = 'candidates_ready';
        END IF;
        RETURN NULL;
    END
    $$;
CREATE TRIGGER decisions_case_state AFTER INSERT ON decisions
    FOR EACH ROW EXECUTE FUNCTION tessera_decisions_after();

CREATE FUNCTION tessera_decisions_immutable() RETURNS trigger
    LANGUAGE plpgsql
    AS $$ BEGIN RAISE EXCEPTION 'decisions are immutable' USING ERRCODE = 'insufficient_privilege'; END $$;
CREATE TRIGGER decisions_no_change BEFORE UPDATE OR DELETE ON decisions
    FOR EACH ROW EXECUTE FUNCTION tessera_decisions_immutable();

-- A case is identified only on two confirmations of one candidate by two different
-- caseworkers, not both the case's creator, with no rejection of it; no other path.
CREATE FUNCTION tessera_case_state_guard() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        IF NEW.state = 'identified' AND OLD.state IS DISTINCT FROM 'identified' THEN
            IF NOT EXISTS (
                SELECT 1 FROM candidates c
                WHERE c.case_id = NEW.id
                  AND NOT EXISTS (SELECT 1 FROM decisions r
                                  WHERE r.candidate_id = c.id AND r.verdict = 'reject')
                  AND (SELECT count(DISTINCT d.reviewer_id) FROM decisions d
                       WHERE d.candidate_id = c.id AND d.verdict = 'confirm') >= 2
                  AND EXISTS (SELECT 1 FROM decisions d
                              WHERE d.candidate_id = c.id AND d.verdict = 'confirm'
                                AND d.reviewer_id <> NEW.created_by)
            ) THEN
                RAISE EXCEPTION 'two_person_rule: a case is identified only after two different caseworkers confirm the same candidate'
                    USING ERRCODE = 'check_violation';
            END IF;
        END IF;
        IF OLD.state = 'identified' AND NEW.state NOT IN ('identified', 'closed') THEN
            RAISE EXCEPTION 'an identified case can only be closed'
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END
    $$;
CREATE TRIGGER cases_state_guard BEFORE UPDATE OF state ON cases
    FOR EACH ROW EXECUTE FUNCTION tessera_case_state_guard();

-- Grants ----------------------------------------------------------------------------------------

GRANT SELECT, INSERT, UPDATE, DELETE ON match_profiles, match_keys TO tessera_app;
GRANT SELECT, INSERT, UPDATE ON outbox TO tessera_app;
GRANT USAGE ON SEQUENCE outbox_id_seq, gallery_version_seq, dead_letters_id_seq TO tessera_app;
GRANT SELECT, INSERT ON dead_letters TO tessera_app;
GRANT SELECT, UPDATE ON control_flags TO tessera_app;
GRANT SELECT, INSERT, UPDATE ON match_runs TO tessera_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON candidates TO tessera_app;
GRANT SELECT, INSERT ON decisions TO tessera_app;
GRANT EXECUTE ON FUNCTION tessera_readable_agencies() TO tessera_app;
