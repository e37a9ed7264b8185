-- The counter's confirmation in one call (docs/ledger.md, "Locking order"), version 1. Loaded by
-- shops/migrations/0005_redemption_confirm_function.py; a change is a new file loaded by a new
-- migration.
--
-- meijia_redemption_confirm(…) runs, for a code Python has already read and verified (its
-- signature, its household): the shopkeeper, village and basket check; the points through
-- meijia_ledger_record (the one place that writes points: it locks the household's account and
-- honours the key "redeem:<key>"); the code's single use (a phone code's conditional UPDATE, a
-- card's version); the monthly limits (under the household's lock); the receipt and its lines;
-- each stock row in id order by its conditional UPDATE, with its move; the low-stock flags.
--
-- A retry whose ledger transaction is already recorded returns the first redemption
-- (is_new false). Every refusal raises SQLSTATE 'MJ001' with the machine-readable code as its
-- message and its details (an item's name, a number) as DETAIL 'name|number'; everything the
-- call wrote is undone with it. Python turns it into ShopError with the same code and a Chinese
-- message.
CREATE OR REPLACE FUNCTION meijia_redemption_confirm(
    p_store bigint,
    p_store_paths text[],
    p_actor bigint,
    p_counter_roles text[],
    p_household bigint,
    p_village bigint,
    p_code_kind text,
    p_phone_code bigint,
    p_card_version integer,
    p_live_since timestamptz,
    p_previewed_since timestamptz,
    p_items bigint[],
    p_quantities integer[],
    p_idempotency_key text,
    p_fingerprint text,
    p_receipt_number text,
    p_reason_template text,
    p_month_start timestamptz,
    p_at timestamptz,
    p_occurred_on date,
    OUT redemption_id bigint,
    OUT is_new boolean,
    OUT transaction_id bigint,
    OUT points bigint,
    OUT balance_after bigint,
    OUT alert_items bigint[]
) LANGUAGE plpgsql AS $$
DECLARE
    wanted integer := array_length(p_items, 1);
    found_items integer;
    names text;
    ledger RECORD;
    item RECORD;
    taken RECORD;
    used timestamptz;
    card_version_now integer;
    item_ids bigint[];
    item_prices integer[];
BEGIN
    is_new := false;
    alert_items := '{}';

    -- The basket's items on sale here, when the actor is this store's shopkeeper and the store
    -- serves the household's village.
    SELECT count(*), sum(i.points_price::bigint * b.quantity),
           string_agg(i.name || '×' || b.quantity, '、' ORDER BY i.id),
           array_agg(i.id ORDER BY i.id), array_agg(i.points_price ORDER BY i.id)
    INTO found_items, points, names, item_ids, item_prices
    FROM shops_catalogueitem i
    JOIN unnest(p_items, p_quantities) AS b(item_id, quantity) ON b.item_id = i.id
    WHERE i.store_id = p_store AND i.is_active;
    IF NOT EXISTS (
        SELECT 1 FROM shops_store_shopkeepers k
        WHERE k.store_id = p_store AND k.user_id = p_actor AND EXISTS (
            SELECT 1 FROM registry_roleassignment r JOIN registry_area a ON a.id = r.area_id
            WHERE r.user_id = k.user_id AND r.role = ANY (p_counter_roles)
              AND a.path = ANY (p_store_paths)))
    THEN
        RAISE EXCEPTION USING ERRCODE = 'MJ001', MESSAGE = 'not_shopkeeper';
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM shops_store_villages v WHERE v.store_id = p_store AND v.area_id = p_village
    ) THEN
        RAISE EXCEPTION USING ERRCODE = 'MJ001', MESSAGE = 'wrong_store';
    END IF;
    IF found_items < wanted THEN
        RAISE EXCEPTION USING ERRCODE = 'MJ001', MESSAGE = 'unknown_item';
    END IF;

    -- The points: locks the household's account; a retry of a recorded key returns here.
    SELECT * INTO ledger FROM meijia_ledger_record(
        'redemption', 'redeem:' || p_idempotency_key,
        replace(p_reason_template, '%(items)s', names), NULL, NULL,
        p_household, 'store', NULL, p_store, -points,
        p_actor, NULL, '', NULL, '', NULL, NULL, p_occurred_on, p_at);
    IF ledger.refusal IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'MJ001', MESSAGE = ledger.refusal,
            DETAIL = '|' || coalesce(ledger.refusal_balance::text, '');
    END IF;
    transaction_id := ledger.transaction_id;
    IF NOT ledger.is_new THEN
        SELECT r.id, r.points INTO redemption_id, points FROM shops_redemption r
        WHERE r.idempotency_key = p_idempotency_key AND r.store_id = p_store;
        IF redemption_id IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'MJ001', MESSAGE = 'key_reused';
        END IF;
        RETURN;
    END IF;
    balance_after := ledger.household_balances[1];

    -- The code, used once: of two confirmations of one phone code exactly one changes the row.
    IF p_code_kind = 'card' THEN
        SELECT h.card_version INTO card_version_now FROM registry_household h
        WHERE h.id = p_household;
        IF card_version_now IS DISTINCT FROM p_card_version THEN
            RAISE EXCEPTION USING ERRCODE = 'MJ001', MESSAGE = 'revoked';
        END IF;
    ELSE
        UPDATE registry_phonecode c SET used_at = p_at, used_for = 'redemption'
        WHERE c.id = p_phone_code AND c.used_at IS NULL
          AND (c.issued_at >= p_live_since OR c.previewed_at >= p_previewed_since);
        IF NOT FOUND THEN
            SELECT c.used_at INTO used FROM registry_phonecode c WHERE c.id = p_phone_code;
            RAISE EXCEPTION USING ERRCODE = 'MJ001',
                MESSAGE = CASE WHEN used IS NULL THEN 'expired' ELSE 'used' END;
        END IF;
    END IF;

    -- Monthly limits, under the household's lock: no other redemption of it runs now.
    FOR taken IN
        SELECT i.name, i.monthly_limit - coalesce((
                   SELECT sum(l.quantity) FROM shops_redemptionline l
                   JOIN shops_redemption r ON r.id = l.redemption_id
                   WHERE l.item_id = i.id AND r.household_id = p_household
                     AND r.voided_at IS NULL AND r.created_at >= p_month_start), 0) AS remaining,
               b.quantity
        FROM shops_catalogueitem i
        JOIN unnest(p_items, p_quantities) AS b(item_id, quantity) ON b.item_id = i.id
        WHERE i.monthly_limit IS NOT NULL
        ORDER BY i.id
    LOOP
        IF taken.quantity > greatest(taken.remaining, 0) THEN
            RAISE EXCEPTION USING ERRCODE = 'MJ001', MESSAGE = 'limit_reached',
                DETAIL = taken.name || '|' || greatest(taken.remaining, 0);
        END IF;
    END LOOP;

    -- The receipt and its lines (name and cost as they are now, the price charged). Its unique key is the
    -- last guard against a retry that raced past everything above.
    INSERT INTO shops_redemption (
        store_id, household_id, receipt_number, idempotency_key, request_fingerprint, points,
        code_kind, ledger_transaction_id, actor_id, created_at, void_reason
    ) VALUES (
        p_store, p_household, p_receipt_number, p_idempotency_key, p_fingerprint, points,
        p_code_kind, transaction_id, p_actor, p_at, ''
    ) RETURNING id INTO redemption_id;
    INSERT INTO shops_redemptionline
        (redemption_id, item_id, name, unit, quantity, points_price, cost_yuan)
    SELECT redemption_id, i.id, i.name, i.unit, b.quantity, c.price, i.cost_yuan
    FROM shops_catalogueitem i
    JOIN unnest(p_items, p_quantities) AS b(item_id, quantity) ON b.item_id = i.id
    JOIN unnest(item_ids, item_prices) AS c(item_id, price) ON c.item_id = i.id
    ORDER BY i.id;

    -- Stock, row by row in id order, each locked by its own conditional UPDATE at the last
    -- moment, with its move.
    FOR item IN
        SELECT b.item_id, b.quantity FROM unnest(p_items, p_quantities) AS b(item_id, quantity)
        ORDER BY b.item_id
    LOOP
        UPDATE shops_catalogueitem i SET stock_on_hand = i.stock_on_hand - item.quantity
        WHERE i.id = item.item_id AND i.stock_on_hand >= item.quantity
        RETURNING i.stock_on_hand, i.points_price, i.is_active, i.low_stock_level,
                  i.low_stock_alerted, i.name
        INTO taken;
        IF NOT FOUND THEN
            SELECT i.name, i.stock_on_hand INTO taken FROM shops_catalogueitem i
            WHERE i.id = item.item_id;
            RAISE EXCEPTION USING ERRCODE = 'MJ001', MESSAGE = 'out_of_stock',
                DETAIL = taken.name || '|' || taken.stock_on_hand;
        END IF;
        -- The price or sale status changed since the basket was read: the points would be wrong.
        IF NOT taken.is_active
           OR taken.points_price <> item_prices[array_position(item_ids, item.item_id)] THEN
            RAISE EXCEPTION USING ERRCODE = 'MJ001', MESSAGE = 'price_changed';
        END IF;
        INSERT INTO shops_stockmove
            (item_id, kind, quantity, reason, redemption_id, actor_id, created_at)
        VALUES (item.item_id, 'redemption', -item.quantity, '', redemption_id, p_actor, p_at);
        IF taken.stock_on_hand <= taken.low_stock_level AND NOT taken.low_stock_alerted THEN
            UPDATE shops_catalogueitem SET low_stock_alerted = true WHERE id = item.item_id;
            alert_items := alert_items || item.item_id;
        ELSIF taken.stock_on_hand > taken.low_stock_level AND taken.low_stock_alerted THEN
            UPDATE shops_catalogueitem SET low_stock_alerted = false WHERE id = item.item_id;
        END IF;
    END LOOP;
    is_new := true;
END;
$$;
