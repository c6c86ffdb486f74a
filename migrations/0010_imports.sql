-- Imports: what one bulk import received and wrote, so a client can ask when its
-- records are searchable. Whether a record is indexed is read from match_profiles
-- (its profile holds the record's current person at the current profile version), so
-- the answer stays right under re-imports and reindexing.

CREATE TABLE imports (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    agency_id   uuid NOT NULL DEFAULT tessera_agency() REFERENCES agencies (id),
    created_by  uuid NOT NULL REFERENCES users (id),
    received    integer NOT NULL CHECK (received >= 0),
    created     integer NOT NULL CHECK (created >= 0),
    updated     integer NOT NULL CHECK (updated >= 0),
    unchanged   integer NOT NULL CHECK (unchanged >= 0),
    rejected    integer NOT NULL CHECK (rejected >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- set once, when every written record was first seen indexed
    searchable_at timestamptz,
    UNIQUE (id, agency_id)
);
ALTER TABLE imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE imports FORCE ROW LEVEL SECURITY;
CREATE POLICY imports_own_agency ON imports
    USING (agency_id = tessera_agency() AND tessera_role() = 'caseworker')
    WITH CHECK (agency_id = tessera_agency() AND tessera_role() = 'caseworker');

-- The records an import created or changed.
CREATE TABLE import_records (
    import_id    uuid NOT NULL,
    agency_id    uuid NOT NULL DEFAULT tessera_agency(),
    identity_id  uuid NOT NULL REFERENCES identities (id),
    PRIMARY KEY (import_id, identity_id),
    FOREIGN KEY (import_id, agency_id) REFERENCES imports (id, agency_id)
);
ALTER TABLE import_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE import_records FORCE ROW LEVEL SECURITY;
CREATE POLICY import_records_own_agency ON import_records
    USING (agency_id = tessera_agency() AND tessera_role() = 'caseworker')
    WITH CHECK (agency_id = tessera_agency() AND tessera_role() = 'caseworker');

-- How many records of the galleries this agency may reach wait in the index queue:
-- the identity records and cases of index jobs not yet done. The outbox is the system's, so a definer
-- function returns this one number and nothing else.
CREATE FUNCTION tessera_pending_index() RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
        SELECT coalesce(sum(jsonb_array_length(coalesce(o.payload -> 'ids', '[]'))
                            + jsonb_array_length(coalesce(o.payload -> 'cases', '[]'))),
                        0)::bigint
        FROM public.outbox o
        WHERE o.done_at IS NULL AND o.kind = 'index_subjects'
          AND o.agency_id = ANY ((SELECT public.tessera_readable_agencies())::uuid[])
    $$;

-- A match run records how many searched records were still waiting when it ran.
ALTER TABLE match_runs ADD COLUMN pending_index bigint;

GRANT SELECT, INSERT, UPDATE ON imports TO tessera_app;
GRANT SELECT, INSERT ON import_records TO tessera_app;
REVOKE ALL ON FUNCTION tessera_pending_index() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tessera_pending_index() TO tessera_app;
