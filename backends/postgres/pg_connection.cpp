#include "backends/postgres/pg_connection.hpp"

#include <event2/event.h>

#include <cassert>
#include <chrono>
#include <cstdlib>

#include "reactor/host_resolver.hpp"
#include "reactor/log.hpp"

namespace spoke {

namespace {

// libpq messages end with a newline; log lines and errors should not.
std::string trimmed(const char* msg) {
    std::string s = msg ? msg : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

// Server NOTICE/WARNING messages would otherwise be printed to stderr by libpq.
void log_notice(void*, const char* message) {
    Log::write(LogLevel::Info, "postgres notice", {{"message", trimmed(message)}});
}

PgError error_from_result(PGconn* conn, const PGresult* r) {
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const char* primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    std::string message = trimmed(primary ? primary : PQresultErrorMessage(r));
    // A connection lost mid-query also yields a FATAL_ERROR result, without a server SQLSTATE.
    if (PQstatus(conn) == CONNECTION_BAD || state == nullptr)
        return {PgErrorKind::Connection, state ? state : "", std::move(message)};
    return {PgErrorKind::Sql, state, std::move(message)};
}

}  // namespace

int64_t PgResult::affected_rows() const {
    if (!r_) return 0;
    return std::strtoll(PQcmdTuples(r_.get()), nullptr, 10);
}

Error PgError::to_error() const {
    if (kind != PgErrorKind::Sql) return Error::unavailable(message);
    const std::string_view cls = std::string_view(sqlstate).substr(0, 2);
    // The server is unreachable, overloaded, shutting down, or the wrong one (a standby): the
    // request may succeed elsewhere or later.
    if (cls == "08" || cls == "53" || cls == "57" || sqlstate == "25006" || sqlstate == "40001" ||
        sqlstate == "40P01")
        return Error::unavailable("postgres " + sqlstate + ": " + message);
    return Error::internal("postgres " + sqlstate + ": " + message);
}

const char* PgConnection::state_name(State s) {
    switch (s) {
        case State::Disconnected:
            return "disconnected";
        case State::Connecting:
            return "connecting";
        case State::Idle:
            return "idle";
        case State::Busy:
            return "busy";
        case State::Broken:
            return "broken";
    }
    return "?";
}

PgConnection::PgConnection(EventLoop& loop, std::string conninfo, PgTimeouts timeouts)
    : loop_(loop),
      conninfo_(std::move(conninfo)),
      timeouts_(timeouts),
      deadline_(loop, [this] { on_deadline(); }) {}

PgConnection::~PgConnection() {
    // Pending callbacks learn about the close on a later iteration, never from here.
    if (connect_done_)
        loop_.defer([done = std::move(connect_done_)]() mutable {
            done(Error::unavailable("connection closed"));
        });
    if (query_done_)
        loop_.defer([done = std::move(query_done_)]() mutable {
            done(PgError{PgErrorKind::Closed, "", "connection closed"});
        });
    unwatch();
    if (conn_) PQfinish(conn_);
}

namespace {

[[maybe_unused]] bool legal_transition(PgConnection::State from, PgConnection::State to) {
    using S = PgConnection::State;
    switch (from) {
        case S::Disconnected:
            return to == S::Connecting;
        case S::Connecting:
            return to == S::Idle || to == S::Broken;
        case S::Idle:
            return to == S::Busy || to == S::Broken;
        case S::Busy:
            return to == S::Idle || to == S::Broken;
        case S::Broken:
            return to == S::Connecting;
    }
    return false;
}

}  // namespace

void PgConnection::set_state(State next) {
    if (next == state_) return;
    assert(legal_transition(state_, next));
    if (Log::enabled(LogLevel::Debug))
        Log::write(LogLevel::Debug, "postgres connection state",
                   {{"from", std::string_view(state_name(state_))},
                    {"to", std::string_view(state_name(next))}});
    state_ = next;
}

void PgConnection::connect(Callback<void(Status)> done) {
    if (state_ != State::Disconnected && state_ != State::Broken) {
        loop_.defer([done = std::move(done)]() mutable {
            done(Error::internal("postgres connect() called while already connected"));
        });
        return;
    }
    connect_done_ = std::move(done);
    set_state(State::Connecting);
    // The deadline covers resolving host names too.
    deadline_.arm(std::chrono::milliseconds(timeouts_.connect_ms));
    const uint64_t attempt = ++connect_attempt_;
    auto hosts = hosts_to_resolve(conninfo_);
    if (!hosts) return start_connect({}, {}, {});
    resolve_hosts(attempt, std::move(*hosts), {});
}

std::optional<std::vector<std::string>> PgConnection::hosts_to_resolve(
    const std::string& conninfo) {
    // Also notes a per-host port list (per_host_ports_), repeated with its hosts below.
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
    if (opts == nullptr) {
        PQfreemem(err);
        return std::nullopt;  // PQconnectStartParams reports it
    }
    std::string hosts, hostaddr, ports;
    for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) {
        if (o->val == nullptr) continue;
        if (std::string_view(o->keyword) == "host") hosts = o->val;
        if (std::string_view(o->keyword) == "hostaddr") hostaddr = o->val;
        if (std::string_view(o->keyword) == "port") ports = o->val;
    }
    PQconninfoFree(opts);
    if (hosts.empty() || !hostaddr.empty()) return std::nullopt;
    per_host_ports_.clear();
    if (ports.find(',') != std::string::npos) {
        size_t from = 0;
        while (from <= ports.size()) {
            size_t comma = ports.find(',', from);
            if (comma == std::string::npos) comma = ports.size();
            per_host_ports_.push_back(ports.substr(from, comma - from));
            from = comma + 1;
        }
    }
    std::vector<std::string> out;
    bool any_name = false;
    size_t start = 0;
    while (start <= hosts.size()) {
        size_t comma = hosts.find(',', start);
        if (comma == std::string::npos) comma = hosts.size();
        std::string host = hosts.substr(start, comma - start);
        // A Unix socket directory has no address: leave such a list to libpq as it is.
        if (host.empty() || host.front() == '/') return std::nullopt;
        any_name = any_name || !is_numeric_host(host);
        out.push_back(std::move(host));
        start = comma + 1;
    }
    if (!any_name) return std::nullopt;
    return out;
}

void PgConnection::resolve_hosts(uint64_t attempt, std::vector<std::string> hosts,
                                 std::vector<std::vector<std::string>> addresses) {
    if (addresses.size() == hosts.size()) {
        // Every address of every host, in order: libpq tries them in turn as it does a host
        // list (target_session_attrs still picks the primary).
        std::string host_list, hostaddr, port_list;
        const bool ports = per_host_ports_.size() == hosts.size();
        for (size_t i = 0; i < hosts.size(); ++i) {
            for (const auto& a : addresses[i]) {
                host_list += (host_list.empty() ? "" : ",") + hosts[i];
                hostaddr += (hostaddr.empty() ? "" : ",") + a;
                if (ports) port_list += (port_list.empty() ? "" : ",") + per_host_ports_[i];
            }
        }
        return start_connect(host_list, hostaddr, port_list);
    }
    // libpq would resolve names inside PQconnectPoll, blocking the loop: resolve them on the
    // loop's resolver, again at every connect (a failover may move the name), and hand libpq
    // the addresses as hostaddr (host still names the server for TLS and messages).
    const std::string host = hosts[addresses.size()];
    loop_.resolver().resolve(
        host,
        lifetime_.bind([this, attempt, hosts = std::move(hosts), addresses = std::move(addresses)](
                           Result<std::vector<std::string>> found) mutable {
            if (attempt != connect_attempt_ || state_ != State::Connecting) return;
            if (!found) return fail_connect(found.error().message);
            addresses.push_back(std::move(*found));
            resolve_hosts(attempt, std::move(hosts), std::move(addresses));
        }));
}

void PgConnection::start_connect(const std::string& host_list, const std::string& hostaddr,
                                 const std::string& port_list) {
    // Spoke's statements are prepared once per connection (PgPool) and their parameters are
    // arrays and names whose values barely change a plan: planning them again per call (the
    // default "auto" mode keeps custom plans when it misjudges the generic one) doubled the cost
    // of a `latest` read in bench/postgres.sh. A generic plan's cost is estimated without the
    // parameters (the closure query's came to 1.5 M on a 100-row table), far above jit_above_cost
    // and jit_optimize_above_cost: PostgreSQL then JIT-compiled the closure query on every
    // execution, 430 ms of CPU for a 0.4 ms query, and pushes ran at 3/s (docs/benchmarks.md,
    // issue 11). Spoke's statements are short lookups that JIT never pays for: it is off. Placed
    // before dbname, so `options` in the configured conninfo still wins.
    const bool resolved = !hostaddr.empty();
    const char* keys[] = {"options",
                          "dbname",
                          resolved ? "host" : nullptr,
                          "hostaddr",
                          port_list.empty() ? nullptr : "port",
                          nullptr};
    const char* values[] = {"-c plan_cache_mode=force_generic_plan -c jit=off",
                            conninfo_.c_str(),
                            host_list.c_str(),
                            hostaddr.c_str(),
                            port_list.c_str(),
                            nullptr};
    conn_ = PQconnectStartParams(keys, values, /*expand_dbname=*/1);
    if (conn_ == nullptr || PQstatus(conn_) == CONNECTION_BAD) {
        fail_connect(conn_ ? trimmed(PQerrorMessage(conn_)) : "out of memory");
        return;
    }
    PQsetNoticeProcessor(conn_, &log_notice, nullptr);
    // libpq: behave as if PQconnectPoll had last returned PGRES_POLLING_WRITING.
    watch(EV_WRITE);
}

void PgConnection::begin_query(Callback<void(PgQueryResult)> done) {
    query_done_ = std::move(done);
    last_result_ = PgResult();
    first_error_.reset();
    execute_after_prepare_.reset();
    set_state(State::Busy);
}

void PgConnection::query(std::string sql, std::vector<std::optional<std::string>> params,
                         Callback<void(PgQueryResult)> done) {
    if (state_ != State::Idle) {
        std::string why = std::string("postgres connection is ") + state_name(state_);
        loop_.defer([done = std::move(done), why = std::move(why)]() mutable {
            done(PgError{PgErrorKind::Connection, "", std::move(why)});
        });
        return;
    }
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    begin_query(std::move(done));
    if (!PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                           values.data(), nullptr, nullptr, /*resultFormat=text*/ 0)) {
        fail_query({PgErrorKind::Connection, "", trimmed(PQerrorMessage(conn_))});
        return;
    }
    deadline_.arm(std::chrono::milliseconds(timeouts_.statement_ms));
    flushing_ = true;
    on_query_io(0);
}

