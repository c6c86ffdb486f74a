-- Indexing speed: each posting written cost a foreign-key check and a second index.
--
-- Measured on the indexing statement (bench/index_write.py --explain: 500 records,
-- 7,499 postings, 100,000 profiles stored): 372 ms, of which 81 ms were the foreign
-- key's check of each posting against match_profiles. The match_keys_subject index
-- served only to find a profile's postings when it is re-indexed or erased. Without
-- both: 256 ms; 100,000 records took 456 us each instead of 616 us.
--
-- A profile's postings are exactly its `keys` column: the one statement that writes
-- postings (service.indexing.repository.upsert_profiles) writes both together, under
-- the profile row's lock. So postings are found by (key, subject_id) from that column:
-- on re-index through the old row's keys (RETURNING old.keys), on erasure through the
-- erased row's keys. The key index becomes (key, subject_id) so each such posting is
-- one index probe, and blocking reads it as before (an index-only scan by key).
--
-- What the foreign key's ON DELETE CASCADE guaranteed stays guaranteed in the
-- database: deleting a profile, by any statement, deletes its postings (trigger below).

-- postings that are not in their profile's keys (none are expected): removed, so that
-- the rule above holds for every row from here on
DELETE FROM match_keys k
WHERE NOT EXISTS (
    SELECT 1 FROM match_profiles p WHERE p.subject_id = k.subject_id AND k.key = ANY (p.keys)
);

ALTER TABLE match_keys DROP CONSTRAINT match_keys_subject_id_fkey;
CREATE INDEX match_keys_key_subject ON match_keys (key, subject_id)
    INCLUDE (agency_id, subject_kind);
DROP INDEX match_keys_key;
DROP INDEX match_keys_subject;
ALTER INDEX match_keys_key_subject RENAME TO match_keys_key;

-- A deleted profile's postings go with it, whoever deletes it (what ON DELETE CASCADE
-- did). The key counts are moved by tessera_erase_profile, which deletes the postings
-- first; this is the guarantee for every other path.
CREATE FUNCTION tessera_profile_postings_gone() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    BEGIN
        DELETE FROM public.match_keys k
        USING gone_profiles g CROSS JOIN LATERAL unnest(g.keys) AS o(key)
        WHERE k.key = o.key AND k.subject_id = g.subject_id;
        RETURN NULL;
    END
    $$;
CREATE TRIGGER match_profiles_postings AFTER DELETE ON match_profiles
    REFERENCING OLD TABLE AS gone_profiles
    FOR EACH STATEMENT EXECUTE FUNCTION tessera_profile_postings_gone();

-- Erasure finds the postings through the profile's keys (as 0017, otherwise).
CREATE OR REPLACE FUNCTION tessera_erase_profile(p_subject uuid) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
        n_keys integer;
        n_profiles integer;
    BEGIN
        WITH gone AS (
            DELETE FROM public.match_keys k
            USING public.match_profiles p CROSS JOIN LATERAL unnest(p.keys) AS o(key)
            WHERE p.subject_id = p_subject AND k.key = o.key AND k.subject_id = p_subject
            RETURNING k.agency_id, k.key
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
