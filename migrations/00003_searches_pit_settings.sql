-- +goose Up
-- The point in time of a stored search gets a column of its own, so the
-- reaper can close it before the row goes, and the live searches of a token
-- and of a tenant can be counted against their caps from an index.
ALTER TABLE searches ADD COLUMN pit text NOT NULL DEFAULT '';
CREATE INDEX searches_token_expires_idx ON searches (token_id, expires_at);
CREATE INDEX searches_tenant_expires_idx ON searches (tenant_id, expires_at);

-- Values every replica must agree on, such as the key that signs cursors when
-- ASSETS_CURSOR_KEY is not set: generated once by the first replica to ask.
CREATE TABLE settings (
    name       text PRIMARY KEY,
    value      bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE settings;
DROP INDEX searches_tenant_expires_idx;
DROP INDEX searches_token_expires_idx;
ALTER TABLE searches DROP COLUMN pit;
