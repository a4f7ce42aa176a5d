#include "backends/postgres/schema_migrations.hpp"

#include <charconv>
#include <memory>
#include <optional>
#include <utility>

#include "backends/postgres/embedded_migrations.hpp"

namespace spoke {

const std::vector<Migration>& embedded_migrations() {
    static const std::vector<Migration> all = {
        {1, "0001_initial", embedded_sql::k0001_initial},
        {2, "0002_api_tokens", embedded_sql::k0002_api_tokens},
        {3, "0003_read_paths", embedded_sql::k0003_read_paths},
        {4, "0004_confluent_subjects", embedded_sql::k0004_confluent_subjects},
    };
    return all;
}

namespace {

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r\n");
    return s.substr(first, last - first + 1);
}

}  // namespace

Result<std::vector<std::string>> split_sql_script(std::string_view script) {
    std::vector<std::string> statements;
    std::string current;
    int line_no = 0;
    int statement_start = 0;
    bool in_body = false;  // inside a $$-quoted function body, whose lines end with ';'
    while (!script.empty()) {
        const auto nl = script.find('\n');
        const std::string_view line = script.substr(0, nl);
        script = nl == std::string_view::npos ? std::string_view{} : script.substr(nl + 1);
        ++line_no;
        const std::string_view t = trim(line);
        if (t.empty() || t.substr(0, 2) == "--") continue;
        if (current.empty()) statement_start = line_no;
        current.append(line).push_back('\n');
        for (auto at = t.find("$$"); at != std::string_view::npos; at = t.find("$$", at + 2)) {
            in_body = !in_body;
        }
        if (!in_body && t.back() == ';') {
            statements.push_back(std::move(current));
            current.clear();
        }
    }
    if (!current.empty())
        return Error::internal("migration script: statement starting on line " +
                               std::to_string(statement_start) + " does not end with ';'");
    return statements;
}

