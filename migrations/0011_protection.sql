-- Asylum secrecy. A case subject or identity record may carry a protection claim
-- (person.protection). A partner agency whose country is one of the person's
-- nationalities or a country of feared persecution must get, for that person, the
-- answer it would get if the person were not in the gallery. The rows matching reads
-- (profiles, search keys, face embeddings) of such a person are made invisible to
-- every other agency of an excluded country by restrictive row-level policies; the
-- owning agency keeps seeing its own rows.

-- One row per protected subject, kept by triggers from the stored person (no grant
-- to the service role: it is written and read only through definer functions).
CREATE TABLE subject_protection (
    subject_id   uuid PRIMARY KEY,
    agency_id    uuid NOT NULL,
    asylum       text NOT NULL CHECK (asylum IN ('applied', 'granted', 'refused', 'withdrawn')),
    hidden_from  text[] NOT NULL,   -- nationalities and countries of feared persecution
    updated_at   timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE subject_protection ENABLE ROW LEVEL SECURITY;
ALTER TABLE subject_protection FORCE ROW LEVEL SECURITY;

-- The country of the current agency (agencies are readable by their own agency only,
-- and a worker acts for an agency without being its user).
CREATE FUNCTION tessera_agency_country() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$ SELECT a.country::text FROM public.agencies a WHERE a.id = tessera_agency() $$;

-- The countries a person's protection claim hides it from: its nationalities and the
-- countries of feared persecution; NULL when the person carries no claim.
CREATE FUNCTION tessera_protection_hidden_from(person jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE
    AS $$
        SELECT CASE WHEN jsonb_typeof(person -> 'protection') = 'object' THEN
            ARRAY(SELECT DISTINCT c FROM (
                SELECT jsonb_array_elements_text(
                    CASE WHEN jsonb_typeof(person -> 'nationality') = 'array'
                         THEN person -> 'nationality' ELSE '[]'::jsonb END) AS c
                UNION ALL
                SELECT jsonb_array_elements_text(
                    CASE WHEN jsonb_typeof(person -> 'protection' -> 'feared_persecution') = 'array'
                         THEN person -> 'protection' -> 'feared_persecution' ELSE '[]'::jsonb END)
            ) AS countries ORDER BY c)
        END
    $$;

-- Keep subject_protection from the stored persons: a case's subject, an identity
-- record's person, and the merged profile (whose nationalities may come from
-- evidence). A profile adds countries to its subject's row, it never removes any.
CREATE FUNCTION tessera_protection_sync() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
        person jsonb;
        subject uuid;
        hidden text[];
    BEGIN
        IF TG_TABLE_NAME = 'cases' THEN
            person := NEW.subject; subject := NEW.id;
        ELSIF TG_TABLE_NAME = 'identities' THEN
            person := NEW.person; subject := NEW.id;
        ELSE
            person := NEW.person; subject := NEW.subject_id;
        END IF;
        hidden := tessera_protection_hidden_from(person);
        IF hidden IS NULL THEN
            IF TG_TABLE_NAME <> 'match_profiles' THEN
                DELETE FROM public.subject_protection WHERE subject_id = subject;
            END IF;
            RETURN NULL;
        END IF;
        INSERT INTO public.subject_protection AS sp (subject_id, agency_id, asylum, hidden_from)
        VALUES (subject, NEW.agency_id, person -> 'protection' ->> 'asylum', hidden)
        ON CONFLICT (subject_id) DO UPDATE
            SET asylum = EXCLUDED.asylum, updated_at = now(),
                hidden_from = CASE WHEN TG_TABLE_NAME = 'match_profiles'
                    THEN ARRAY(SELECT DISTINCT c FROM unnest(sp.hidden_from || EXCLUDED.hidden_from) AS c ORDER BY c)
                    ELSE EXCLUDED.hidden_from END;
        RETURN NULL;
    END
    $$;
CREATE TRIGGER cases_protection AFTER INSERT OR UPDATE OF subject ON cases
    FOR EACH ROW EXECUTE FUNCTION tessera_protection_sync();
CREATE TRIGGER identities_protection AFTER INSERT OR UPDATE OF person ON identities
    FOR EACH ROW EXECUTE FUNCTION tessera_protection_sync();
CREATE TRIGGER match_profiles_protection AFTER INSERT OR UPDATE OF person ON match_profiles
    FOR EACH ROW EXECUTE FUNCTION tessera_protection_sync();

-- The subjects of other agencies that the current agency's country must not see.
CREATE FUNCTION tessera_hidden_subjects() RETURNS uuid[]
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
        SELECT coalesce(array_agg(sp.subject_id), '{}'::uuid[])
        FROM public.subject_protection sp
        WHERE sp.hidden_from @> ARRAY[tessera_agency_country()]
          AND sp.agency_id IS DISTINCT FROM tessera_agency()
    $$;
CREATE INDEX subject_protection_hidden_from ON subject_protection USING gin (hidden_from);

CREATE POLICY match_profiles_protection ON match_profiles AS RESTRICTIVE FOR SELECT
    USING (agency_id = tessera_agency()
           OR subject_id <> ALL ((SELECT tessera_hidden_subjects())::uuid[]));
CREATE POLICY match_keys_protection ON match_keys AS RESTRICTIVE FOR SELECT
    USING (agency_id = tessera_agency()
           OR subject_id <> ALL ((SELECT tessera_hidden_subjects())::uuid[]));
CREATE POLICY face_embeddings_protection ON face_embeddings AS RESTRICTIVE FOR SELECT
    USING (agency_id = tessera_agency()
           OR case_id <> ALL ((SELECT tessera_hidden_subjects())::uuid[]));

REVOKE ALL ON FUNCTION tessera_agency_country(), tessera_hidden_subjects() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tessera_agency_country(), tessera_hidden_subjects(),
    tessera_protection_hidden_from(jsonb) TO tessera_app;
