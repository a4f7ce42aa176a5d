-- Spoke postgres backend, schema version 1.
-- Metadata lives here; file bytes live in S3, content-addressed by sha256, so a file row only
-- points at its object.
--
-- Rules for this file (schema_migrations.cpp splits it without parsing SQL):
--   * a statement ends at a line whose last non-blank character is ';' (comments excluded);
--   * no ';' at the end of a line inside a statement (so no dollar-quoted function bodies);
--   * the runner wraps the whole file in one transaction: no BEGIN/COMMIT here.

CREATE TABLE modules (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Same rule as the HTTP layer's module-name validation; the CHECK is the last line of
    -- defence against a name that would be unsafe as a key or path (the old schema allowed
    -- any name the code passed, and the FS backend accepted '../x').
    name text NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9_.-]{0,127}$'),
    description text NOT NULL DEFAULT '',
    compatibility text NOT NULL DEFAULT 'BACKWARD' CHECK (compatibility IN (
        'NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL',
        'FULL_TRANSITIVE')),
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Set by the statements that change a module (no trigger: one less hidden write path).
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Versions are immutable once pushed: no updated_at, and nothing ever UPDATEs a row.
CREATE TABLE versions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- No cascade: versions are never deleted, and a module with versions must not vanish.
    module_id bigint NOT NULL REFERENCES modules (id),
    version text NOT NULL,  -- as pushed, a leading 'v' kept
    -- The version without a leading 'v': 'v1.2.3' and '1.2.3' are the same version.
    version_key text NOT NULL CHECK (version_key <> '' AND version_key !~ '^v'),
    digest text NOT NULL CHECK (digest ~ '^sha256:[0-9a-f]{64}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    source_repository text NOT NULL DEFAULT '',
    source_commit_sha text NOT NULL DEFAULT '',
    source_branch text NOT NULL DEFAULT '',
    -- Semver sort columns, filled from version_key at push, so that `latest` and newest-first
    -- listing are one indexed ORDER BY instead of parsing strings in the server (the old
    -- schema sorted by created_at, which is wrong for back-ported patches).
    major bigint NOT NULL CHECK (major >= 0),
    minor bigint NOT NULL CHECK (minor >= 0),
    patch bigint NOT NULL CHECK (patch >= 0),
    prerelease text NOT NULL DEFAULT '',  -- after '-', without build metadata; '' for a release
    is_prerelease boolean NOT NULL,
    CHECK (is_prerelease = (prerelease <> '')),
    UNIQUE (module_id, version_key)
);

-- Serves `latest` (releases first: is_prerelease false sorts before true) and newest-first
-- listing. Prerelease order beyond text comparison is refined in the server when tied.
CREATE INDEX versions_semver_order ON versions (
    module_id, major DESC, minor DESC, patch DESC, is_prerelease, prerelease DESC);

CREATE TABLE version_files (
    version_id bigint NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    path text NOT NULL CHECK (path <> ''),
    sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size bigint NOT NULL CHECK (size >= 0),
    -- Stored rather than derived from sha256 so the key layout can change without rewriting
    -- old rows.
    object_key text NOT NULL CHECK (object_key <> ''),
    UNIQUE (version_id, path)
);

-- Direct dependencies as resolved at push time, as rows (the old schema used a JSONB array
-- of strings, which could not be joined or constrained).
CREATE TABLE version_dependencies (
    version_id bigint NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    -- No cascade: a version others depend on must not disappear under them.
    depends_on_version_id bigint NOT NULL REFERENCES versions (id),
    PRIMARY KEY (version_id, depends_on_version_id),
    CHECK (version_id <> depends_on_version_id)
);

-- `dependents` of a version is one indexed lookup.
CREATE INDEX version_dependencies_depends_on ON version_dependencies (depends_on_version_id);