namespace {

// One run's state, owned by whichever query callback is pending.
struct Job {
    PgConnection& conn;
    std::vector<Migration> migrations;
    Callback<void(Result<int>)> done;
    std::vector<std::string> plan;  // statements still to send, in order, after reading version
    size_t next = 0;
    bool in_transaction = false;  // a planned BEGIN succeeded and its COMMIT has not yet
    int final_version = 0;
    std::optional<Error> failure;  // set once something failed; cleanup then reports it
};
using JobPtr = std::unique_ptr<Job>;
using Step = void (*)(JobPtr, PgQueryResult);

void send(JobPtr job, std::string sql, std::vector<std::optional<std::string>> params, Step then) {
    PgConnection& conn = job->conn;
    conn.query(std::move(sql), std::move(params),
               [job = std::move(job), then](PgQueryResult r) mutable {
                   then(std::move(job), std::move(r));
               });
}

void finish(JobPtr job, Result<int> result) {
    auto done = std::move(job->done);
    job.reset();
    done(std::move(result));
}

Error with_context(const std::string& what, const PgError& e) {
    Error err = e.to_error();
    err.message = what + ": " + err.message;
    return err;
}

// After a failure with the lock held: roll back the open transaction if any, release the lock,
// then report the failure. Only when the connection is still usable; otherwise the server has
// already dropped both with the session.
void on_cleanup_unlocked(JobPtr job, PgQueryResult) {
    Error e = std::move(*job->failure);
    finish(std::move(job), std::move(e));
}

void on_cleanup_rolled_back(JobPtr job, PgQueryResult r) {
    if (!r.ok() && r.error().kind != PgErrorKind::Sql) {
        on_cleanup_unlocked(std::move(job), std::move(r));
        return;
    }
    send(std::move(job), "SELECT pg_advisory_unlock($1::bigint)",
         {std::to_string(kMigrationLockKey)}, on_cleanup_unlocked);
}

void fail_locked(JobPtr job, Error error, const PgError* cause = nullptr) {
    job->failure = std::move(error);
    if (cause != nullptr && cause->kind != PgErrorKind::Sql) {
        Error e = std::move(*job->failure);
        finish(std::move(job), std::move(e));
        return;
    }
    if (!job->in_transaction) {
        on_cleanup_rolled_back(std::move(job), PgResult{});
        return;
    }
    send(std::move(job), "ROLLBACK", {}, on_cleanup_rolled_back);
}

void on_unlocked(JobPtr job, PgQueryResult r) {
    if (!r.ok()) {
        // The schema is in place; a lost session released the lock anyway.
        finish(std::move(job), with_context("releasing the migration lock", r.error()));
        return;
    }
    const int version = job->final_version;
    finish(std::move(job), version);
}

void run_plan(JobPtr job);

void on_planned(JobPtr job, PgQueryResult r) {
    if (!r.ok()) {
        Error e = with_context("applying schema migrations failed", r.error());
        const PgError& cause = r.error();
        fail_locked(std::move(job), std::move(e), &cause);
        return;
    }
    const std::string& sent = job->plan[job->next];
    if (sent == "BEGIN") job->in_transaction = true;
    if (sent == "COMMIT") job->in_transaction = false;
    ++job->next;
    run_plan(std::move(job));
}

void run_plan(JobPtr job) {
    if (job->next == job->plan.size()) {
        send(std::move(job), "SELECT pg_advisory_unlock($1::bigint)",
             {std::to_string(kMigrationLockKey)}, on_unlocked);
        return;
    }
    std::string sql = job->plan[job->next];
    send(std::move(job), std::move(sql), {}, on_planned);
}

void on_current_version(JobPtr job, PgQueryResult r) {
    if (!r.ok()) {
        const PgError& cause = r.error();
        fail_locked(std::move(job), with_context("reading schema_migrations", cause), &cause);
        return;
    }
    int current = 0;
    const std::string_view text = r.value().rows() == 1 ? r.value().value(0, 0) : "";
    if (std::from_chars(text.data(), text.data() + text.size(), current).ec != std::errc{}) {
        fail_locked(std::move(job), Error::internal("schema_migrations: unreadable version '" +
                                                    std::string(text) + "'"));
        return;
    }
    const int known = job->migrations.empty() ? 0 : job->migrations.back().version;
    if (current > known) {
        fail_locked(std::move(job),
                    Error::internal("database schema version " + std::to_string(current) +
                                    " is newer than this spoke-server knows (" +
                                    std::to_string(known) + ")"));
        return;
    }
    job->final_version = current;
    for (const Migration& m : job->migrations) {
        if (m.version <= current) continue;
        auto statements = split_sql_script(m.sql);
        if (!statements) {
            Error e = statements.error();
            e.message = "migration " + std::string(m.name) + ": " + e.message;
            fail_locked(std::move(job), std::move(e));
            return;
        }
        // One transaction per migration: a failure leaves the previous version intact.
        job->plan.push_back("BEGIN");
        for (auto& s : *statements) job->plan.push_back(std::move(s));
        job->plan.push_back("INSERT INTO schema_migrations (version) VALUES (" +
                            std::to_string(m.version) + ")");
        job->plan.push_back("COMMIT");
        job->final_version = m.version;
    }
    run_plan(std::move(job));
}

void on_table_ready(JobPtr job, PgQueryResult r) {
    if (!r.ok()) {
        const PgError& cause = r.error();
        fail_locked(std::move(job), with_context("creating schema_migrations", cause), &cause);
        return;
    }
    send(std::move(job), "SELECT coalesce(max(version), 0) FROM schema_migrations", {},
         on_current_version);
}

void on_table_checked(JobPtr job, PgQueryResult r) {
    if (!r.ok()) {
        const PgError& cause = r.error();
        fail_locked(std::move(job), with_context("looking for schema_migrations", cause), &cause);
        return;
    }
    if (r.value().rows() == 1 && r.value().value(0, 0) == "t") {
        on_table_ready(std::move(job), PgResult{});
        return;
    }
    // Plain CREATE (not IF NOT EXISTS, which logs a notice on every start): the lock means
    // nobody else can create it between the check and here.
    send(std::move(job),
         "CREATE TABLE schema_migrations ("
         "version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
         {}, on_table_ready);
}

void on_locked(JobPtr job, PgQueryResult r) {
    if (!r.ok()) {
        finish(std::move(job), with_context("taking the migration lock", r.error()));
        return;
    }
    send(std::move(job), "SELECT to_regclass('schema_migrations') IS NOT NULL", {},
         on_table_checked);
}

}  // namespace

MigrationRunner::MigrationRunner(PgConnection& conn, std::vector<Migration> migrations)
    : conn_(conn), migrations_(std::move(migrations)) {}

void MigrationRunner::run(Callback<void(Result<int>)> done) {
    auto job = std::make_unique<Job>(Job{conn_, migrations_, std::move(done), {}, 0, false, 0, {}});
    // Session-level, so it spans the per-migration transactions; other runners wait here.
    send(std::move(job), "SELECT pg_advisory_lock($1::bigint)", {std::to_string(kMigrationLockKey)},
         on_locked);
}

}  // namespace spoke
