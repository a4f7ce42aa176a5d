#pragma once
// Migration: one numbered schema script compiled into the binary.
// MigrationRunner: brings one database up to the binary's schema version, safely against
// other spoke-servers doing the same at the same time.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backends/postgres/pg_connection.hpp"
#include "common/result.hpp"
#include "reactor/callback.hpp"

namespace spoke {

struct Migration {
    int version = 0;        // 1, 2, ...: strictly ascending, recorded in schema_migrations
    std::string_view name;  // e.g. "0001_initial", for error messages
    std::string_view sql;   // the script: statements only, no BEGIN/COMMIT
};

// The migrations this binary knows, ascending by version (from backends/postgres/migrations/).
const std::vector<Migration>& embedded_migrations();

// Session-level advisory lock key held while migrating ("spoke" in ASCII).
inline constexpr int64_t kMigrationLockKey = 0x73706f6b65;

// Splits a migration script into statements. A statement ends at a line whose last non-blank
// character is ';', outside a function body quoted with "$$"; lines starting with "--" are
// dropped; so a ';' may not end a line inside a statement except in such a body. Text after the
// last ';' is an error, so a forgotten terminator cannot silently drop a statement.
Result<std::vector<std::string>> split_sql_script(std::string_view script);

// Runs on one connected, Idle PgConnection (its loop's thread). run() takes
// pg_advisory_lock(kMigrationLockKey), creates schema_migrations if missing, refuses a database
// newer than the binary, applies each missing migration in its own transaction, releases the
// lock, and completes with the schema version the database is now at.
//
// The state of a run lives in its callbacks, so the runner may be destroyed once run() returns;
// the connection must stay Idle-for-us (no other queries) until `done`. `done` is always
// deferred. If the connection is destroyed or lost meanwhile, `done` gets Unavailable and the
// server drops the lock with the session.
class MigrationRunner {
  public:
    explicit MigrationRunner(PgConnection& conn,
                             std::vector<Migration> migrations = embedded_migrations());

    void run(Callback<void(Result<int>)> done);

  private:
    PgConnection& conn_;
    std::vector<Migration> migrations_;
};

}  // namespace spoke
