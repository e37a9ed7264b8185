-- The outbox's common write (outbox.services.message_send for the households of one event: an
-- award, a redemption), version 1. Loaded by outbox/migrations/0002_household_messages.py; a
-- change is a new file (household_messages_v2.sql) loaded by a new migration, never an edit.
--
-- meijia_outbox_household_messages writes, in the caller's transaction, one message per distinct
-- phone among the members of p_households (heads only with p_heads_only), to that phone and the
-- active account that has it, with the person's choices for p_topic (outbox_preference) or else
-- p_inbox / p_sms, and one pending SMS delivery per message that goes by SMS. A recipient who
-- already has a message of p_event_key gets none (ON CONFLICT: message_once). Returns how many
-- messages it wrote and the deliveries' ids.
--
-- Why a function: as one prepared statement PostgreSQL never found its generic plan cheap enough
-- and planned it again on every call (planning cost more than running it). In a function its
-- plan is made once per connection (plan_cache_mode = force_generic_plan) and kept.
CREATE OR REPLACE FUNCTION meijia_outbox_household_messages(
    p_template text,
    p_data jsonb,
    p_event_key text,
    p_topic text,
    p_households bigint[],
    p_heads_only boolean,
    p_inbox boolean,
    p_sms boolean,
    p_at timestamptz,
    OUT written integer,
    OUT delivery_ids bigint[]
) LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    WITH r AS (
        SELECT DISTINCT ON (mb.phone) mb.phone AS phone, u.id AS user_id,
            (SELECT p.is_wanted FROM outbox_preference p
             WHERE p.user_id = u.id AND p.topic = p_topic AND p.channel = 'inbox') AS inbox_choice,
            (SELECT p.is_wanted FROM outbox_preference p
             WHERE p.user_id = u.id AND p.topic = p_topic AND p.channel = 'sms') AS sms_choice
        FROM registry_member mb
        LEFT JOIN registry_user u ON u.phone = mb.phone AND u.is_active
        WHERE mb.household_id = ANY (p_households) AND mb.phone <> ''
          AND (NOT p_heads_only OR mb.relation = 'head')
        ORDER BY mb.phone
    ), c AS (
        SELECT r.phone, r.user_id, COALESCE(r.inbox_choice, p_inbox) AS inbox,
               COALESCE(r.sms_choice, p_sms) AS sms
        FROM r
    ), m AS (
        INSERT INTO outbox_message
            (template, data, event_key, is_in_inbox, channels, created_at, user_id, phone)
        SELECT p_template, p_data, p_event_key, c.inbox,
               array_remove(ARRAY[CASE WHEN c.inbox THEN 'inbox' END,
                                  CASE WHEN c.sms THEN 'sms' END], NULL)::varchar[],
               p_at, c.user_id, c.phone
        FROM c WHERE c.inbox OR c.sms
        ORDER BY c.phone
        ON CONFLICT DO NOTHING
        RETURNING outbox_message.id, outbox_message.channels
    ), d AS (
        INSERT INTO outbox_delivery
            (message_id, channel, state, attempts, next_attempt_at, reason)
        SELECT m.id, 'sms', 'pending', 0, p_at, '' FROM m WHERE 'sms' = ANY (m.channels)
        RETURNING outbox_delivery.id
    )
    SELECT (SELECT count(*) FROM m), COALESCE((SELECT array_agg(d.id) FROM d), '{}')
    INTO written, delivery_ids;
END;
$$;
