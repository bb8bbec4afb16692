-- +goose Up

-- The API caches what authorizing a request reads (a token and its grants,
-- a scope and its parents) and forgets all of it when this channel says
-- that any of it changed: a revoked token, a changed grant, an org moved to
-- another group. The triggers fire on every writer (the CLI, an import, a
-- person at psql), so no code path can forget to say it. Updates that leave
-- what authorization reads unchanged (a token's last_used_at, an upsert
-- rewriting the same parent) stay silent: they happen all the time.
-- +goose StatementBegin
CREATE FUNCTION notify_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('assets_auth_changed', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER api_tokens_auth_changed AFTER UPDATE ON api_tokens FOR EACH ROW
    WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.expires_at IS DISTINCT FROM NEW.expires_at
          OR OLD.hash <> NEW.hash OR OLD.id <> NEW.id)
    EXECUTE FUNCTION notify_auth_changed();
CREATE TRIGGER api_tokens_auth_removed AFTER DELETE OR TRUNCATE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed();
CREATE TRIGGER api_token_grants_auth_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_token_grants
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed();

CREATE TRIGGER tenants_auth_changed AFTER UPDATE ON tenants FOR EACH ROW
    WHEN (OLD.id <> NEW.id)
    EXECUTE FUNCTION notify_auth_changed();
CREATE TRIGGER tenants_auth_removed AFTER DELETE OR TRUNCATE ON tenants
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed();
CREATE TRIGGER groups_auth_changed AFTER UPDATE ON groups FOR EACH ROW
    WHEN (OLD.id <> NEW.id OR OLD.tenant_id <> NEW.tenant_id)
    EXECUTE FUNCTION notify_auth_changed();
CREATE TRIGGER groups_auth_removed AFTER DELETE OR TRUNCATE ON groups
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed();
CREATE TRIGGER orgs_auth_changed AFTER UPDATE ON orgs FOR EACH ROW
    WHEN (OLD.id <> NEW.id OR OLD.group_id <> NEW.group_id)
    EXECUTE FUNCTION notify_auth_changed();
CREATE TRIGGER orgs_auth_removed AFTER DELETE OR TRUNCATE ON orgs
    FOR EACH STATEMENT EXECUTE FUNCTION notify_auth_changed();

-- +goose Down
DROP TRIGGER orgs_auth_removed ON orgs;
DROP TRIGGER orgs_auth_changed ON orgs;
DROP TRIGGER groups_auth_removed ON groups;
DROP TRIGGER groups_auth_changed ON groups;
DROP TRIGGER tenants_auth_removed ON tenants;
DROP TRIGGER tenants_auth_changed ON tenants;
DROP TRIGGER api_token_grants_auth_changed ON api_token_grants;
DROP TRIGGER api_tokens_auth_removed ON api_tokens;
DROP TRIGGER api_tokens_auth_changed ON api_tokens;
DROP FUNCTION notify_auth_changed();
