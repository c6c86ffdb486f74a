-- Core schema: agencies, users, sharing agreements, cases, evidence, identity records,
-- the audit log. Every table holding an agency's data has row-level security forced;
-- the service connects as tessera_app, which owns nothing and cannot bypass RLS.
-- The agency, user and role of a request are set per transaction with set_config().

CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

CREATE FUNCTION tessera_agency() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('tessera.agency_id', true), '')::uuid $$;

CREATE FUNCTION tessera_user() RETURNS uuid
    LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('tessera.user_id', true), '')::uuid $$;

CREATE FUNCTION tessera_role() RETURNS text
    LANGUAGE sql STABLE
    AS $$ SELECT coalesce(nullif(current_setting('tessera.role', true), ''), 'none') $$;

-- Agencies -----------------------------------------------------------------------

CREATE TABLE agencies (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    country     char(3) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE agencies ENABLE ROW LEVEL SECURITY;
ALTER TABLE agencies FORCE ROW LEVEL SECURITY;
CREATE POLICY agencies_read ON agencies FOR SELECT
    USING (tessera_role() = 'admin' OR id = tessera_agency());
CREATE POLICY agencies_admin_insert ON agencies FOR INSERT
    WITH CHECK (tessera_role() = 'admin');

-- Users and their tokens ------------------------------------------------------------
-- A token is "tsr_<key_id>_<secret>"; only sha256(secret) is stored and compared
-- in constant time by the service.

CREATE TABLE users (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id    uuid NOT NULL REFERENCES agencies (id),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role         text NOT NULL CHECK (role IN ('caseworker', 'partner', 'auditor', 'admin')),
    key_id       text NOT NULL UNIQUE,
    secret_hash  bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    disabled_at  timestamptz
);
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY users_read ON users FOR SELECT
    USING (tessera_role() = 'admin' OR agency_id = tessera_agency());
CREATE POLICY users_admin_insert ON users FOR INSERT
    WITH CHECK (tessera_role() = 'admin');

-- Authentication runs before any agency is known, so it reads users through a
-- definer function that returns exactly one key's row and nothing else.
CREATE FUNCTION tessera_auth_lookup(p_key_id text)
    RETURNS TABLE (user_id uuid, agency_id uuid, role text, secret_hash bytea)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
        SELECT u.id, u.agency_id, u.role, u.secret_hash
        FROM public.users u
        WHERE u.key_id = p_key_id AND u.disabled_at IS NULL
    $$;

-- Sharing agreements ------------------------------------------------------------------

CREATE TABLE sharing_agreements (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_agency_id    uuid NOT NULL REFERENCES agencies (id),
    partner_agency_id  uuid NOT NULL REFERENCES agencies (id),
    purpose            text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 500),
    expires_at         timestamptz,
    created_by         uuid NOT NULL REFERENCES users (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (owner_agency_id <> partner_agency_id)
);
ALTER TABLE sharing_agreements ENABLE ROW LEVEL SECURITY;
ALTER TABLE sharing_agreements FORCE ROW LEVEL SECURITY;
CREATE POLICY sharing_read ON sharing_agreements FOR SELECT
    USING (tessera_role() = 'admin'
           OR owner_agency_id = tessera_agency()
           OR partner_agency_id = tessera_agency());
CREATE POLICY sharing_admin_insert ON sharing_agreements FOR INSERT
    WITH CHECK (tessera_role() = 'admin');

-- Cases and evidence -------------------------------------------------------------------

CREATE TABLE cases (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id   uuid NOT NULL DEFAULT tessera_agency() REFERENCES agencies (id),
    reference   text NOT NULL CHECK (length(reference) BETWEEN 1 AND 200),
    state       text NOT NULL DEFAULT 'open'
                CHECK (state IN ('open', 'matching', 'candidates_ready', 'under_review',
                                 'identified', 'no_match', 'closed')),
    subject     jsonb NOT NULL,
    created_by  uuid NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (agency_id, reference),
    UNIQUE (id, agency_id)
);
CREATE INDEX cases_agency_created ON cases (agency_id, created_at, id);
ALTER TABLE cases ENABLE ROW LEVEL SECURITY;
ALTER TABLE cases FORCE ROW LEVEL SECURITY;
CREATE POLICY cases_own_agency ON cases
    USING (agency_id = tessera_agency() AND tessera_role() = 'caseworker')
    WITH CHECK (agency_id = tessera_agency() AND tessera_role() = 'caseworker');

-- Evidence is append-only: a correction is a new item that supersedes an old one.
CREATE TABLE evidence (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id        uuid NOT NULL DEFAULT tessera_agency(),
    case_id          uuid NOT NULL,
    kind             text NOT NULL
                     CHECK (kind IN ('document', 'interview', 'language_test', 'face_image')),
    data             jsonb NOT NULL,
    checks           jsonb NOT NULL DEFAULT '{}'::jsonb,
    supersedes       uuid REFERENCES evidence (id),
    created_by       uuid NOT NULL REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    retention_until  timestamptz,
    FOREIGN KEY (case_id, agency_id) REFERENCES cases (id, agency_id)
);
CREATE INDEX evidence_case ON evidence (case_id, created_at);
ALTER TABLE evidence ENABLE ROW LEVEL SECURITY;
ALTER TABLE evidence FORCE ROW LEVEL SECURITY;
CREATE POLICY evidence_own_agency ON evidence
    USING (agency_id = tessera_agency() AND tessera_role() = 'caseworker')
    WITH CHECK (agency_id = tessera_agency() AND tessera_role() = 'caseworker');

-- Identity records: the reference gallery -------------------------------------------------

CREATE TABLE identities (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id    uuid NOT NULL DEFAULT tessera_agency() REFERENCES agencies (id),
    external_id  text CHECK (length(external_id) BETWEEN 1 AND 200),
    person       jsonb NOT NULL,
    created_by   uuid NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (agency_id, external_id)
);
ALTER TABLE identities ENABLE ROW LEVEL SECURITY;
ALTER TABLE identities FORCE ROW LEVEL SECURITY;
CREATE POLICY identities_own_agency ON identities
    USING (agency_id = tessera_agency() AND tessera_role() = 'caseworker')
    WITH CHECK (agency_id = tessera_agency() AND tessera_role() = 'caseworker');

-- The audit log ------------------------------------------------------------------------------
-- One append-only, hash-chained table. The service may insert and read (auditors
-- only); no role but the owner can change a row, and a trigger refuses even that.

CREATE TABLE audit_events (
    seq          bigint PRIMARY KEY CHECK (seq > 0),
    id           uuid NOT NULL UNIQUE,
    occurred_at  timestamptz NOT NULL,
    actor_id     uuid,
    agency_id    uuid,
    role         text,
    action       text NOT NULL,
    object_type  text,
    object_id    text,
    purpose      text,
    request_id   text,
    details      jsonb NOT NULL DEFAULT '{}'::jsonb,
    prev_hash    bytea NOT NULL,
    hash         bytea NOT NULL
);
CREATE INDEX audit_events_actor ON audit_events (actor_id, seq);
CREATE INDEX audit_events_object ON audit_events (object_id, seq);
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_append ON audit_events FOR INSERT WITH CHECK (true);
CREATE POLICY audit_auditor_read ON audit_events FOR SELECT
    USING (tessera_role() = 'auditor');

CREATE FUNCTION tessera_audit_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$;
CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION tessera_audit_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION tessera_audit_refuse_change();

-- Any writer must hold the audit lock to read the head, so concurrent writers still
-- form one chain. The head is readable by every role through this function alone.
CREATE FUNCTION tessera_audit_head() RETURNS TABLE (seq bigint, hash bytea)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$ SELECT a.seq, a.hash FROM public.audit_events a ORDER BY a.seq DESC LIMIT 1 $$;

-- Grants for the service role ---------------------------------------------------------------

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON FUNCTION tessera_auth_lookup(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION tessera_audit_head() FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO tessera_app;
GRANT SELECT, INSERT ON agencies, users, sharing_agreements TO tessera_app;
GRANT SELECT, INSERT, UPDATE ON cases, identities TO tessera_app;
GRANT SELECT, INSERT ON evidence TO tessera_app;
GRANT SELECT, INSERT ON audit_events TO tessera_app;
GRANT EXECUTE ON FUNCTION tessera_auth_lookup(text), tessera_audit_head(),
    tessera_agency(), tessera_user(), tessera_role() TO tessera_app;
