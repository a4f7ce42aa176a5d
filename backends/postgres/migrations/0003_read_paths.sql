-- Spoke postgres backend, schema version 3: the common reads as single indexed lookups.
--   * `latest` of a module is the first row of one index (versions_latest), with pre-release
--     precedence in a sortable column (prerelease_key), instead of a sort of all its versions
--     and a choice among candidates in the server;
--   * a module's version count and its last change are kept on its row by the push that adds
--     a version, instead of being counted and aggregated over its versions on every read;
--   * a version's file list and dependency list are kept on its row (file_list,
--     dependency_list: immutable, like the version), written by the push, so that reading
--     versions is reading rows, not two aggregates over other tables per version;
--   * module names page in byte order through an index in that order (modules_name_bytes).
--
-- Same rules as 0001_initial.sql: a statement ends at a line whose last non-blank character is
-- ';', no ';' at the end of a line inside a statement, no BEGIN/COMMIT.

-- Semver pre-release precedence (semver.org, item 11) as a string whose byte order ("C"
-- collation) is that precedence: each dot-separated identifier becomes
--   '1' || 4-digit length || digits   for a numeric one (numbers compare by length, then digits;
--                                      semver forbids leading zeros),
--   '2' || identifier                 for an alphanumeric one (after every numeric one),
-- each followed by '!', which sorts below every character an identifier may hold
-- ([0-9A-Za-z-]), so that a shorter list of equal identifiers sorts first. '' for a release.
-- The push passes the pre-release through this function too: one definition of the order.
-- registry/semver.cpp compare_precedence is the server's; a backing test holds the two equal.
CREATE FUNCTION spoke_prerelease_key(prerelease text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (
        SELECT coalesce(string_agg(
            CASE WHEN p ~ '^[0-9]+$' THEN '1' || lpad(length(p)::text, 4, '0') || p
                 ELSE '2' || p END || '!', '' ORDER BY n), '')
        FROM unnest(string_to_array(nullif(prerelease, ''), '.')) WITH ORDINALITY AS t(p, n)
    );

ALTER TABLE versions ADD COLUMN prerelease_key text COLLATE "C" NOT NULL DEFAULT '';

UPDATE versions SET prerelease_key = spoke_prerelease_key(prerelease) WHERE is_prerelease;

-- The order `latest` picks by, tie-breaks included (registry/semver.cpp select_latest and
-- newer_than): releases before pre-releases, then precedence, then the later push, then the
-- smaller version string. `latest` is this index's first row for the module.
CREATE INDEX versions_latest ON versions (
    module_id, is_prerelease, major DESC, minor DESC, patch DESC, prerelease_key DESC,
    created_at DESC, version COLLATE "C");

-- [[path, sha256, size], ...] in path byte order, and ["module@version", ...] (the
-- dependency's version as it was pushed) in byte order: what registry_sql decodes.
ALTER TABLE versions ADD COLUMN file_list json NOT NULL DEFAULT '[]',
    ADD COLUMN dependency_list json NOT NULL DEFAULT '[]';

UPDATE versions v SET
    file_list = (SELECT coalesce(json_agg(json_build_array(f.path, f.sha256, f.size)
                                          ORDER BY f.path COLLATE "C"), '[]')
                 FROM version_files f WHERE f.version_id = v.id),
    dependency_list = (SELECT coalesce(json_agg(dm.name || '@' || dv.version
                                                ORDER BY (dm.name || '@' || dv.version) COLLATE "C"), '[]')
                       FROM version_dependencies d
                       JOIN versions dv ON dv.id = d.depends_on_version_id
                       JOIN modules dm ON dm.id = dv.module_id
                       WHERE d.version_id = v.id);

ALTER TABLE modules ADD COLUMN version_count bigint NOT NULL DEFAULT 0;

UPDATE modules m SET version_count = s.n, updated_at = greatest(m.updated_at, s.last)
    FROM (SELECT module_id, count(*) AS n, max(created_at) AS last FROM versions
          GROUP BY module_id) s
    WHERE s.module_id = m.id;

-- Byte order, whatever the database's locale: the order of GET /modules and of its keyset
-- (`after`), and a prefix is the range [prefix, prefix || '~') in it (names hold only
-- [a-z0-9_.-], all below '~').
CREATE UNIQUE INDEX modules_name_bytes ON modules (name COLLATE "C");
