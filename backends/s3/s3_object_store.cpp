#include "backends/s3/s3_object_store.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "backends/resilience/breaker_board.hpp"
#include "backends/s3/known_objects.hpp"
#include "backends/s3/object_key.hpp"
#include "reactor/lifetime.hpp"
#include "reactor/timer.hpp"

namespace spoke {

namespace {

// Starts one S3 request; called again for every retry, so it must be copyable and repeatable.
template <class T>
using Sender = std::function<void(S3Client&, Callback<void(Result<T>)>)>;

Error circuit_open_error(const Admission& admission) {
    int64_t seconds = std::max<int64_t>(1, (admission.retry_after_ms + 999) / 1000);
    return Error::unavailable("S3 circuit open, retry in " + std::to_string(seconds) + "s");
}

Error gave_up(Error last, int attempts) {
    last.message += " (gave up after " + std::to_string(attempts) +
                    (attempts == 1 ? " attempt)" : " attempts)");
    return last;
}

// /health/ready shows this: short, never the secret or S3's full message.
std::string check_error(const Error& error, const std::string& bucket) {
    switch (error.code) {
        case ErrorCode::NotFound:
            return "bucket " + quote_value(bucket) + " does not exist";
        case ErrorCode::Unavailable:
            return error.message.find("timed out") != std::string::npos ? "timed out"
                                                                        : "unreachable";
        default:
            return error.message.find("refused") != std::string::npos ? "credentials refused"
                                                                      : "unexpected answer";
    }
}

// One put_all or get_all call: its items, how far it got, and its caller's completion.
struct Batch {
    enum class Kind { Put, Get };

    explicit Batch(Kind k) : kind(k) {}
    virtual ~Batch() = default;
    virtual size_t size() const = 0;
    // The task that hands the caller `error`, or the results when there is none.
    virtual Task completion(std::optional<Error> error) = 0;

    Kind kind;
    size_t next = 0;  // the next item to start
    size_t in_flight = 0;
    size_t finished = 0;
};

// One object to write: its key in the bucket and its bytes.
struct ObjectToPut {
    std::string key;
    std::string bytes;
};

struct PutBatch final : Batch {
    PutBatch() : Batch(Kind::Put) {}
    size_t size() const override { return objects.size(); }
    Task completion(std::optional<Error> error) override {
        return [done = std::move(done), error = std::move(error)]() mutable {
            if (error) return done(std::move(*error));
            done(ok_status());
        };
    }

    std::vector<ObjectToPut> objects;  // distinct keys; bytes move out when an object starts
    Callback<void(Status)> done;
};

using OptionalContents = std::vector<std::optional<std::string>>;

struct GetBatch final : Batch {
    GetBatch() : Batch(Kind::Get) {}
    size_t size() const override { return keys.size(); }
    Task completion(std::optional<Error> error) override {
        return [done = std::move(done), error = std::move(error),
                contents = std::move(contents)]() mutable {
            if (error) return done(std::move(*error));
            done(std::move(contents));
        };
    }

    std::vector<std::string> keys;
    // A missing object is damage (metadata names it) unless the caller asked whether it exists.
    bool missing_is_damage = true;
    OptionalContents contents;  // filled by index as GETs answer; nullopt for a missing object
    Callback<void(Result<OptionalContents>)> done;
};

}  // namespace

// Invariant: starting work never completes anything synchronously (results arrive through
// S3Client's deferred completions or loop.defer), so a Batch* stays valid across a start.
struct S3ObjectStore::Impl {
    Impl(EventLoop& l, S3Config config, ObjectStoreOptions o, BreakerBoard* board)
        : loop(l),
          options(std::move(o)),
          breaker("s3", options.breaker),
          backoff(options.retry),
          known(options.known_keys),
          client(l, std::move(config)) {
        if (board != nullptr) breaker.publish_to(&board->add("s3", options.owner));
    }

