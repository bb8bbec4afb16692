-- +goose Up
-- The projects and targets behind each asset (the contract's
-- relationships/projects and relationships/targets). Each belongs to one
-- asset and to one org, which must be one of the asset's orgs (checked by
-- the import): a token sees the projects and targets of the orgs its
-- request scope covers.
--
-- No foreign keys, as for asset_orgs: the import checks the references
-- (reporting the line), and deleting an asset deletes its projects and
-- targets in the delete trigger below.
CREATE TABLE targets (
    id             uuid PRIMARY KEY,
    asset_id       uuid NOT NULL,
    org_id         uuid NOT NULL,
    target_file    text NOT NULL DEFAULT '',
    target_origin  text NOT NULL DEFAULT '',
    target_ref     text NOT NULL DEFAULT '',
    integration_id uuid,
    imported_at    timestamptz
);
CREATE INDEX targets_asset_id_idx ON targets (asset_id, id);

CREATE TABLE projects (
    id                     uuid PRIMARY KEY,
    asset_id               uuid NOT NULL,
    org_id                 uuid NOT NULL,
    target_id              uuid,
    target_file            text NOT NULL DEFAULT '',
    target_origin          text NOT NULL DEFAULT '',
    target_ref             text NOT NULL DEFAULT '',
    project_type           text,
    snapshot_id            uuid,
    snapshot_created_at    timestamptz NOT NULL,
    monitor_id             uuid,
    monitor_created_at     timestamptz,
    risk_score             integer,
    issues_critical        integer NOT NULL DEFAULT 0 CHECK (issues_critical >= 0),
    issues_high            integer NOT NULL DEFAULT 0 CHECK (issues_high >= 0),
    issues_medium          integer NOT NULL DEFAULT 0 CHECK (issues_medium >= 0),
    issues_low             integer NOT NULL DEFAULT 0 CHECK (issues_low >= 0),
    base_image_remediation jsonb CHECK (base_image_remediation IS NULL OR jsonb_typeof(base_image_remediation) = 'object')
);
CREATE INDEX projects_asset_id_idx ON projects (asset_id, snapshot_created_at, id);

-- Whether the asset's issue counts and risk score are derived from its
-- projects. Set by derive_asset_issues; while it is true the import's asset
-- line cannot overwrite the derived numbers.
ALTER TABLE assets ADD COLUMN issues_derived boolean NOT NULL DEFAULT false;

-- The canonical rule (also in derive_asset_issues, inlined there for
-- speed): within one asset, projects are grouped by
-- target_file; in each group the project with the latest
-- snapshot_created_at is canonical, ties going to the greatest id. A project
-- with an empty target_file is a group of its own (always canonical).
-- +goose StatementBegin
CREATE FUNCTION projects_canonical(asset_ids uuid[])
RETURNS TABLE (id uuid, asset_id uuid, is_canonical boolean) LANGUAGE sql STABLE AS $$
    SELECT p.id, p.asset_id, row_number() OVER (
        PARTITION BY p.asset_id, p.target_file, CASE WHEN p.target_file = '' THEN p.id END
        ORDER BY p.snapshot_created_at DESC, p.id DESC) = 1
    FROM projects p WHERE p.asset_id = ANY (asset_ids)
$$;
-- +goose StatementEnd

-- derive_asset_issues sets the issue counts of each asset to the sums over
-- its canonical projects and its risk score to their maximum. An asset with
-- no projects keeps the numbers of its own import line; one whose last
-- project goes is reset to zero counts and no risk score. Only rows whose
-- numbers change are written, so the version (and the outbox) moves only
-- then.
-- It is planned for each call, without nested loops: the planner guesses
-- 100 rows for unnest(), and a nested loop over the windowed projects would
-- make an import of many assets with their projects quadratic.
-- +goose StatementBegin
CREATE FUNCTION derive_asset_issues(asset_ids uuid[]) RETURNS void LANGUAGE plpgsql
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

-- Statement-level, as the outbox triggers: one derivation per statement
-- whatever the number of projects it wrote.
-- +goose StatementBegin
CREATE FUNCTION projects_derive_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM derive_asset_issues(ARRAY(SELECT DISTINCT asset_id FROM new_rows));
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION projects_derive_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM derive_asset_issues(ARRAY(SELECT DISTINCT asset_id FROM old_rows));
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION projects_derive_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM derive_asset_issues(ARRAY(SELECT asset_id FROM new_rows UNION SELECT asset_id FROM old_rows));
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER projects_derive_insert AFTER INSERT ON projects
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION projects_derive_new();
CREATE TRIGGER projects_derive_update AFTER UPDATE ON projects
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION projects_derive_moved();
CREATE TRIGGER projects_derive_delete AFTER DELETE ON projects
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION projects_derive_old();

-- The version bump also guards the derived numbers: an update that is not
-- the derivation keeps them. (The import's upsert already leaves them
-- alone, so that an identical asset line bumps nothing; this catches any
-- other writer.)
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

-- Deleting an asset deletes its projects and targets (in place of ON
-- DELETE CASCADE, see asset_orgs).
-- +goose StatementBegin
CREATE FUNCTION assets_delete_relationships() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM projects WHERE asset_id IN (SELECT id FROM changed_rows);
    DELETE FROM targets WHERE asset_id IN (SELECT id FROM changed_rows);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER assets_delete_relationships AFTER DELETE ON assets
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assets_delete_relationships();

-- +goose Down
DROP TRIGGER assets_delete_relationships ON assets;
DROP FUNCTION assets_delete_relationships();
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION assets_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
DROP TABLE projects;
DROP FUNCTION projects_derive_new();
DROP FUNCTION projects_derive_old();
DROP FUNCTION projects_derive_moved();
DROP FUNCTION derive_asset_issues(uuid[]);
DROP FUNCTION projects_canonical(uuid[]);
ALTER TABLE assets DROP COLUMN issues_derived;
DROP TABLE targets;
