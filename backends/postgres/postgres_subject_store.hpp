#pragma once
// PostgresSubjectStore: one loop's SubjectStore on PostgreSQL (subject_sql.hpp), through its
// PostgresStorage's pool. Completions capture the caller's `done`, and `this` only with a guard
// of `lifetime_` (the replica miss asked again of the primary).

#include <functional>

#include "backends/postgres/pg_pool.hpp"
#include "backends/subject_store.hpp"
#include "reactor/lifetime.hpp"

namespace spoke {

class EventLoop;

class PostgresSubjectStore final : public SubjectStore {
  public:
    // `loop` and `pool` outlive this store.
    PostgresSubjectStore(EventLoop& loop, PgPool& pool) : loop_(loop), pool_(pool) {}

    void register_schema(SubjectRegistration reg, Done<RegisteredVersion> done) override;
    // From a replica when one is caught up; a miss there is asked again of the primary.
    void get_schema(int64_t id, Done<std::optional<StoredSchema>> done) override;
    void list_subject_versions(std::string subject,
                               Done<std::vector<SubjectVersion>> done) override;
    void list_subjects(Done<std::vector<SubjectListing>> done) override;
    void schema_usages(int64_t id, Done<std::vector<SubjectVersion>> done) override;
    void delete_versions(std::string subject, std::vector<int64_t> versions, bool permanent,
                         Done<Unit> done) override;
    void referenced_by(std::string subject, int64_t version,
                       Done<std::vector<int64_t>> done) override;
    void get_setting(SubjectSetting setting, std::string subject,
                     Done<std::optional<std::string>> done) override;
    void put_setting(SubjectSetting setting, std::string subject, std::optional<std::string> value,
                     Done<Unit> done) override;

  private:
    template <class T>
    using Decoder = std::function<Result<T>(const PgResult&)>;
    // One statement on `route`, its rows decoded. Mutable state is read on the primary: a
    // registration another instance just made must be seen by the next one's check.
    template <class T>
    void run(PgRoute route, const char* sql, std::vector<std::optional<std::string>> params,
             Decoder<T> decode, Done<T> done);

    EventLoop& loop_;
    PgPool& pool_;
    Lifetime lifetime_;  // last: ends before the members completions may refer to
};

}  // namespace spoke
