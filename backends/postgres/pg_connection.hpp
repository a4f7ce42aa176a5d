#pragma once
// PgConnection: one non-blocking libpq connection driven by an EventLoop, one query in flight.
// PgResult: owns one PGresult. PgError: why a query failed (with SQLSTATE when the server said).
// PgQueryResult: either a PgResult or a PgError, delivered to query() callbacks.

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <variant>
#include <vector>

#include "common/result.hpp"
#include "reactor/callback.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/lifetime.hpp"
#include "reactor/timer.hpp"

namespace spoke {

// Deadlines for the two asynchronous phases, in milliseconds. Async libpq ignores
// connect_timeout, so both are enforced by our own timers.
struct PgTimeouts {
    int64_t connect_ms = 5000;
    int64_t statement_ms = 5000;
};

// Owns one PGresult (text format); move-only.
class PgResult {
  public:
    PgResult() = default;
    explicit PgResult(PGresult* r) : r_(r) {}

    bool empty() const { return r_ == nullptr; }
    ExecStatusType status() const { return r_ ? PQresultStatus(r_.get()) : PGRES_EMPTY_QUERY; }
    int rows() const { return r_ ? PQntuples(r_.get()) : 0; }
    int columns() const { return r_ ? PQnfields(r_.get()) : 0; }
    // The text of one field; empty for SQL NULL (check is_null). Valid while this PgResult lives.
    std::string_view value(int row, int col) const {
        return {PQgetvalue(r_.get(), row, col),
                static_cast<size_t>(PQgetlength(r_.get(), row, col))};
    }
    bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
    // Rows touched by INSERT/UPDATE/DELETE (PQcmdTuples); 0 when not applicable.
    int64_t affected_rows() const;
    PGresult* get() const { return r_.get(); }

  private:
    struct Clear {
        void operator()(PGresult* r) const { PQclear(r); }
    };
    std::unique_ptr<PGresult, Clear> r_;
};

// Why a query failed. The pool tells these apart: a Sql error leaves the connection Idle; the
// others mean it is Broken or gone, except a query() refused up front (not Idle), which leaves
// the state as it was.
enum class PgErrorKind {
    Sql,         // the server rejected the statement; sqlstate is set; connection still Idle
    Connection,  // connecting failed, or the connection was lost or misused
    Timeout,     // connect or statement deadline passed; connection torn down (Broken)
    Closed,      // the PgConnection was destroyed while the query was in flight
};

struct PgError {
    PgErrorKind kind = PgErrorKind::Connection;
    std::string sqlstate;  // five characters when kind == Sql (e.g. "23505"), else empty
    std::string message;

    bool is_unique_violation() const { return sqlstate == "23505"; }
    // Unavailable for connection trouble, timeouts and server-state SQLSTATEs (classes 08, 53,
    // 57, read-only 25006, serialization 40001/40P01); Internal for other SQL errors.
    Error to_error() const;
};

// What a query() callback receives: the last result of the statement, or a PgError.
class [[nodiscard]] PgQueryResult {
  public:
    PgQueryResult(PgResult r) : v_(std::move(r)) {}  // NOLINT: implicit by design
    PgQueryResult(PgError e) : v_(std::move(e)) {}   // NOLINT: implicit by design

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    PgResult& value() { return std::get<0>(v_); }
    const PgResult& value() const { return std::get<0>(v_); }
    const PgError& error() const { return std::get<1>(v_); }

  private:
    std::variant<PgResult, PgError> v_;
};

// One libpq connection living on one EventLoop; all calls, and the destructor, on that loop's
// thread. The loop must outlive it.
//
// Completions are never run inside connect()/query() or inside a libpq call chain: they go
// through loop.defer() and never touch this object, so a callback may destroy the PgConnection.
// Destroying it with a connect or query pending delivers Unavailable "connection closed"
// (PgErrorKind::Closed for queries) through loop.defer().
class PgConnection {
  public:
    enum class State {
        Disconnected,  // no PGconn: before connect()
        Connecting,  // PQconnectPoll in progress; connect callback pending; connect deadline armed
        Idle,        // connected, nothing in flight; reading only to notice a server close
        Busy,        // one query in flight; query callback pending; statement deadline armed
        Broken,      // failed, lost or timed out; PGconn freed; connect() may be called again
    };

