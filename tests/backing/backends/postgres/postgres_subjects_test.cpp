// The Confluent dialect's subjects in the postgres backend (migration 0004, subject_sql.hpp),
// against the harness's PostgreSQL (primary + standby) and S3, on a database of their own, with
// two backends standing in for two instances on one database.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/postgres/postgres_backend.hpp"
#include "reactor/worker_pool.hpp"
#include "tests/support/pg_fresh_database.hpp"
#include "tests/support/pg_test_support.hpp"

namespace spoke {
namespace {

using namespace std::chrono_literals;
using testing::FreshDatabase;
using testing::run_until;

SubjectRegistration registration(const std::string& subject, const std::string& text,
                                 int64_t expected_latest, std::vector<SchemaReference> refs = {}) {
    SubjectRegistration reg;
    reg.subject = subject;
    reg.schema.text = text;
    reg.schema.digest = "sha256:" + text;
    reg.schema.references = std::move(refs);
    reg.expected_latest = expected_latest;
    return reg;
}

class PostgresSubjectsTest : public FreshDatabase {
  protected:
    void SetUp() override {
        FreshDatabase::SetUp();
        if (HasFatalFailure()) return;
        for (int i = 0; i < 2; ++i) {
            PostgresBackendOptions options = backend_options();
            if (HasFatalFailure()) return;
            auto opened = open_postgres_backend(std::move(options));
            ASSERT_TRUE(opened.ok()) << opened.error().message;
            backends_.push_back(std::move(*opened));
        }
        run_until(
            loop_, [] { return false; }, 1ms);
        for (auto& backend : backends_) storages_.push_back(backend->attach(loop_, workers_));
    }
    void TearDown() override {
        storages_.clear();
        run_until(
            loop_, [] { return false; }, 10ms);
        backends_.clear();
        FreshDatabase::TearDown();
    }

    SubjectStore& store(size_t instance = 0) { return storages_[instance]->subjects(); }

    template <class T, class Start>
    Result<T> call(Start start) {
        std::optional<Result<T>> out;
        start(SubjectStore::Done<T>([&](Result<T> r) { out = std::move(r); }));
        if (!run_until(loop_, [&] { return out.has_value(); }))
            return Error::internal("test: no completion within 10 s");
        return std::move(*out);
    }
    Result<RegisteredVersion> reg(SubjectRegistration r, size_t instance = 0) {
        return call<RegisteredVersion>(
            [&](auto done) { store(instance).register_schema(std::move(r), std::move(done)); });
    }