void PgConnection::query_prepared(std::string name, std::string sql,
                                  std::vector<std::optional<std::string>> params,
                                  Callback<void(PgQueryResult)> done) {
    if (state_ != State::Idle) {
        query(std::move(sql), std::move(params), std::move(done));  // reports the state
        return;
    }
    begin_query(std::move(done));
    prepared_params_ = std::move(params);
    bool sent;
    if (prepared_.contains(name)) {
        sent = send_prepared(name);
    } else {
        // Parameter types are inferred from the statement (each $n is cast where it matters).
        sent = PQsendPrepare(conn_, name.c_str(), sql.c_str(),
                             static_cast<int>(prepared_params_.size()), nullptr) != 0;
        execute_after_prepare_ = std::move(name);
    }
    if (!sent) {
        fail_query({PgErrorKind::Connection, "", trimmed(PQerrorMessage(conn_))});
        return;
    }
    deadline_.arm(std::chrono::milliseconds(timeouts_.statement_ms));
    flushing_ = true;
    on_query_io(0);
}

bool PgConnection::send_prepared(const std::string& name) {
    std::vector<const char*> values;
    values.reserve(prepared_params_.size());
    for (const auto& p : prepared_params_) values.push_back(p ? p->c_str() : nullptr);
    return PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(),
                               nullptr, nullptr, /*resultFormat=text*/ 0) != 0;
}