    // `conninfo`: a key=value string or a postgresql:// URL (expanded as dbname). Host names
    // are resolved on the loop's HostResolver at every connect and given to libpq as hostaddr,
    // so connecting never waits on DNS.
    PgConnection(EventLoop& loop, std::string conninfo, PgTimeouts timeouts);
    ~PgConnection();
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    // Starts connecting (from Disconnected or Broken). `done` gets ok or Unavailable with the
    // libpq message, "connect timed out", or "connection closed".
    void connect(Callback<void(Status)> done);

    // Runs one statement with text parameters ($1, $2, ...; nullopt = SQL NULL), Idle only.
    // Result rows come back in text format.
    void query(std::string sql, std::vector<std::optional<std::string>> params,
               Callback<void(PgQueryResult)> done);

    // The same as query(), through a server-side prepared statement named `name` (one per
    // distinct `sql`): the first call on this connection prepares it (one more round trip), later
    // calls only bind and execute, so the server plans the statement once, not on every call.
    void query_prepared(std::string name, std::string sql,
                        std::vector<std::optional<std::string>> params,
                        Callback<void(PgQueryResult)> done);

    State state() const { return state_; }
    static const char* state_name(State s);

  private:
    static void on_io(int fd, short what, void* arg);
    void watch(short what);
    void unwatch();
    void poll_connect();
    void on_query_io(short what);
    void drain_results();
    void on_deadline();
    void finish_query();
    void fail_connect(std::string message);
    void fail_query(PgError error);
    void teardown();
    void set_state(State next);
    void begin_query(Callback<void(PgQueryResult)> done);
    bool send_prepared(const std::string& name);
    // The host list when some host is a name to resolve first (no hostaddr given).
    std::optional<std::vector<std::string>> hosts_to_resolve(const std::string& conninfo);
    void resolve_hosts(uint64_t attempt, std::vector<std::string> hosts,
                       std::vector<std::vector<std::string>> addresses);
    // `host_list` and `hostaddr` empty: the conninfo's own hosts, nothing to resolve.
    void start_connect(const std::string& host_list, const std::string& hostaddr,
                       const std::string& port_list);

    EventLoop& loop_;
    std::string conninfo_;
    PgTimeouts timeouts_;
    State state_ = State::Disconnected;
    PGconn* conn_ = nullptr;     // non-null from Connecting until teardown (PQfinish)
    event* io_event_ = nullptr;  // on PQsocket(conn_); re-created whenever the socket may change
    Timer deadline_;             // connect deadline in Connecting, statement deadline in Busy
    Callback<void(Status)> connect_done_;       // used in Connecting
    Callback<void(PgQueryResult)> query_done_;  // used in Busy
    bool flushing_ = false;                     // Busy: PQflush has not returned 0 yet
    PgResult last_result_;                      // Busy: last successful result so far
    std::optional<PgError> first_error_;        // Busy: first failed result so far
    std::unordered_set<std::string> prepared_;  // statement names prepared on this session
    // Busy with PQsendPrepare: the statement to execute once it is prepared.
    std::optional<std::string> execute_after_prepare_;
    std::vector<std::optional<std::string>> prepared_params_;  // Busy: the prepared call's
    uint64_t connect_attempt_ = 0;  // tells a late host lookup from the current attempt's
    std::vector<std::string> per_host_ports_;  // Connecting: the conninfo's port list, if several
    Lifetime lifetime_;                        // last: ends first
};

}  // namespace spoke