    WorkerPool workers_{1};
    std::vector<std::unique_ptr<StorageBackend>> backends_;
    std::vector<std::unique_ptr<Storage>> storages_;
};

TEST_F(PostgresSubjectsTest, RegistersIdempotentlyWithGlobalIds) {
    auto first = reg(registration("orders-value", "a", 0));
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(first->version.version, 1);
    EXPECT_FALSE(first->existed);
    auto again = reg(registration("orders-value", "a", 1), 1);
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_TRUE(again->existed);
    EXPECT_EQ(again->version.schema_id, first->version.schema_id);
    auto other = reg(registration("Proto:B", "a", 0), 1);
    ASSERT_TRUE(other.ok());
    EXPECT_EQ(other->version.schema_id, first->version.schema_id);
    auto second = reg(registration("orders-value", "b", 1, {{"a.proto", "Proto:B", 1}}));
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_EQ(second->version.version, 2);
    EXPECT_NE(second->version.schema_id, first->version.schema_id);
    auto stale = reg(registration("orders-value", "c", 1), 1);
    ASSERT_FALSE(stale.ok());
    EXPECT_EQ(stale.error().code, ErrorCode::VersionExists);

    auto schema = call<std::optional<StoredSchema>>(
        [&](auto done) { store(1).get_schema(second->version.schema_id, std::move(done)); });
    ASSERT_TRUE(schema.ok()) << schema.error().message;
    ASSERT_TRUE(schema->has_value());
    EXPECT_EQ((*schema)->text, "b");
    ASSERT_EQ((*schema)->references.size(), 1u);
    EXPECT_EQ((*schema)->references[0], (SchemaReference{"a.proto", "Proto:B", 1}));
    auto refs = call<std::vector<int64_t>>(
        [&](auto done) { store().referenced_by("Proto:B", 1, std::move(done)); });
    ASSERT_TRUE(refs.ok()) << refs.error().message;
    EXPECT_EQ(*refs, std::vector<int64_t>{second->version.schema_id});
    auto usages = call<std::vector<SubjectVersion>>(
        [&](auto done) { store().schema_usages(first->version.schema_id, std::move(done)); });
    ASSERT_TRUE(usages.ok());
    ASSERT_EQ(usages->size(), 2u);
    EXPECT_EQ((*usages)[0].subject, "Proto:B");
    auto subjects = call<std::vector<SubjectListing>>(
        [&](auto done) { store().list_subjects(std::move(done)); });
    ASSERT_TRUE(subjects.ok());
    EXPECT_EQ(subjects->size(), 2u);
}

TEST_F(PostgresSubjectsTest, TwoInstancesRegisteringAtOnceGetDistinctIdsAndVersions) {
    constexpr int kEach = 20;
    std::vector<std::optional<Result<RegisteredVersion>>> out(2 * kEach);
    for (int i = 0; i < 2 * kEach; ++i) {
        const size_t instance = static_cast<size_t>(i % 2);
        store(instance).register_schema(
            registration("subject-" + std::to_string(i), "schema " + std::to_string(i), 0),
            [&out, i](Result<RegisteredVersion> r) { out[static_cast<size_t>(i)] = std::move(r); });
    }
    ASSERT_TRUE(run_until(loop_, [&] {
        for (const auto& o : out)
            if (!o) return false;
        return true;
    }));
    std::vector<int64_t> ids;
    for (const auto& o : out) {
        ASSERT_TRUE(o->ok()) << o->error().message;
        ids.push_back((*o)->version.schema_id);
    }
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(std::unique(ids.begin(), ids.end()), ids.end());
}

TEST_F(PostgresSubjectsTest, SoftAndPermanentDeletionAndSettings) {
    auto first = reg(registration("s", "a", 0));
    ASSERT_TRUE(first.ok()) << first.error().message;
    auto soft =
        call<Unit>([&](auto done) { store().delete_versions("s", {1}, false, std::move(done)); });
    ASSERT_TRUE(soft.ok()) << soft.error().message;
    auto next = reg(registration("s", "b", 0));
    ASSERT_TRUE(next.ok()) << next.error().message;
    EXPECT_EQ(next->version.version, 2);
    auto still = call<std::optional<StoredSchema>>(
        [&](auto done) { store().get_schema(first->version.schema_id, std::move(done)); });
    ASSERT_TRUE(still.ok() && still->has_value());
    auto hard =
        call<Unit>([&](auto done) { store().delete_versions("s", {1}, true, std::move(done)); });
    ASSERT_TRUE(hard.ok());
    auto gone = call<std::optional<StoredSchema>>(
        [&](auto done) { store().get_schema(first->version.schema_id, std::move(done)); });
    ASSERT_TRUE(gone.ok());
    EXPECT_FALSE(gone->has_value());

    auto put = call<Unit>([&](auto done) {
        store().put_setting(SubjectSetting::Compatibility, "s", "FULL", std::move(done));
    });
    ASSERT_TRUE(put.ok()) << put.error().message;
    auto level = call<std::optional<std::string>>([&](auto done) {
        store(1).get_setting(SubjectSetting::Compatibility, "s", std::move(done));
    });
    ASSERT_TRUE(level.ok());
    EXPECT_EQ(*level, std::optional<std::string>("FULL"));
    auto removed = call<Unit>([&](auto done) {
        store().put_setting(SubjectSetting::Compatibility, "s", std::nullopt, std::move(done));
    });
    ASSERT_TRUE(removed.ok());
    auto none = call<std::optional<std::string>>([&](auto done) {
        store().get_setting(SubjectSetting::Compatibility, "s", std::move(done));
    });
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
}

}  // namespace
}  // namespace spoke