void PgConnection::on_io(int, short what, void* arg) {
    auto* self = static_cast<PgConnection*>(arg);
    switch (self->state_) {
        case State::Connecting:
            self->poll_connect();
            break;
        case State::Busy:
            self->on_query_io(what);
            break;
        case State::Idle:
            // Nothing is expected; reading notices a server-side close (or queues a notice).
            if (!PQconsumeInput(self->conn_) || PQstatus(self->conn_) == CONNECTION_BAD) {
                Log::write(LogLevel::Warn, "postgres connection lost while idle",
                           {{"reason", trimmed(PQerrorMessage(self->conn_))}});
                self->teardown();
                break;
            }
            // LISTEN is never issued, but a stray notification must not pile up.
            while (PGnotify* n = PQnotifies(self->conn_)) PQfreemem(n);
            break;
        case State::Disconnected:
        case State::Broken:
            break;
    }
}

void PgConnection::watch(short what) {
    unwatch();
    // Re-created every time: the socket may change between PQconnectPoll steps (libpq docs).
    io_event_ = event_new(loop_.base(), PQsocket(conn_), what, &PgConnection::on_io, this);
    event_add(io_event_, nullptr);
}

void PgConnection::unwatch() {
    if (io_event_) event_free(io_event_);
    io_event_ = nullptr;
}

void PgConnection::poll_connect() {
    switch (PQconnectPoll(conn_)) {
        case PGRES_POLLING_READING:
            watch(EV_READ);
            return;
        case PGRES_POLLING_WRITING:
            watch(EV_WRITE);
            return;
        case PGRES_POLLING_OK:
            break;
        default:
            fail_connect(trimmed(PQerrorMessage(conn_)));
            return;
    }
    deadline_.cancel();
    if (PQsetnonblocking(conn_, 1) != 0) {
        fail_connect(trimmed(PQerrorMessage(conn_)));
        return;
    }
    set_state(State::Idle);
    watch(EV_READ | EV_PERSIST);
    loop_.defer([done = std::move(connect_done_)]() mutable { done(ok_status()); });
}

