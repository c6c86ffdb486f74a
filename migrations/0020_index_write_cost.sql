-- Indexing speed: indexes that cost every profile write and serve no query.
--
-- match_profiles.name_text and .birth_year are stored for people reading the table;
-- no statement searches by them (blocking reads match_keys, counts read
-- match_key_stats), yet their trigram GIN and b-tree indexes were kept up on every
-- profile written.
DROP INDEX IF EXISTS match_profiles_name_trgm;
DROP INDEX IF EXISTS match_profiles_birth_year;

-- match_key_stats: every indexed batch moves thousands of counts. The second index
-- held df, so each move rewrote an entry in both indexes and could never be a HOT
-- update. The key counts a search reads (WHERE key = ANY(...) AND agency_id =
-- ANY(reachable)) are found through the primary key (agency_id, key) as well, and
-- free room on each page lets a count move in place.
DROP INDEX IF EXISTS match_key_stats_key;
ALTER TABLE match_key_stats SET (fillfactor = 80);

-- The protection trigger runs for every identity record imported and every profile
-- indexed; it called tessera_protection_hidden_from (a SQL function run by the
-- function executor each time, about 25 us) even for the people without a protection
-- claim, for whom it returns NULL. It is called now only when the person carries a
-- claim (the function's own condition); the rest is as in 0011.
CREATE OR REPLACE FUNCTION tessera_protection_sync() RETURNS trigger
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
        IF jsonb_typeof(person -> 'protection') = 'object' THEN
            hidden := tessera_protection_hidden_from(person);
        END IF;
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
