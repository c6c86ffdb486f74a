-- Evidence details: a correction supersedes one item once; face images are stored
-- encrypted (AES-GCM), with the id of the key that sealed them so keys can rotate.

CREATE UNIQUE INDEX evidence_superseded_once ON evidence (supersedes)
    WHERE supersedes IS NOT NULL;

CREATE TABLE face_images (
    evidence_id     uuid PRIMARY KEY REFERENCES evidence (id),
    agency_id       uuid NOT NULL DEFAULT tessera_agency(),
    case_id         uuid NOT NULL,
    key_id          text NOT NULL,
    nonce           bytea NOT NULL,
    ciphertext      bytea NOT NULL,
    content_type    text NOT NULL,
    byte_size       integer NOT NULL,
    status          text NOT NULL DEFAULT 'face_pipeline_pending',
    created_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (case_id, agency_id) REFERENCES cases (id, agency_id)
);
ALTER TABLE face_images ENABLE ROW LEVEL SECURITY;
ALTER TABLE face_images FORCE ROW LEVEL SECURITY;
CREATE POLICY face_images_own_agency ON face_images
    USING (agency_id = tessera_agency() AND tessera_role() = 'caseworker')
    WITH CHECK (agency_id = tessera_agency() AND tessera_role() = 'caseworker');

CREATE INDEX identities_agency_created ON identities (agency_id, created_at, id);

GRANT SELECT, INSERT, UPDATE ON face_images TO tessera_app;
