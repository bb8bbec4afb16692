-- +goose Up
-- A token may expire, and records roughly when it was last used (at most
-- one write a minute per token, so authentication stays a read).
ALTER TABLE api_tokens
    ADD COLUMN expires_at   timestamptz,
    ADD COLUMN last_used_at timestamptz;

-- +goose Down
ALTER TABLE api_tokens
    DROP COLUMN last_used_at,
    DROP COLUMN expires_at;
