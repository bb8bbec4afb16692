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
