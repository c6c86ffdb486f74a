-- The review desk's sign-in sessions. The browser holds a random session id in an
-- HttpOnly cookie; only its SHA-256 is stored, so a copy of this table opens nothing.
-- Each row belongs to one user, who alone may read, touch or end it.

CREATE TABLE desk_sessions (
    id_hash       bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    user_id       uuid NOT NULL REFERENCES users (id),
    agency_id     uuid NOT NULL REFERENCES agencies (id),
    purpose       text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 500),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX desk_sessions_user ON desk_sessions (user_id);
ALTER TABLE desk_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE desk_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY desk_sessions_own ON desk_sessions
    USING (user_id = tessera_user())
    WITH CHECK (user_id = tessera_user() AND agency_id = tessera_agency());

-- A request learns who it acts for from its cookie before any user is known, so the
-- lookup reads through a definer function that returns exactly one session's row,
-- with the user's current role (a disabled user's sessions open nothing).
CREATE FUNCTION tessera_desk_session(p_id_hash bytea)
    RETURNS TABLE (user_id uuid, agency_id uuid, role text, user_name text, purpose text,
                   idle_s double precision, age_s double precision)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
        SELECT s.user_id, u.agency_id, u.role, u.name, s.purpose,
               extract(epoch FROM clock_timestamp() - s.last_seen_at)::float8,
               extract(epoch FROM clock_timestamp() - s.created_at)::float8
        FROM public.desk_sessions s
        JOIN public.users u ON u.id = s.user_id
        WHERE s.id_hash = p_id_hash AND u.disabled_at IS NULL AND u.agency_id = s.agency_id
    $$;

REVOKE ALL ON FUNCTION tessera_desk_session(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tessera_desk_session(bytea) TO tessera_app;
GRANT SELECT, INSERT, DELETE ON desk_sessions TO tessera_app;
GRANT UPDATE (last_seen_at) ON desk_sessions TO tessera_app;
