-- Kept counts of work orders per area, status and lateness (supervision_areaordercount), for
-- the town and district overviews: reading them costs the same for 50 villages or 1,000.
--
-- A trigger on supervision_workorder adds +1/-1 to the rows of the order's area and of every
-- area above it except the root (the district): the root's row would be one hot row every
-- order of the district waits for; its figures are the sum of its towns' rows. Rows are
-- upserted in path order (town, then village), so two orders never lock them in opposite
-- orders. A moved area is not recounted (areas do not move under open orders).

CREATE OR REPLACE FUNCTION supervision_count_add(
    p_area bigint, p_status text, p_overdue boolean, p_delta integer
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO supervision_areaordercount (area_id, status, is_overdue, count)
    SELECT above.id, p_status, p_overdue, p_delta
    FROM registry_area self
    JOIN registry_area above
      ON above.path = ANY (ARRAY(
            SELECT substr(self.path, 1, 4 * n) FROM generate_series(2, self.depth) AS n))
    WHERE self.id = p_area
    ORDER BY above.path
    ON CONFLICT (area_id, status, is_overdue)
    DO UPDATE SET count = supervision_areaordercount.count + EXCLUDED.count;
$$;

CREATE OR REPLACE FUNCTION supervision_workorder_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.area_id = OLD.area_id AND NEW.status = OLD.status
       AND NEW.is_overdue = OLD.is_overdue THEN
        RETURN NEW;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM supervision_count_add(OLD.area_id, OLD.status, OLD.is_overdue, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM supervision_count_add(NEW.area_id, NEW.status, NEW.is_overdue, 1);
        RETURN NEW;
    END IF;
    RETURN OLD;
END $$;

DROP TRIGGER IF EXISTS supervision_workorder_count ON supervision_workorder;
CREATE TRIGGER supervision_workorder_count
    AFTER INSERT OR UPDATE OR DELETE ON supervision_workorder
    FOR EACH ROW EXECUTE FUNCTION supervision_workorder_count();
