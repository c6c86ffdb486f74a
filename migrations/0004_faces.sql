-- Faces: the usable photo's thumbnail beside the sealed original, its embedding for
-- nearest-neighbour search, and erasure (evidence keeps a tombstone, the biometrics go).

-- The thumbnail is sealed like the original, under its own nonce; both leave together.
ALTER TABLE face_images ADD COLUMN thumb_nonce bytea;
ALTER TABLE face_images ADD COLUMN thumb_ciphertext bytea;
ALTER TABLE face_images ADD COLUMN quality jsonb;

-- One row per usable face image. Deleting the row removes its HNSW index entry too,
-- which is what erasure needs: nothing of the face is left to search.
CREATE TABLE face_embeddings (
    evidence_id  uuid PRIMARY KEY REFERENCES evidence (id),
    agency_id    uuid NOT NULL DEFAULT tessera_agency(),
    case_id      uuid NOT NULL,
    embedding    vector(128) NOT NULL,
    model        text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (case_id, agency_id) REFERENCES cases (id, agency_id)
);
CREATE INDEX face_embeddings_hnsw ON face_embeddings
    USING hnsw (embedding vector_l2_ops) WITH (m = 16, ef_construction = 64);
CREATE INDEX face_embeddings_case ON face_embeddings (case_id);
ALTER TABLE face_embeddings ENABLE ROW LEVEL SECURITY;
ALTER TABLE face_embeddings FORCE ROW LEVEL SECURITY;
-- Matching reaches the same agencies as the profiles it scores (a partner's face query
-- included); the vectors are read by the matcher only and never returned by the API.
CREATE POLICY face_embeddings_reach ON face_embeddings FOR SELECT
    USING (tessera_role() IN ('caseworker', 'partner', 'worker')
           AND agency_id = ANY ((SELECT tessera_readable_agencies())::uuid[]));
CREATE POLICY face_embeddings_own_insert ON face_embeddings FOR INSERT
    WITH CHECK (agency_id = tessera_agency() AND tessera_role() = 'caseworker');
CREATE POLICY face_embeddings_own_delete ON face_embeddings FOR DELETE
    USING (agency_id = tessera_agency() AND tessera_role() = 'caseworker');

-- Erasure ---------------------------------------------------------------------------------
-- Evidence stays append-only except for one change: an item may be erased once, which
-- sets erased_at and replaces its data with a tombstone. Column grants keep every other
-- column fixed; the trigger refuses a second erasure or an un-erasure. The existing
-- evidence_own_agency policy (own agency, caseworker) already scopes which rows.

ALTER TABLE evidence ADD COLUMN erased_at timestamptz;

CREATE FUNCTION tessera_evidence_erase_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        IF OLD.erased_at IS NOT NULL OR NEW.erased_at IS NULL THEN
            RAISE EXCEPTION 'evidence is append-only: an item may only be erased, once'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END
    $$;
CREATE TRIGGER evidence_erase_only BEFORE UPDATE ON evidence
    FOR EACH ROW EXECUTE FUNCTION tessera_evidence_erase_only();

GRANT UPDATE (erased_at, data) ON evidence TO tessera_app;
GRANT DELETE ON face_images TO tessera_app;
GRANT SELECT, INSERT, DELETE ON face_embeddings TO tessera_app;