    ~Impl() {
        // From here on, S3Client completions ("client closed") and deferred retries find the
        // store gone and drop their continuations: pending calls are completed here instead.
        lifetime.end();
        retry_timers.clear();
        std::unordered_map<uint64_t, std::unique_ptr<Batch>> pending;
        pending.swap(batches);
        if (!loop.is_inside()) return;  // the loop is not running: nothing could run them
        for (auto& [id, batch] : pending) {
            loop.defer(batch->completion(Error::unavailable("S3 object store closed")));
        }
    }

    uint64_t add(std::unique_ptr<Batch> batch) {
        uint64_t id = next_batch_id++;
        batches.emplace(id, std::move(batch));
        return id;
    }

    Batch* find(uint64_t id) {
        auto it = batches.find(id);
        return it == batches.end() ? nullptr : it->second.get();
    }

    // Starts items up to max_in_flight; completes the call once every item is done.
    void pump(uint64_t id) {
        Batch* batch = find(id);
        if (batch == nullptr) return;
        const size_t limit = std::max<size_t>(options.max_in_flight, 1);
        while (batch->next < batch->size() && batch->in_flight < limit) {
            size_t index = batch->next++;
            ++batch->in_flight;
            if (batch->kind == Batch::Kind::Put) {
                start_put(id, static_cast<PutBatch&>(*batch), index);
            } else {
                start_get(id, static_cast<GetBatch&>(*batch), index);
            }
        }
        if (batch->finished == batch->size()) finish(id, std::nullopt);
    }

    void item_done(uint64_t id) {
        Batch* batch = find(id);
        if (batch == nullptr) return;
        --batch->in_flight;
        ++batch->finished;
        pump(id);
    }

    // The first error (or the last success) ends the call; items still in flight answer into
    // nothing, and retries waiting for this call drop themselves.
    void finish(uint64_t id, std::optional<Error> error) {
        auto node = batches.extract(id);
        if (node.empty()) return;
        loop.defer(node.mapped()->completion(std::move(error)));
    }

    // Nothing for a known key; otherwise a PUT, after a HEAD that found nothing when the object
    // is large.
    void start_put(uint64_t id, PutBatch& batch, size_t index) {
        std::string key = batch.objects[index].key;
        if (known.contains(key)) {
            // Still completes later: starting work never completes anything synchronously.
            return later([this, id] { item_done(id); });
        }
        auto bytes = std::make_shared<const std::string>(std::move(batch.objects[index].bytes));
        if (bytes->size() <= options.head_above_bytes) return send_put(id, std::move(key), bytes);
        Sender<bool> head = [this, key](S3Client& c, Callback<void(Result<bool>)> cb) {
            ++counters.heads;
            c.head_object(key, std::move(cb));
        };
        send<bool>(id, std::move(head), [this, id, key, bytes](Result<bool> exists) {
            if (!exists.ok()) return finish(id, std::move(exists).error());
            if (!*exists) return send_put(id, key, bytes);
            known.add(key);
            item_done(id);
        });
    }

    void send_put(uint64_t id, std::string key, std::shared_ptr<const std::string> bytes) {
        Sender<Unit> put = [this, key, bytes](S3Client& c, Callback<void(Status)> cb) {
            ++counters.puts;
            c.put_object(key, *bytes, std::move(cb));
        };
        send<Unit>(id, std::move(put), [this, id, key](Status stored) {
            if (!stored.ok()) return finish(id, std::move(stored).error());
            known.add(key);
            item_done(id);
        });
    }

