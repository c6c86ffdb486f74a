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
