-- +goose Up
CREATE TABLE tenants (
    id         uuid PRIMARY KEY,
    name       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE groups (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    name       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX groups_tenant_id_idx ON groups (tenant_id);

CREATE TABLE orgs (
    id         uuid PRIMARY KEY,
    group_id   uuid NOT NULL REFERENCES groups (id),
    name       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orgs_group_id_idx ON orgs (group_id);

-- +goose StatementBegin
CREATE FUNCTION jsonb_object_length(o jsonb) RETURNS integer LANGUAGE sql IMMUTABLE STRICT
    RETURN (SELECT count(*) FROM jsonb_object_keys(o));
-- +goose StatementEnd

CREATE TABLE assets (
    id                   uuid PRIMARY KEY,
    tenant_id            uuid NOT NULL REFERENCES tenants (id),
    type                 text NOT NULL DEFAULT 'container_images' CHECK (type IN ('container_images')),
    class_rank           smallint NOT NULL DEFAULT 3 CHECK (class_rank BETWEEN 1 AND 4),
    class_locked         boolean NOT NULL DEFAULT false,
    -- The contract's limits hold for the result of every update, whatever
    -- concurrent adds did: at most 50 labels and 100 tags.
    labels               text[] NOT NULL DEFAULT '{}' CONSTRAINT assets_labels_limit CHECK (cardinality(labels) <= 50),
    tags                 jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(tags) = 'object')
                         CONSTRAINT assets_tags_limit CHECK (jsonb_object_length(tags) <= 100),
    registry             text NOT NULL DEFAULT '',
    repository           text NOT NULL DEFAULT '',
    name                 text GENERATED ALWAYS AS (
                             CASE WHEN registry = '' THEN repository ELSE registry || '/' || repository END
                         ) STORED,
    config_digest        text,
    distribution_digests jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(distribution_digests) = 'array'),
    image_tags           text[] NOT NULL DEFAULT '{}',
    built_at             timestamptz,
    size_bytes           bigint,
    os                   text,
    os_version           text,
    architecture         text,
    variant              text,
    author               text,
    config               jsonb,
    image_labels         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(image_labels) = 'object'),
    extra                jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(extra) = 'object'),
    risk_score           integer,
    issues_critical      integer NOT NULL DEFAULT 0 CHECK (issues_critical >= 0),
    issues_high          integer NOT NULL DEFAULT 0 CHECK (issues_high >= 0),
    issues_medium        integer NOT NULL DEFAULT 0 CHECK (issues_medium >= 0),
    issues_low           integer NOT NULL DEFAULT 0 CHECK (issues_low >= 0),
    last_scan            timestamptz,
    last_seen_at         timestamptz NOT NULL DEFAULT now(),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    version              bigint NOT NULL DEFAULT 1
);
CREATE INDEX assets_tenant_id_idx ON assets (tenant_id, id);

-- An image can be used in several orgs of its tenant. Group scope is the
-- assets of the group's orgs; tenant scope is every asset of the tenant.
--
-- No foreign keys here, on purpose: their per-row checks were two thirds of
-- the time of a 1M-asset import. Instead the import checks that every org
-- exists in the asset's tenant (reporting the line), and deleting an asset
-- deletes its memberships in the assets delete trigger below.
CREATE TABLE asset_orgs (
    asset_id uuid NOT NULL,
    org_id   uuid NOT NULL,
    PRIMARY KEY (asset_id, org_id)
);
CREATE INDEX asset_orgs_org_id_idx ON asset_orgs (org_id);

-- The outbox: one row per committed change of an asset or its membership,
-- written by triggers so that no write path can forget it. version is the
-- asset version the sync worker must make visible (for a delete, the last
-- version plus one, so the delete wins over every earlier write).
CREATE TABLE asset_outbox (
    id         bigserial PRIMARY KEY,
    asset_id   uuid NOT NULL,
    tenant_id  uuid NOT NULL,
    version    bigint NOT NULL,
    deleted    boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- A document Elasticsearch keeps rejecting is retried later, with
    -- backoff, so it cannot hold up the rows behind it.
    attempts   integer NOT NULL DEFAULT 0,
    retry_at   timestamptz
);