    void start_get(uint64_t id, GetBatch& batch, size_t index) {
        std::string key = batch.keys[index];
        const bool missing_is_damage = batch.missing_is_damage;
        Sender<std::string> get = [this, key](S3Client& c, Callback<void(Result<std::string>)> cb) {
            ++counters.gets;
            c.get_object(key, std::move(cb));
        };
        send<std::string>(
            id, std::move(get), [this, id, index, key, missing_is_damage](Result<std::string> got) {
                if (!got.ok()) {
                    Error error = std::move(got).error();
                    // Absent: an answer, left as nullopt, for a caller asking whether it exists.
                    if (error.code == ErrorCode::NotFound && !missing_is_damage) {
                        return item_done(id);
                    }
                    // Metadata names this object, so its absence is damage, not a 404 to pass on.
                    if (error.code == ErrorCode::NotFound) {
                        error = Error::internal("stored file object " + quote_value(key) +
                                                " is missing: " + error.message);
                    }
                    return finish(id, std::move(error));
                }
                known.add(key);
                if (Batch* batch = find(id)) {
                    static_cast<GetBatch&>(*batch).contents[index] = std::move(*got);
                }
                item_done(id);
            });
    }

    template <class T>
    void send(uint64_t id, Sender<T> sender, Callback<void(Result<T>)> on_result) {
        attempt<T>(id, std::move(sender), 0, std::move(on_result));
    }

    // One try of one request through the breaker. `on_result` runs at most once, later, and
    // only while the store and call `id` are alive.
    template <class T>
    void attempt(uint64_t id, Sender<T> sender, int failed_attempts,
                 Callback<void(Result<T>)> on_result) {
        if (find(id) == nullptr) return;  // the call already ended: nobody wants this
        Admission admission = breaker.admit();
        if (!admission.allowed) {
            return later([this, id, error = circuit_open_error(admission),
                          on_result = std::move(on_result)]() mutable {
                if (find(id) != nullptr) on_result(std::move(error));
            });
        }
        if (failed_attempts > 0) ++counters.retries;
        sender(client, [alive = lifetime.guard(), this, id, sender, failed_attempts, admission,
                        on_result = std::move(on_result)](Result<T> r) mutable {
            if (!alive.alive()) return;  // the store is gone; ~Impl completed the call
            Impl& self = *this;
            if (r.ok() || r.error().code != ErrorCode::Unavailable) {
                // 2xx, 404, 403: the dependency answered.
                self.breaker.record_success(admission);
                if (self.find(id) != nullptr) on_result(std::move(r));
                return;
            }
            self.breaker.record_failure(admission);
            if (self.find(id) == nullptr) return;
            const int failed = failed_attempts + 1;
            std::optional<int64_t> delay = self.backoff.next_delay_ms(failed);
            if (!delay) return on_result(gave_up(std::move(r).error(), failed));
            self.retry_after(*delay, [&self, id, sender = std::move(sender), failed,
                                      on_result = std::move(on_result)]() mutable {
                self.attempt<T>(id, std::move(sender), failed, std::move(on_result));
            });
        });
    }

    // Runs `task` on a later loop iteration if the store is still alive then.
    void later(Task task) { loop.defer(lifetime.bind(std::move(task))); }

    // Runs `task` after `delay_ms` unless the store is destroyed first (its timer dies with it).
    void retry_after(int64_t delay_ms, Task task) {
        uint64_t timer_id = next_timer_id++;
        auto timer =
            std::make_unique<Timer>(loop, [this, timer_id, task = std::move(task)]() mutable {
                // A Timer must not be destroyed inside its own callback: free it from a
                // deferred task, which then does the work.
                later([this, timer_id, task = std::move(task)]() mutable {
                    retry_timers.erase(timer_id);
                    task();
                });
            });
        timer->arm(std::chrono::milliseconds(delay_ms));
        retry_timers.emplace(timer_id, std::move(timer));
    }

