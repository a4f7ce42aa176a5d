-- Spoke postgres backend, schema version 2: API tokens.
-- A row never holds a token's secret, only the lowercase hex SHA-256 of it; the server hashes
-- what a client presents and looks that up.
--
-- Same rules as 0001_initial.sql: a statement ends at a line whose last non-blank character is
-- ';', no ';' at the end of a line inside a statement, no BEGIN/COMMIT.

CREATE TABLE api_tokens (
    -- Public: names the token in the API ("tok_" + 16 lowercase hex).
    id text PRIMARY KEY,
    name text NOT NULL,
    -- UNIQUE: the index every authenticated request looks up.
    secret_hash text NOT NULL UNIQUE CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
    scopes text[] NOT NULL,
    -- Module-name prefixes the token is limited to; empty: every module.
    prefixes text[] NOT NULL DEFAULT '{}',
    expires_at timestamptz,
    created_at timestamptz NOT NULL,
    -- Raised in batches, never lowered (see record_token_use).
    last_used_at timestamptz,
    -- Set once; revoking again keeps the first time.
    revoked_at timestamptz
);