-- +goose StatementBegin
-- Every update of an asset row is a change: bump its version. The import
-- upsert skips rows whose data did not change, so an identical re-import
-- bumps nothing.
CREATE FUNCTION assets_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER assets_bump_version BEFORE UPDATE ON assets
    FOR EACH ROW EXECUTE FUNCTION assets_bump_version();

-- Statement-level triggers with transition tables: one INSERT ... SELECT for
-- a whole COPY-sized batch instead of one per row.
-- +goose StatementBegin
CREATE FUNCTION assets_outbox_upsert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO asset_outbox (asset_id, tenant_id, version)
    SELECT id, tenant_id, version FROM changed_rows;
    PERFORM pg_notify('asset_outbox', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER assets_outbox_insert AFTER INSERT ON assets
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assets_outbox_upsert();
CREATE TRIGGER assets_outbox_update AFTER UPDATE ON assets
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assets_outbox_upsert();

-- +goose StatementBegin
CREATE FUNCTION assets_outbox_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO asset_outbox (asset_id, tenant_id, version, deleted)
    SELECT id, tenant_id, version + 1, true FROM changed_rows;
    -- In place of ON DELETE CASCADE (see asset_orgs). The membership trigger
    -- then finds no asset left to bump.
    DELETE FROM asset_orgs WHERE asset_id IN (SELECT id FROM changed_rows);
    PERFORM pg_notify('asset_outbox', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER assets_outbox_delete AFTER DELETE ON assets
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assets_outbox_delete();

-- A membership change changes the indexed document (its org and group ids),
-- so it must bump the asset's version, which in turn writes the outbox row.
-- Assets already written in this transaction are skipped: their outbox row
-- exists and the worker reads the committed row, memberships included; this
-- keeps a bulk import at one version and one outbox row per new asset.
-- +goose StatementBegin
CREATE FUNCTION asset_orgs_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The bulk import sets this for its transaction and bumps exactly the
    -- assets whose membership it changed itself (1M lookups saved).
    IF current_setting('assets.defer_membership_touch', true) = 'on' THEN
        RETURN NULL;
    END IF;
    UPDATE assets a SET updated_at = a.updated_at
    WHERE a.id IN (SELECT asset_id FROM changed_rows)
      AND a.xmin <> pg_current_xact_id()::xid;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER asset_orgs_touch_insert AFTER INSERT ON asset_orgs
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION asset_orgs_touch();
CREATE TRIGGER asset_orgs_touch_delete AFTER DELETE ON asset_orgs
    REFERENCING OLD TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION asset_orgs_touch();

CREATE TABLE api_tokens (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    -- SHA-256 of the secret; the secret itself is shown once and never stored.
    hash       bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

CREATE TABLE api_token_grants (
    token_id   uuid NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    scope_kind text NOT NULL CHECK (scope_kind IN ('tenant', 'group', 'org')),
    scope_id   uuid NOT NULL,
    permission text NOT NULL CHECK (permission ~ '^(tenant|group|org)\.(read|edit)$'),
    PRIMARY KEY (token_id, scope_kind, scope_id, permission)
);

-- Stored searches behind POST .../searches; results page over the same
-- query while the search lives.
CREATE TABLE searches (
    id         uuid PRIMARY KEY,
    scope_kind text NOT NULL CHECK (scope_kind IN ('tenant', 'group', 'org')),
    scope_id   uuid NOT NULL,
    tenant_id  uuid NOT NULL,
    token_id   uuid,
    filter     text NOT NULL DEFAULT '',
    sort       text NOT NULL DEFAULT '',
    query      jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX searches_expires_at_idx ON searches (expires_at);

-- Indexes the sync worker writes to besides the alias: a reindex registers
-- its new index here so writes made while it builds reach it too.
CREATE TABLE index_targets (
    name       text PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE index_targets;
DROP TABLE searches;
DROP TABLE api_token_grants;
DROP TABLE api_tokens;
DROP TABLE asset_orgs;
DROP FUNCTION asset_orgs_touch();
DROP TABLE assets;
DROP FUNCTION jsonb_object_length(jsonb);
DROP FUNCTION assets_outbox_delete();
DROP FUNCTION assets_outbox_upsert();
DROP FUNCTION assets_bump_version();
DROP TABLE asset_outbox;
DROP TABLE orgs;
DROP TABLE groups;
DROP TABLE tenants;
