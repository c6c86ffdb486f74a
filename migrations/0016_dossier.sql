-- Readmission dossiers: the evidence of nationality graded as the EU readmission
-- agreements' annexes do, by rules kept as data (one row per kind of evidence and
-- agreement), so another agreement's table is added with rows, not code.

CREATE TABLE readmission_agreements (
    code        text PRIMARY KEY CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{1,31}$'),
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    -- the requested states it governs; the default agreement governs every state that
    -- no other agreement names
    states      text[] NOT NULL DEFAULT '{}',
    is_default  boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX readmission_agreements_one_default ON readmission_agreements (is_default)
    WHERE is_default;

-- A rule: evidence of this kind (and document type, form, validity where given) is of
-- this grade under the agreement. The most specific matching row wins; evidence no row
-- matches is no evidence of nationality under that agreement.
CREATE TABLE evidence_grading_rules (
    id              bigserial PRIMARY KEY,
    agreement_code  text NOT NULL REFERENCES readmission_agreements (code),
    evidence_kind   text NOT NULL
                    CHECK (evidence_kind IN ('document', 'interview', 'language_test',
                                             'witness_statement')),
    document_type   text CHECK (document_type IS NULL OR evidence_kind = 'document'),
    form            text CHECK (form IN ('original', 'photocopy')),
    validity        text CHECK (validity IN ('valid', 'expired')),
    grade           text NOT NULL CHECK (grade IN ('proof', 'prima_facie')),
    rule            text NOT NULL CHECK (length(rule) BETWEEN 1 AND 500),
    UNIQUE NULLS NOT DISTINCT (agreement_code, evidence_kind, document_type, form, validity)
);

-- Reference data: readable by every role, written by migrations (the owner) only.
GRANT SELECT ON readmission_agreements, evidence_grading_rules TO tessera_app;

INSERT INTO readmission_agreements (code, title, is_default) VALUES
    ('EU-STANDARD',
     'EU readmission agreements, common annexes (Pakistan, Sri Lanka, Georgia, Armenia, '
     'Western Balkans and others)', true);

-- Annex I: proof of nationality, accepted without further investigation, even when
-- the document's validity has expired (the agreements' article on proof of nationality).
-- Annex II: prima facie evidence, accepted unless the requested state proves otherwise.
INSERT INTO evidence_grading_rules
    (agreement_code, evidence_kind, document_type, form, validity, grade, rule) VALUES
    ('EU-STANDARD', 'document', 'passport', 'original', NULL, 'proof',
     'Annex I: passports of any kind (national, diplomatic, service, collective, surrogate), valid or expired'),
    ('EU-STANDARD', 'document', 'identity_card', 'original', NULL, 'proof',
     'Annex I: identity cards of any kind, including temporary and provisional ones, valid or expired'),
    ('EU-STANDARD', 'document', 'military_id', 'original', NULL, 'proof',
     'Annex I: military service books and military identity cards'),
    ('EU-STANDARD', 'document', 'seaman_book', 'original', NULL, 'proof',
     'Annex I: seaman''s registration books and skippers'' service books'),
    ('EU-STANDARD', 'document', 'citizenship_certificate', 'original', NULL, 'proof',
     'Annex I: citizenship certificates and other official documents that mention or clearly indicate citizenship'),
    ('EU-STANDARD', 'document', 'passport', 'photocopy', NULL, 'prima_facie',
     'Annex II: photocopies of any of the documents listed in Annex I'),
    ('EU-STANDARD', 'document', 'identity_card', 'photocopy', NULL, 'prima_facie',
     'Annex II: photocopies of any of the documents listed in Annex I'),
    ('EU-STANDARD', 'document', 'military_id', 'photocopy', NULL, 'prima_facie',
     'Annex II: photocopies of any of the documents listed in Annex I'),
    ('EU-STANDARD', 'document', 'seaman_book', 'photocopy', NULL, 'prima_facie',
     'Annex II: photocopies of any of the documents listed in Annex I'),
    ('EU-STANDARD', 'document', 'citizenship_certificate', 'photocopy', NULL, 'prima_facie',
     'Annex II: photocopies of any of the documents listed in Annex I'),
    ('EU-STANDARD', 'document', 'driving_licence', NULL, NULL, 'prima_facie',
     'Annex II: driving licences or photocopies thereof'),
    ('EU-STANDARD', 'document', 'birth_certificate', NULL, NULL, 'prima_facie',
     'Annex II: birth certificates or photocopies thereof'),
    ('EU-STANDARD', 'document', 'service_book', NULL, NULL, 'prima_facie',
     'Annex II: service books and company identity cards or photocopies thereof'),
    ('EU-STANDARD', 'witness_statement', NULL, NULL, NULL, 'prima_facie',
     'Annex II: statements by witnesses'),
    ('EU-STANDARD', 'interview', NULL, NULL, NULL, 'prima_facie',
     'Annex II: statements made by the person concerned'),
    ('EU-STANDARD', 'language_test', NULL, NULL, NULL, 'prima_facie',
     'Annex II: the language spoken by the person concerned, including by means of an official test result');
