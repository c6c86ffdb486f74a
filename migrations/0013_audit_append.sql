-- The audit log is appended only through tessera_audit_append(): the database assigns
-- the event's number, time, link and hash, under the one audit lock. The application
-- role keeps no INSERT on the table, so holding that role is no longer enough to write
-- a row with a chosen number (2^63-1 would have stopped every later append), a chosen
-- time or a hash that does not follow from its content.

CREATE FUNCTION tessera_audit_append(
    p_actor_id uuid,
    p_agency_id uuid,
    p_role text,
    p_action text,
    p_object_type text,
    p_object_id text,
    p_purpose text,
    p_request_id text,
    p_details jsonb
) RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    DECLARE
        ev public.audit_events;
        head_seq bigint;
        head_hash bytea;
    BEGIN
        IF p_action IS NULL OR length(p_action) = 0 OR length(p_action) > 100 THEN
            RAISE EXCEPTION 'an audit event needs an action of 1 to 100 characters'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF p_details IS NOT NULL AND jsonb_typeof(p_details) <> 'object' THEN
            RAISE EXCEPTION 'an audit event''s details are a JSON object'
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        PERFORM pg_advisory_xact_lock(7341002);
        SELECT a.seq, a.hash INTO head_seq, head_hash
            FROM public.audit_events a ORDER BY a.seq DESC LIMIT 1;
        ev.seq := coalesce(head_seq, 0) + 1;
        ev.prev_hash := coalesce(head_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
        ev.id := gen_random_uuid();
        -- microseconds, as the chain's canonical form writes them
        ev.occurred_at := date_trunc('microseconds', clock_timestamp());
        ev.actor_id := p_actor_id;
        ev.agency_id := p_agency_id;
        ev.role := p_role;
        ev.action := p_action;
        ev.object_type := p_object_type;
        ev.object_id := p_object_id;
        ev.purpose := p_purpose;
        ev.request_id := p_request_id;
        ev.details := coalesce(p_details, '{}'::jsonb);
        ev.hash := public.tessera_audit_event_hash(ev);
        INSERT INTO public.audit_events VALUES (ev.*);
        RETURN ev.seq;
    END
    $$;

REVOKE ALL ON FUNCTION tessera_audit_append(uuid, uuid, text, text, text, text, text, text, jsonb)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tessera_audit_append(uuid, uuid, text, text, text, text, text, text,
                                               jsonb) TO tessera_app;
REVOKE INSERT ON audit_events FROM tessera_app;

-- The stored hash of one event, for comparing the log with a published checkpoint. A
-- hash tells nothing of the event; an agency's auditor cannot read other agencies' rows.
CREATE FUNCTION tessera_audit_hash_at(p_seq bigint) RETURNS bytea
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$ SELECT a.hash FROM public.audit_events a WHERE a.seq = p_seq $$;

REVOKE ALL ON FUNCTION tessera_audit_hash_at(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tessera_audit_hash_at(bigint) TO tessera_app;
