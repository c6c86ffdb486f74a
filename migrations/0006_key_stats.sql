-- How many profiles hold each search key, per agency, so blocking can weigh a key by
-- its rarity (a shared rare key says more than a shared common one) and leave out
-- keys too common to fetch, without counting postings at query time. The key '*'
-- counts the agency's profiles. Kept by the statement that changes match_keys.

CREATE TABLE match_key_stats (
    agency_id  uuid NOT NULL,
    key        text NOT NULL,
    df         bigint NOT NULL,  -- no CHECK: a count-down arrives as a negative proposed row
    PRIMARY KEY (agency_id, key)
);
CREATE INDEX match_key_stats_key ON match_key_stats (key) INCLUDE (agency_id, df);

ALTER TABLE match_key_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE match_key_stats FORCE ROW LEVEL SECURITY;
CREATE POLICY match_key_stats_reach ON match_key_stats FOR SELECT
    USING (tessera_role() IN ('caseworker', 'partner', 'worker')
           AND agency_id = ANY ((SELECT tessera_readable_agencies())::uuid[]));
CREATE POLICY match_key_stats_own_insert ON match_key_stats FOR INSERT
    WITH CHECK (agency_id = tessera_agency() AND tessera_role() IN ('caseworker', 'worker'));
CREATE POLICY match_key_stats_own_update ON match_key_stats FOR UPDATE
    USING (agency_id = tessera_agency() AND tessera_role() IN ('caseworker', 'worker'))
    WITH CHECK (agency_id = tessera_agency());
GRANT SELECT, INSERT, UPDATE ON match_key_stats TO tessera_app;

INSERT INTO match_key_stats (agency_id, key, df)
SELECT agency_id, key, count(*) FROM match_keys GROUP BY agency_id, key;
INSERT INTO match_key_stats (agency_id, key, df)
SELECT agency_id, '*', count(*) FROM match_profiles GROUP BY agency_id;
