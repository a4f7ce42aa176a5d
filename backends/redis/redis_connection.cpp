#include "backends/redis/redis_connection.hpp"

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "common/clock.hpp"
#include "reactor/event_loop.hpp"

namespace spoke {

namespace {

// privdata of a pushed reply; any non-null value would do: we find the connection in ac->data.
char kPushTag;

Error lost(const std::string& why) {
    return Error::unavailable("redis: " + why);
}

}  // namespace

RedisConnection::RedisConnection(EventLoop& loop, RedisConnectionOwner& owner,
                                 std::chrono::milliseconds timeout)
    : loop_(loop), owner_(owner), timeout_(timeout), deadline_(loop, [this] { on_deadline(); }) {}

RedisConnection::~RedisConnection() {
    notify_owner_ = false;
    close("closed", true);
}

void RedisConnection::open(const std::string& ip, uint16_t port, const std::string& password,
                           unsigned db) {
    address_ = ip + ":" + std::to_string(port);
    password_ = password;
    db_ = db;
    state_ = State::Connecting;
    // Non-blocking connect to a numeric address: nothing here waits.
    ac_ = redisAsyncConnect(ip.c_str(), port);
    if (ac_ == nullptr || ac_->err != 0) {
        const std::string why = ac_ != nullptr ? ac_->errstr : "out of memory";
        if (ac_ != nullptr) redisAsyncFree(ac_);
        ac_ = nullptr;
        close("cannot connect: " + why, false);
        return;
    }
    ac_->data = this;
    redisLibeventAttach(ac_, loop_.base());
    redisAsyncSetConnectCallback(ac_, &RedisConnection::on_connect);
    redisAsyncSetDisconnectCallback(ac_, &RedisConnection::on_disconnect);
    connect_deadline_ms_ = monotonic_ms() + timeout_.count();
    arm_deadline();
}

void RedisConnection::on_connect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<RedisConnection*>(ac->data);
    if (self == nullptr) return;
    if (status != REDIS_OK) {
        // hiredis frees the context after this callback.
        self->ac_ = nullptr;
        self->close(std::string("cannot connect: ") + ac->errstr, false);
        return;
    }
    self->state_ = State::Handshake;
    self->handshake();
}

void RedisConnection::handshake() {
    // AUTH and SELECT are pipelined with the readiness PING; the last reply decides.
    auto check = [this](const char* step) {
        return lifetime_.bind([this, step](Result<RedisReply> reply) {
            if (state_ != State::Handshake) return;
            if (!reply) return;  // the connection is closing already
            if (reply->is_error()) {
                close(std::string(step) + " refused: " + reply->str.substr(0, 120), true);
            }
        });
    };
    if (!password_.empty()) send({"AUTH", password_}, check("AUTH"));
    if (db_ != 0) send({"SELECT", std::to_string(db_)}, check("SELECT"));
    send({"PING"}, lifetime_.bind([this](Result<RedisReply> reply) {
        if (state_ != State::Handshake || !reply) return;
        if (reply->is_error()) {
            close("PING refused: " + reply->str.substr(0, 120), true);
            return;
        }
        state_ = State::Ready;
        owner_.on_redis_ready();
    }));
}

void RedisConnection::command(std::vector<std::string> args, RedisCompletion done) {
    if (state_ != State::Ready) {
        loop_.defer([done = std::move(done)]() mutable { done(lost("not connected")); });
        return;
    }
    send(args, std::move(done));
}

void RedisConnection::subscribe(std::vector<std::string> channels) {
    if (state_ != State::Ready) return;
    channels.insert(channels.begin(), "SUBSCRIBE");
    send(channels, {}, true);
}

void RedisConnection::send(const std::vector<std::string>& args, RedisCompletion done,
                           bool subscribe) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    argv.reserve(args.size());
    lens.reserve(args.size());
    for (const auto& a : args) {
        argv.push_back(a.data());
        lens.push_back(a.size());
    }
    const int rc = redisAsyncCommandArgv(
        ac_, subscribe ? &RedisConnection::on_push : &RedisConnection::on_reply,
        subscribe ? &kPushTag : nullptr, static_cast<int>(args.size()), argv.data(), lens.data());
    if (subscribe) return;
    if (rc != REDIS_OK) {
        loop_.defer([done = std::move(done)]() mutable { done(lost("cannot send")); });
        return;
    }
    pending_.push_back(Pending{std::move(done), monotonic_ms() + timeout_.count()});
    if (pending_.size() == 1) arm_deadline();
}

void RedisConnection::on_reply(redisAsyncContext* ac, void* reply, void*) {
    auto* self = static_cast<RedisConnection*>(ac->data);
    // Null data: we are freeing the context (close) and fail the queue ourselves. A null reply
    // means hiredis is dropping the command; its disconnect callback follows.
    if (self == nullptr || reply == nullptr || self->pending_.empty()) return;
    Pending front = std::move(self->pending_.front());
    self->pending_.pop_front();
    self->arm_deadline();
    RedisReply copy = RedisReply::copy_of(*static_cast<redisReply*>(reply));
    // Outside hiredis' read handler: the completion may send more commands or close us.
    self->loop_.defer([done = std::move(front.done), copy = std::move(copy)]() mutable {
        done(std::move(copy));
    });
}

void RedisConnection::on_push(redisAsyncContext* ac, void* reply, void*) {
    auto* self = static_cast<RedisConnection*>(ac->data);
    if (self == nullptr || reply == nullptr) return;
    self->owner_.on_redis_push(RedisReply::copy_of(*static_cast<redisReply*>(reply)));
}

void RedisConnection::on_disconnect(const redisAsyncContext* ac, int status) {
    auto* self = static_cast<RedisConnection*>(ac->data);
    if (self == nullptr) return;
    // hiredis frees the context after this callback.
    self->ac_ = nullptr;
    self->close(status == REDIS_OK ? "disconnected" : std::string("connection lost: ") + ac->errstr,
                false);
}

void RedisConnection::arm_deadline() {
    int64_t due = 0;
    if (state_ == State::Connecting) due = connect_deadline_ms_;
    if (!pending_.empty())
        due = due == 0 ? pending_.front().deadline_ms : std::min(due, pending_.front().deadline_ms);
    if (due == 0) {
        deadline_.cancel();
        return;
    }
    deadline_.arm(std::chrono::milliseconds(std::max<int64_t>(0, due - monotonic_ms())));
}

void RedisConnection::on_deadline() {
    const int64_t now = monotonic_ms();
    if (state_ == State::Connecting && now >= connect_deadline_ms_) {
        close("connect timed out", true);
    } else if (!pending_.empty() && now >= pending_.front().deadline_ms) {
        close("command timed out", true);
    } else {
        arm_deadline();
    }
}

void RedisConnection::close(const std::string& reason, bool free_context) {
    if (state_ == State::Closed) return;
    state_ = State::Closed;
    deadline_.cancel();
    if (ac_ != nullptr) {
        redisAsyncContext* ac = ac_;
        ac_ = nullptr;
        ac->data = nullptr;  // its callbacks, run by the free below, now do nothing
        if (free_context) redisAsyncFree(ac);
    }
    std::deque<Pending> failed;
    failed.swap(pending_);
    if (!failed.empty()) {
        loop_.defer([failed = std::move(failed), reason]() mutable {
            for (auto& p : failed) p.done(lost(reason));
        });
    }
    if (notify_owner_)
        loop_.defer(lifetime_.bind([this, reason] { owner_.on_redis_lost(reason); }));
}

}  // namespace spoke