void PgConnection::on_query_io(short what) {
    if (flushing_) {
        // While the send buffer drains, the server may be blocked writing to us: keep reading.
        if ((what & EV_READ) && !PQconsumeInput(conn_)) {
            fail_query({PgErrorKind::Connection, "", trimmed(PQerrorMessage(conn_))});
            return;
        }
        switch (PQflush(conn_)) {
            case 0:
                break;
            case 1:
                watch(EV_READ | EV_WRITE | EV_PERSIST);
                return;
            default:
                fail_query({PgErrorKind::Connection, "", trimmed(PQerrorMessage(conn_))});
                return;
        }
        flushing_ = false;
        watch(EV_READ | EV_PERSIST);
    }
    // Also right after the flush: input consumed while flushing raises no new read event.
    drain_results();
}

void PgConnection::drain_results() {
    if (!PQconsumeInput(conn_)) {
        fail_query({PgErrorKind::Connection, "", trimmed(PQerrorMessage(conn_))});
        return;
    }
    while (!PQisBusy(conn_)) {
        PGresult* r = PQgetResult(conn_);
        if (r == nullptr) {
            finish_query();
            return;
        }
        PgResult owned(r);
        switch (owned.status()) {
            case PGRES_TUPLES_OK:
            case PGRES_COMMAND_OK:
            case PGRES_EMPTY_QUERY:
                last_result_ = std::move(owned);
                break;
            case PGRES_FATAL_ERROR:
            case PGRES_NONFATAL_ERROR:
                if (!first_error_) first_error_ = error_from_result(conn_, owned.get());
                break;
            default:
                // COPY and friends would need their own protocol handling; never issued here.
                fail_query(
                    {PgErrorKind::Connection, "",
                     std::string("unsupported result status ") + PQresStatus(owned.status())});
                return;
        }
    }
}

void PgConnection::finish_query() {
    if (PQstatus(conn_) == CONNECTION_BAD) {
        fail_query(first_error_
                       ? *first_error_
                       : PgError{PgErrorKind::Connection, "", trimmed(PQerrorMessage(conn_))});
        return;
    }
    if (execute_after_prepare_ && !first_error_) {
        // Prepared: now the execution, within the same statement deadline.
        std::string name = std::move(*execute_after_prepare_);
        execute_after_prepare_.reset();
        prepared_.insert(name);
        last_result_ = PgResult();
        if (!send_prepared(name)) {
            fail_query({PgErrorKind::Connection, "", trimmed(PQerrorMessage(conn_))});
            return;
        }
        flushing_ = true;
        on_query_io(0);
        return;
    }
    execute_after_prepare_.reset();
    prepared_params_.clear();
    deadline_.cancel();
    PgQueryResult outcome = first_error_ ? PgQueryResult(std::move(*first_error_))
                                         : PgQueryResult(std::move(last_result_));
    first_error_.reset();
    last_result_ = PgResult();
    set_state(State::Idle);
    loop_.defer([done = std::move(query_done_), outcome = std::move(outcome)]() mutable {
        done(std::move(outcome));
    });
}

void PgConnection::on_deadline() {
    // No PQcancel: it blocks. Results of an ordered protocol cannot be skipped, so the
    // connection is dropped instead of reused.
    if (state_ == State::Connecting)
        fail_connect("connect timed out");
    else if (state_ == State::Busy)
        fail_query({PgErrorKind::Timeout, "", "statement timed out"});
}

void PgConnection::fail_connect(std::string message) {
    Log::write(LogLevel::Warn, "postgres connect failed", {{"reason", message}});
    teardown();
    loop_.defer([done = std::move(connect_done_), message = std::move(message)]() mutable {
        done(Error::unavailable(std::move(message)));
    });
}

void PgConnection::fail_query(PgError error) {
    Log::write(LogLevel::Warn, "postgres query failed, dropping connection",
               {{"reason", error.message}});
    teardown();
    loop_.defer([done = std::move(query_done_), error = std::move(error)]() mutable {
        done(std::move(error));
    });
}

void PgConnection::teardown() {
    deadline_.cancel();
    unwatch();
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    flushing_ = false;
    last_result_ = PgResult();
    first_error_.reset();
    // Prepared statements live in the server session: a new connection prepares them again.
    prepared_.clear();
    execute_after_prepare_.reset();
    prepared_params_.clear();
    set_state(State::Broken);
}

}  // namespace spoke
