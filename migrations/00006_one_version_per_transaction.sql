-- +goose Up
-- A row written twice in one transaction (an import's upsert, then the
-- derivation of its issue counts from the projects the same import
-- brought) needs one version and one outbox row, not two: the worker reads
-- the committed row, so the first outbox row already carries every change
-- of the transaction. The second write keeps the version, and an update
-- that did not move a version writes no outbox row. (A write in a
-- subtransaction still bumps: its rows carry the subtransaction's id; that
-- only costs a version.)

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION assets_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.issues_derived AND current_setting('assets.deriving_issues', true) IS DISTINCT FROM 'on' THEN
        NEW.issues_critical := OLD.issues_critical;
        NEW.issues_high := OLD.issues_high;
        NEW.issues_medium := OLD.issues_medium;
        NEW.issues_low := OLD.issues_low;
        NEW.risk_score := OLD.risk_score;
        NEW.issues_derived := true;
    END IF;
    IF OLD.xmin <> pg_current_xact_id()::xid THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
-- Transition tables have no statistics: without nested loops the planner
-- hashes one side (a nested loop over two big ones is quadratic).
CREATE FUNCTION assets_outbox_update() RETURNS trigger LANGUAGE plpgsql
SET enable_nestloop = off AS $$
BEGIN
    INSERT INTO asset_outbox (asset_id, tenant_id, version)
    SELECT n.id, n.tenant_id, n.version
    FROM changed_rows n JOIN old_rows o ON o.id = n.id
    WHERE n.version <> o.version;
    IF FOUND THEN
        PERFORM pg_notify('asset_outbox', '');
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
DROP TRIGGER assets_outbox_update ON assets;
CREATE TRIGGER assets_outbox_update AFTER UPDATE ON assets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assets_outbox_update();

-- The derivation joins its asset ids with hash joins, planned for each
-- call: the planner guesses 100 rows for unnest() and chose nested loops
-- over the windowed projects, which made an import of many assets with
-- their projects quadratic (20,000 assets: 31 s).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION derive_asset_issues(asset_ids uuid[]) RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_custom_plan SET enable_nestloop = off AS $$
BEGIN
    PERFORM set_config('assets.deriving_issues', 'on', true);
    UPDATE assets a SET issues_critical = d.c, issues_high = d.h, issues_medium = d.m, issues_low = d.l,
        risk_score = d.r, issues_derived = d.n > 0
    FROM (
        SELECT x.id,
            coalesce(sum(p.issues_critical) FILTER (WHERE p.is_canonical), 0)::int AS c,
            coalesce(sum(p.issues_high) FILTER (WHERE p.is_canonical), 0)::int AS h,
            coalesce(sum(p.issues_medium) FILTER (WHERE p.is_canonical), 0)::int AS m,
            coalesce(sum(p.issues_low) FILTER (WHERE p.is_canonical), 0)::int AS l,
            max(p.risk_score) FILTER (WHERE p.is_canonical) AS r,
            count(p.id) AS n
        FROM (SELECT DISTINCT unnest(asset_ids) AS id) x
        LEFT JOIN (
            SELECT p.*, row_number() OVER (
                PARTITION BY p.asset_id, p.target_file, CASE WHEN p.target_file = '' THEN p.id END
                ORDER BY p.snapshot_created_at DESC, p.id DESC) = 1 AS is_canonical
            FROM projects p JOIN (SELECT DISTINCT unnest(asset_ids) AS id) ids ON ids.id = p.asset_id
        ) p ON p.asset_id = x.id
        GROUP BY x.id
    ) d
    WHERE a.id = d.id
      AND (d.n > 0 OR a.issues_derived)
      AND (a.issues_critical, a.issues_high, a.issues_medium, a.issues_low, a.risk_score, a.issues_derived)
          IS DISTINCT FROM (d.c, d.h, d.m, d.l, d.r, d.n > 0);
    PERFORM set_config('assets.deriving_issues', 'off', true);
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER assets_outbox_update ON assets;
CREATE TRIGGER assets_outbox_update AFTER UPDATE ON assets
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assets_outbox_upsert();
DROP FUNCTION assets_outbox_update();
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION assets_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.issues_derived AND current_setting('assets.deriving_issues', true) IS DISTINCT FROM 'on' THEN
        NEW.issues_critical := OLD.issues_critical;
        NEW.issues_high := OLD.issues_high;
        NEW.issues_medium := OLD.issues_medium;
        NEW.issues_low := OLD.issues_low;
        NEW.risk_score := OLD.risk_score;
        NEW.issues_derived := true;
    END IF;
    NEW.version := OLD.version + 1;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION derive_asset_issues(asset_ids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('assets.deriving_issues', 'on', true);
    UPDATE assets a SET issues_critical = d.c, issues_high = d.h, issues_medium = d.m, issues_low = d.l,
        risk_score = d.r, issues_derived = d.n > 0
    FROM (
        SELECT x.id,
            coalesce(sum(p.issues_critical) FILTER (WHERE p.is_canonical), 0)::int AS c,
            coalesce(sum(p.issues_high) FILTER (WHERE p.is_canonical), 0)::int AS h,
            coalesce(sum(p.issues_medium) FILTER (WHERE p.is_canonical), 0)::int AS m,
            coalesce(sum(p.issues_low) FILTER (WHERE p.is_canonical), 0)::int AS l,
            max(p.risk_score) FILTER (WHERE p.is_canonical) AS r,
            count(p.id) AS n
        FROM (SELECT DISTINCT unnest(asset_ids) AS id) x
        LEFT JOIN (
            SELECT p.*, row_number() OVER (
                PARTITION BY p.asset_id, p.target_file, CASE WHEN p.target_file = '' THEN p.id END
                ORDER BY p.snapshot_created_at DESC, p.id DESC) = 1 AS is_canonical
            FROM projects p WHERE p.asset_id = ANY (asset_ids)
        ) p ON p.asset_id = x.id
        GROUP BY x.id
    ) d
    WHERE a.id = d.id
      AND (d.n > 0 OR a.issues_derived)
      AND (a.issues_critical, a.issues_high, a.issues_medium, a.issues_low, a.risk_score, a.issues_derived)
          IS DISTINCT FROM (d.c, d.h, d.m, d.l, d.r, d.n > 0);
    PERFORM set_config('assets.deriving_issues', 'off', true);
END;
$$;
-- +goose StatementEnd
