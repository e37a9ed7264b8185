-- The points ledger's one write path (docs/ledger.md), version 2. Loaded by the migration
-- points/migrations/0011_household_month.py; a change is a new file (ledger_record_v3.sql) loaded
-- by a new migration, never an edit of this one (nor of ledger_record_v1.sql, the history).
--
-- Version 2 also keeps points_householdmonth: with the postings, in the same call and under the
-- same household locks, each household leg adds its amount to the household's row of the
-- transaction's month (the month of p_occurred_on), in the column of the transaction's kind.
-- The pages read those rows (a rank, this month's earnings) instead of summing postings; the
-- verification compares them with the postings. Everything else is version 1 as it was:
--
-- meijia_ledger_record records one balanced transaction. Its legs are given either
--   * by account: p_accounts[i] receives p_amounts[i] (reversals and voids), or
--   * for one household against a counter-party: p_household receives p_amount from the
--     account of kind p_counter_kind owned by area p_counter_area or store p_counter_store;
--     either account is created when it is still missing (once in its life).
-- Under the household accounts' locks (FOR UPDATE, in id order, once) it looks the idempotency
-- key up (a retry returns the first transaction, is_new false), refuses a second reversal and
-- any household below zero, then writes the transaction, its postings with each household's
-- hash chain, and the cached balances. Pools, stores and expiry accounts are never locked.
--
-- A refusal is returned (refusal = 'key_reused', 'already_reversed', 'insufficient_points'
-- with refusal_balance), not raised, and comes before anything is written: the caller's
-- transaction stays usable. A unique clash while writing (a key or reversal raced without a
-- shared household lock) raises unique_violation (23505) as usual.
--
-- The hash is points.services.ledger.posting_hash: sha256 of
-- prev_hash|account|sequence|transaction|key|amount|balance_after, as hex.
CREATE OR REPLACE FUNCTION meijia_ledger_record(
    p_kind text,
    p_idempotency_key text,
    p_reason text,
    p_accounts bigint[],
    p_amounts bigint[],
    p_household bigint,
    p_counter_kind text,
    p_counter_area bigint,
    p_counter_store bigint,
    p_amount bigint,
    p_actor bigint,
    p_approver bigint,
    p_source_type text,
    p_source_id bigint,
    p_rule_code text,
    p_rule_version integer,
    p_reverses bigint,
    p_occurred_on date,
    p_at timestamptz,
    OUT transaction_id bigint,
    OUT is_new boolean,
    OUT refusal text,
    OUT refusal_balance bigint,
    OUT household_accounts bigint[],
    OUT household_balances bigint[]
) LANGUAGE plpgsql AS $$
DECLARE
    legs_account bigint[] := p_accounts;
    legs_amount bigint[] := p_amounts;
    counter_account bigint;
    locked RECORD;
    found RECORD;
    recorded bigint[][];
    wanted bigint[][];
    i integer;
    j integer;
    delta bigint;
    -- the locked household accounts, in id order: state carried through the chain
    acc_ids bigint[] := '{}';
    acc_balance bigint[] := '{}';
    acc_count bigint[] := '{}';
    acc_hash text[] := '{}';
    -- the postings to write, one entry per leg
    post_sequence bigint[] := '{}';
    post_balance bigint[] := '{}';
    post_prev text[] := '{}';
    post_hash text[] := '{}';
BEGIN
    is_new := false;
    IF p_household IS NOT NULL THEN
        -- One household against a pool, a store or an expiry account.
        IF NOT EXISTS (
            SELECT 1 FROM points_account a
            WHERE a.kind = 'household' AND a.household_id = p_household
        ) THEN  -- once in a household's life
            INSERT INTO points_account
                (kind, household_id, balance, posting_count, last_hash, created_at)
            VALUES ('household', p_household, 0, 0, '', p_at)
            ON CONFLICT DO NOTHING;
        END IF;
        FOR attempt IN 1 .. 2 LOOP
            IF p_counter_store IS NOT NULL THEN
                SELECT a.id INTO counter_account FROM points_account a
                WHERE a.kind = p_counter_kind AND a.store_id = p_counter_store;
            ELSE
                SELECT a.id INTO counter_account FROM points_account a
                WHERE a.kind = p_counter_kind AND a.area_id = p_counter_area;
            END IF;
            EXIT WHEN counter_account IS NOT NULL;
            -- once in a pool's, store's or expiry account's life
            INSERT INTO points_account
                (kind, area_id, store_id, balance, posting_count, last_hash, created_at)
            VALUES (p_counter_kind, p_counter_area, p_counter_store, 0, 0, '', p_at)
            ON CONFLICT DO NOTHING;
        END LOOP;
        FOR locked IN
            SELECT a.id, a.balance, a.posting_count, a.last_hash FROM points_account a
            WHERE a.kind = 'household' AND a.household_id = p_household FOR UPDATE
        LOOP
            acc_ids := ARRAY[locked.id];
            acc_balance := ARRAY[locked.balance];
            acc_count := ARRAY[locked.posting_count];
            acc_hash := ARRAY[locked.last_hash];
        END LOOP;
        legs_account := ARRAY[acc_ids[1], counter_account];
        legs_amount := ARRAY[p_amount, -p_amount];
    ELSE
        FOR locked IN
            SELECT a.id, a.balance, a.posting_count, a.last_hash FROM points_account a
            WHERE a.id = ANY (legs_account) AND a.kind = 'household'
            ORDER BY a.id FOR UPDATE
        LOOP
            acc_ids := acc_ids || locked.id;
            acc_balance := acc_balance || locked.balance;
            acc_count := acc_count || locked.posting_count;
            acc_hash := acc_hash || locked.last_hash;
        END LOOP;
    END IF;

    -- The key, under the lock only: a retry that waited for the lock finds the first call's
    -- transaction here. The same key for a different change is refused.
    SELECT t.id, t.kind INTO found FROM points_ledgertransaction t
    WHERE t.idempotency_key = p_idempotency_key;
    IF found.id IS NOT NULL THEN
        SELECT array_agg(ARRAY[p.account_id, p.amount] ORDER BY p.account_id, p.amount)
        INTO recorded FROM points_posting p WHERE p.transaction_id = found.id;
        SELECT array_agg(ARRAY[l.account_id, l.amount] ORDER BY l.account_id, l.amount)
        INTO wanted FROM unnest(legs_account, legs_amount) AS l(account_id, amount);
        IF found.kind <> p_kind OR recorded IS DISTINCT FROM wanted THEN
            refusal := 'key_reused';
            RETURN;
        END IF;
        transaction_id := found.id;
        RETURN;
    END IF;

    IF p_reverses IS NOT NULL AND EXISTS (
        SELECT 1 FROM points_ledgertransaction t WHERE t.reverses_id = p_reverses
    ) THEN
        refusal := 'already_reversed';
        RETURN;
    END IF;

    FOR i IN 1 .. coalesce(array_length(acc_ids, 1), 0) LOOP
        SELECT coalesce(sum(l.amount), 0) INTO delta
        FROM unnest(legs_account, legs_amount) AS l(account_id, amount)
        WHERE l.account_id = acc_ids[i];
        IF acc_balance[i] + delta < 0 THEN
            refusal := 'insufficient_points';
            refusal_balance := acc_balance[i];
            RETURN;
        END IF;
    END LOOP;

    -- Nothing was written before this point.
    INSERT INTO points_ledgertransaction (
        kind, reason, idempotency_key, actor_id, approver_id, source_type, source_id,
        rule_code, rule_version, reverses_id, occurred_on, created_at
    ) VALUES (
        p_kind, left(p_reason, 200), p_idempotency_key, p_actor, p_approver,
        coalesce(p_source_type, ''), p_source_id, coalesce(p_rule_code, ''), p_rule_version,
        p_reverses, p_occurred_on, p_at
    ) RETURNING id INTO transaction_id;

    FOR i IN 1 .. array_length(legs_account, 1) LOOP
        j := array_position(acc_ids, legs_account[i]);
        IF j IS NULL THEN
            post_sequence := post_sequence || NULL::bigint;
            post_balance := post_balance || NULL::bigint;
            post_prev := post_prev || ''::text;
            post_hash := post_hash || ''::text;
            CONTINUE;
        END IF;
        acc_balance[j] := acc_balance[j] + legs_amount[i];
        acc_count[j] := acc_count[j] + 1;
        post_sequence := post_sequence || acc_count[j];
        post_balance := post_balance || acc_balance[j];
        post_prev := post_prev || acc_hash[j];
        acc_hash[j] := encode(sha256(convert_to(concat_ws('|',
            acc_hash[j], legs_account[i], acc_count[j], transaction_id, p_idempotency_key,
            legs_amount[i], acc_balance[j]), 'UTF8')), 'hex');
        post_hash := post_hash || acc_hash[j];
    END LOOP;

    INSERT INTO points_posting (
        transaction_id, account_id, amount, sequence, balance_after, prev_hash, hash, created_at
    )
    SELECT transaction_id, l.account_id, l.amount, l.sequence, l.balance_after, l.prev_hash,
           l.hash, p_at
    FROM unnest(legs_account, legs_amount, post_sequence, post_balance, post_prev, post_hash)
        AS l(account_id, amount, sequence, balance_after, prev_hash, hash);

    UPDATE points_account a
    SET balance = s.balance, posting_count = s.posting_count, last_hash = s.last_hash
    FROM unnest(acc_ids, acc_balance, acc_count, acc_hash)
        AS s(id, balance, posting_count, last_hash)
    WHERE a.id = s.id;

    -- The kept month rows (version 2): one per household leg's household, under its lock.
    INSERT INTO points_householdmonth
        (household_id, month, awarded, redeemed, voided, reversed, expired, adjusted)
    SELECT a.household_id, date_trunc('month', p_occurred_on)::date,
           CASE p_kind WHEN 'award' THEN sum(l.amount) ELSE 0 END,
           CASE p_kind WHEN 'redemption' THEN sum(l.amount) ELSE 0 END,
           CASE p_kind WHEN 'void' THEN sum(l.amount) ELSE 0 END,
           CASE p_kind WHEN 'reversal' THEN sum(l.amount) ELSE 0 END,
           CASE p_kind WHEN 'expiry' THEN sum(l.amount) ELSE 0 END,
           CASE p_kind WHEN 'adjustment' THEN sum(l.amount) ELSE 0 END
    FROM unnest(legs_account, legs_amount) AS l(account_id, amount)
    JOIN points_account a ON a.id = l.account_id AND a.kind = 'household'
    GROUP BY a.household_id
    ORDER BY a.household_id
    ON CONFLICT (household_id, month) DO UPDATE SET
        awarded = points_householdmonth.awarded + EXCLUDED.awarded,
        redeemed = points_householdmonth.redeemed + EXCLUDED.redeemed,
        voided = points_householdmonth.voided + EXCLUDED.voided,
        reversed = points_householdmonth.reversed + EXCLUDED.reversed,
        expired = points_householdmonth.expired + EXCLUDED.expired,
        adjusted = points_householdmonth.adjusted + EXCLUDED.adjusted;

    is_new := true;
    household_accounts := acc_ids;
    household_balances := acc_balance;
END;
$$;