    EventLoop& loop;
    ObjectStoreOptions options;
    CircuitBreaker breaker;
    RetryBackoff backoff;
    ObjectStoreCounters counters;
    KnownObjects known;
    std::unordered_map<uint64_t, std::unique_ptr<Batch>> batches;  // calls not yet completed
    uint64_t next_batch_id = 0;
    std::unordered_map<uint64_t, std::unique_ptr<Timer>> retry_timers;
    uint64_t next_timer_id = 0;
    // Its "client closed" completions are deferred and find `lifetime` already ended.
    S3Client client;
    // Last member, so it ends first (~Impl ends it explicitly even earlier): callbacks that may
    // outlive the store (S3Client's, deferred tasks) carry its guard or are bound to it.
    Lifetime lifetime;
};

S3ObjectStore::S3ObjectStore(EventLoop& loop, S3Config config, ObjectStoreOptions options,
                             BreakerBoard* board)
    : impl_(std::make_unique<Impl>(loop, std::move(config), std::move(options), board)) {}

S3ObjectStore::~S3ObjectStore() = default;

void S3ObjectStore::put_all(std::vector<StoredBlob> blobs, Callback<void(Status)> done) {
    auto batch = std::make_unique<PutBatch>();
    std::unordered_set<std::string> seen;
    for (StoredBlob& blob : blobs) {
        if (seen.insert(blob.sha256).second) {
            batch->objects.push_back({content_object_key(blob.sha256), std::move(blob.bytes)});
        }
    }
    batch->done = std::move(done);
    impl_->pump(impl_->add(std::move(batch)));
}

void S3ObjectStore::get_all(std::vector<std::string> sha256s,
                            Callback<void(Result<std::vector<std::string>>)> done) {
    auto batch = std::make_unique<GetBatch>();
    batch->contents.resize(sha256s.size());
    for (const std::string& sha256 : sha256s) batch->keys.push_back(content_object_key(sha256));
    // Every object is there when this completes without an error (missing ones are damage).
    batch->done = [done = std::move(done)](Result<OptionalContents> got) mutable {
        if (!got) return done(std::move(got).error());
        std::vector<std::string> contents;
        contents.reserve(got->size());
        for (std::optional<std::string>& c : *got) contents.push_back(std::move(*c));
        done(std::move(contents));
    };
    impl_->pump(impl_->add(std::move(batch)));
}

void S3ObjectStore::put_object(std::string key, std::string bytes, Callback<void(Status)> done) {
    auto batch = std::make_unique<PutBatch>();
    batch->objects.push_back({std::move(key), std::move(bytes)});
    batch->done = std::move(done);
    impl_->pump(impl_->add(std::move(batch)));
}

void S3ObjectStore::get_object(std::string key,
                               Callback<void(Result<std::optional<std::string>>)> done) {
    auto batch = std::make_unique<GetBatch>();
    batch->contents.resize(1);
    batch->keys.push_back(std::move(key));
    batch->missing_is_damage = false;
    batch->done = [done = std::move(done)](Result<OptionalContents> got) mutable {
        if (!got) return done(std::move(got).error());
        done(std::move(got->front()));
    };
    impl_->pump(impl_->add(std::move(batch)));
}

void S3ObjectStore::check(Callback<void(StorageCheck)> done) {
    const int64_t started = monotonic_ms();
    impl_->client.head_bucket([alive = impl_->lifetime.guard(), self = impl_.get(), started,
                               bucket = impl_->client.config().bucket,
                               done = std::move(done)](Status s) mutable {
        StorageCheck check;
        check.name = "s3";
        check.latency_ms = monotonic_ms() - started;
        check.required = true;
        if (!alive.alive()) {  // the caller still hears, without the store being touched
            check.error = "store closed";
            return done(std::move(check));
        }
        check.up = s.ok();
        if (!s.ok()) check.error = check_error(s.error(), bucket);
        check.breaker = CircuitBreaker::state_name(self->breaker.state());
        done(std::move(check));
    });
}

CircuitBreaker::State S3ObjectStore::breaker_state() {
    return impl_->breaker.state();
}

const ObjectStoreCounters& S3ObjectStore::counters() const {
    return impl_->counters;
}

}  // namespace spoke
