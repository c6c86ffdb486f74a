-- The case's life: a case is closed once, with an outcome and a reason, and a closed
-- case takes no new evidence or match runs. "identified" is only a case that the
-- two-person rule identified (cases_state_guard of 0003 keeps that state honest).

ALTER TABLE cases ADD COLUMN outcome text
    CHECK (outcome IN ('identified', 'no_match', 'withdrawn'));
ALTER TABLE cases ADD COLUMN close_reason text CHECK (length(close_reason) BETWEEN 1 AND 2000);
ALTER TABLE cases ADD COLUMN closed_at timestamptz;
ALTER TABLE cases ADD COLUMN closed_by uuid REFERENCES users (id);
ALTER TABLE cases ADD CONSTRAINT cases_closed_has_outcome
    CHECK ((state = 'closed') = (outcome IS NOT NULL AND closed_at IS NOT NULL
                                 AND closed_by IS NOT NULL AND close_reason IS NOT NULL));
CREATE INDEX cases_agency_state ON cases (agency_id, state, created_at, id);

CREATE FUNCTION tessera_case_close_guard() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
        -- closed is terminal: a late change (a run that finishes after the close, a
        -- decision's state move) leaves the closed row as it is
        IF OLD.state = 'closed' THEN
            RETURN NULL;
        END IF;
        IF NEW.state = 'closed' THEN
            IF NEW.outcome = 'identified' AND OLD.state <> 'identified' THEN
                RAISE EXCEPTION 'case_not_identified: only an identified case closes as identified'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF NEW.outcome = 'no_match' AND OLD.state = 'identified' THEN
                RAISE EXCEPTION 'case_identified: an identified case does not close as no_match'
                    USING ERRCODE = 'check_violation';
            END IF;
        END IF;
        RETURN NEW;
    END
    $$;
CREATE TRIGGER cases_close_guard BEFORE UPDATE ON cases
    FOR EACH ROW EXECUTE FUNCTION tessera_case_close_guard();

-- No evidence and no match run is added to a closed case, whatever the client does.
CREATE FUNCTION tessera_refuse_closed_case() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM public.cases c WHERE c.id = NEW.case_id AND c.state = 'closed') THEN
            RAISE EXCEPTION 'case_closed: a closed case takes no new evidence or match runs'
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END
    $$;
CREATE TRIGGER evidence_not_on_closed_case BEFORE INSERT ON evidence
    FOR EACH ROW EXECUTE FUNCTION tessera_refuse_closed_case();
CREATE TRIGGER match_runs_not_on_closed_case BEFORE INSERT ON match_runs
    FOR EACH ROW EXECUTE FUNCTION tessera_refuse_closed_case();
