-- +goose Up

-- An asset's document carries the ids of its orgs' groups and is read
-- under its tenant: moving an org to another group, or a group to another
-- tenant, changes the projection of every asset in it, so those assets are
-- bumped (which writes their outbox rows through the assets triggers).
-- Statement-level, one UPDATE per statement whatever the number of moved
-- rows; rows whose parent did not change (an upsert rewriting the same
-- value) bump nothing. Assets already written in this transaction are
-- skipped, as in asset_orgs_touch: their outbox row exists and the worker
-- reads the committed state.
-- +goose StatementBegin
CREATE FUNCTION orgs_touch_assets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE assets a SET updated_at = a.updated_at
    WHERE a.id IN (
        SELECT ao.asset_id FROM asset_orgs ao
        JOIN new_rows n ON n.id = ao.org_id
        JOIN old_rows o ON o.id = n.id
        WHERE o.group_id IS DISTINCT FROM n.group_id)
      AND a.xmin <> pg_current_xact_id()::xid;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER orgs_touch_assets AFTER UPDATE ON orgs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION orgs_touch_assets();

-- +goose StatementBegin
CREATE FUNCTION groups_touch_assets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE assets a SET updated_at = a.updated_at
    WHERE a.id IN (
        SELECT ao.asset_id FROM asset_orgs ao
        JOIN orgs g ON g.id = ao.org_id
        JOIN new_rows n ON n.id = g.group_id
        JOIN old_rows o ON o.id = n.id
        WHERE o.tenant_id IS DISTINCT FROM n.tenant_id)
      AND a.xmin <> pg_current_xact_id()::xid;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER groups_touch_assets AFTER UPDATE ON groups
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION groups_touch_assets();

-- Concrete indexes that once served the alias. A reindex records its index
-- (and the ones it replaced) at the swap; pruning keeps previous indexes
-- only from this list, so a leftover of a failed reindex, which never
-- served, is never kept in place of a real previous index.
CREATE TABLE served_indexes (
    name      text PRIMARY KEY,
    served_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE served_indexes;
DROP TRIGGER groups_touch_assets ON groups;
DROP FUNCTION groups_touch_assets();
DROP TRIGGER orgs_touch_assets ON orgs;
DROP FUNCTION orgs_touch_assets();
