-- Auditors are scoped to their own agency; reading across agencies is the separate,
-- explicit role 'oversight', which only an admin can give (POST /v1/users, logged as
-- user.create with the role). Chain verification needs every row, so it runs through a
-- definer function that returns only the verdict, never a row's contents.

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('caseworker', 'partner', 'auditor', 'oversight', 'admin'));

DROP POLICY audit_auditor_read ON audit_events;
CREATE POLICY audit_auditor_read ON audit_events FOR SELECT
    USING ((tessera_role() = 'auditor' AND agency_id = tessera_agency())
           OR tessera_role() = 'oversight');

DROP POLICY decisions_own_agency ON decisions;
CREATE POLICY decisions_own_agency ON decisions FOR SELECT
    USING ((agency_id = tessera_agency() AND tessera_role() IN ('caseworker', 'auditor'))
           OR tessera_role() = 'oversight');

-- The canonical JSON the service hashes (Python's json.dumps with sort_keys, separators
-- "," and ":", ensure_ascii off): keys in code-point order, strings escaped as JSON.
-- Numbers are written as PostgreSQL prints them, which matches Python for integers and
-- for floats in plain notation (every number the service logs today).
CREATE FUNCTION tessera_canonical_json(j jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, public
    AS $$
        SELECT CASE jsonb_typeof(j)
            WHEN 'object' THEN
                '{' || coalesce((SELECT string_agg(to_json(k)::text || ':'
                                                   || public.tessera_canonical_json(v), ','
                                                   ORDER BY k COLLATE "C")
                                 FROM jsonb_each(j) AS e(k, v)), '') || '}'
            WHEN 'array' THEN
                '[' || coalesce((SELECT string_agg(public.tessera_canonical_json(v), ','
                                                   ORDER BY n)
                                 FROM jsonb_array_elements(j) WITH ORDINALITY AS e(v, n)), '')
                || ']'
            WHEN 'string' THEN to_json(j #>> '{}')::text
            ELSE j::text
        END
    $$;

CREATE FUNCTION tessera_audit_event_hash(a public.audit_events) RETURNS bytea
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, public
    AS $$
        SELECT sha256(convert_to(
            '{"action":' || to_json(a.action)::text
            || ',"actor_id":' || coalesce(to_json(a.actor_id::text)::text, 'null')
            || ',"agency_id":' || coalesce(to_json(a.agency_id::text)::text, 'null')
            || ',"details":' || public.tessera_canonical_json(a.details)
            || ',"id":' || to_json(a.id::text)::text
            || ',"object_id":' || coalesce(to_json(a.object_id)::text, 'null')
            || ',"object_type":' || coalesce(to_json(a.object_type)::text, 'null')
            || ',"occurred_at":"'
            || to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
            || '+00:00"'
            || ',"prev_hash":"' || encode(a.prev_hash, 'hex') || '"'
            || ',"purpose":' || coalesce(to_json(a.purpose)::text, 'null')
            || ',"request_id":' || coalesce(to_json(a.request_id)::text, 'null')
            || ',"role":' || coalesce(to_json(a.role)::text, 'null')
            || ',"seq":' || a.seq::text
            || '}', 'UTF8'))
    $$;

-- The whole chain's verdict for any auditor: the place, link and hash of every event,
-- as service.audit.verify_chain checks them. Returns no field of any event but the id
-- and number of the first bad one (and the head hash).
CREATE FUNCTION tessera_audit_verify()
    RETURNS TABLE (valid boolean, length bigint, head text, first_bad uuid,
                   first_bad_seq bigint, reason text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
        ev public.audit_events;
        prev bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
        expected bigint := 1;
        why text;
    BEGIN
        IF tessera_role() NOT IN ('auditor', 'oversight') THEN
            RAISE EXCEPTION 'only auditors verify the audit log'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        FOR ev IN SELECT * FROM public.audit_events ORDER BY seq LOOP
            why := NULL;
            IF ev.seq <> expected THEN
                why := format('expected event number %s, found %s', expected, ev.seq);
            ELSIF ev.prev_hash <> prev THEN
                why := 'its link to the previous event does not match';
            ELSIF public.tessera_audit_event_hash(ev) <> ev.hash THEN
                why := 'its content does not match its hash';
            END IF;
            IF why IS NOT NULL THEN
                RETURN QUERY SELECT false, expected - 1, encode(prev, 'hex'), ev.id, ev.seq, why;
                RETURN;
            END IF;
            prev := ev.hash;
            expected := expected + 1;
        END LOOP;
        RETURN QUERY SELECT true, expected - 1, encode(prev, 'hex'), NULL::uuid, NULL::bigint,
                            NULL::text;
    END
    $$;

REVOKE ALL ON FUNCTION tessera_canonical_json(jsonb) FROM PUBLIC;
REVOKE ALL ON FUNCTION tessera_audit_event_hash(public.audit_events) FROM PUBLIC;
REVOKE ALL ON FUNCTION tessera_audit_verify() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tessera_audit_verify() TO tessera_app;
