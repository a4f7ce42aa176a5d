#include "backends/postgres/postgres_subject_store.hpp"

#include "backends/postgres/subject_sql.hpp"
#include "backends/schema_references_json.hpp"
#include "reactor/event_loop.hpp"

namespace spoke {
namespace {

Result<std::vector<SubjectVersion>> decode_versions(const PgResult& r) {
    std::vector<SubjectVersion> out;
    out.reserve(static_cast<size_t>(r.rows()));
    for (int row = 0; row < r.rows(); ++row) {
        auto v = subject_sql::decode_version(r, row);
        if (!v) return std::move(v).error();
        out.push_back(std::move(v).value());
    }
    return out;
}

Result<Unit> decode_nothing(const PgResult&) {
    return Unit{};
}

}  // namespace

template <class T>
void PostgresSubjectStore::run(PgRoute route, const char* sql,
                               std::vector<std::optional<std::string>> params, Decoder<T> decode,
                               Done<T> done) {
    pool_.query(route, sql, std::move(params),
                [decode = std::move(decode), done = std::move(done)](PgReply reply) mutable {
                    if (!reply.result.ok()) return done(reply.result.error().to_error());
                    done(decode(reply.result.value()));
                });
}

void PostgresSubjectStore::register_schema(SubjectRegistration reg, Done<RegisteredVersion> done) {
    auto refs = encode_references(reg.schema.references);
    if (!refs) {
        loop_.defer([done = std::move(done), error = std::move(refs).error()]() mutable {
            done(std::move(error));
        });
        return;
    }
    std::string subject = reg.subject;
    std::string digest = reg.schema.digest;
    run<RegisteredVersion>(
        PgRoute::Write, subject_sql::kRegister,
        {std::move(reg.subject), std::move(reg.schema.digest), std::move(reg.schema.schema_type),
         std::move(reg.schema.text), std::move(refs).value(), std::to_string(reg.expected_latest)},
        [subject = std::move(subject), digest = std::move(digest)](const PgResult& r) {
            return subject_sql::decode_registered(r, subject, digest);
        },
        std::move(done));
}

void PostgresSubjectStore::get_schema(int64_t id, Done<std::optional<StoredSchema>> done) {
    using Found = std::optional<StoredSchema>;
    const std::string key = std::to_string(id);
    pool_.query(
        PgRoute::Read, subject_sql::kGetSchema, {key},
        [this, alive = lifetime_.guard(), key, done = std::move(done)](PgReply reply) mutable {
            auto decode = [](const PgResult& r) -> Result<Found> {
                if (r.rows() == 0) return Found();
                auto schema = subject_sql::decode_schema(r, 0);
                if (!schema) return std::move(schema).error();
                return Found(std::move(schema).value());
            };
            if (!reply.result.ok()) return done(reply.result.error().to_error());
            if (reply.result.value().rows() > 0 || !reply.from_replica) {
                return done(decode(reply.result.value()));
            }
            // The replica may not have replayed it yet.
            if (!alive.alive()) return done(Error::unavailable("PostgreSQL storage closed"));
            pool_.query(PgRoute::ReadPrimary, subject_sql::kGetSchema, {key},
                        [decode, done = std::move(done)](PgReply again) mutable {
                            if (!again.result.ok()) return done(again.result.error().to_error());
                            done(decode(again.result.value()));
                        });
        });
}

void PostgresSubjectStore::list_subject_versions(std::string subject,
                                                 Done<std::vector<SubjectVersion>> done) {
    run<std::vector<SubjectVersion>>(PgRoute::ReadPrimary, subject_sql::kListSubjectVersions,
                                     {std::move(subject)}, decode_versions, std::move(done));
}

void PostgresSubjectStore::list_subjects(Done<std::vector<SubjectListing>> done) {
    run<std::vector<SubjectListing>>(
        PgRoute::ReadPrimary, subject_sql::kListSubjects, {},
        [](const PgResult& r) -> Result<std::vector<SubjectListing>> {
            std::vector<SubjectListing> out;
            out.reserve(static_cast<size_t>(r.rows()));
            for (int row = 0; row < r.rows(); ++row) {
                out.push_back(SubjectListing{std::string(r.value(row, 0)), r.value(row, 1) == "t"});
            }
            return out;
        },
        std::move(done));
}

void PostgresSubjectStore::schema_usages(int64_t id, Done<std::vector<SubjectVersion>> done) {
    run<std::vector<SubjectVersion>>(PgRoute::ReadPrimary, subject_sql::kSchemaUsages,
                                     {std::to_string(id)}, decode_versions, std::move(done));
}

void PostgresSubjectStore::delete_versions(std::string subject, std::vector<int64_t> versions,
                                           bool permanent, Done<Unit> done) {
    run<Unit>(PgRoute::Write, permanent ? subject_sql::kHardDelete : subject_sql::kSoftDelete,
              {std::move(subject), subject_sql::int_array(versions)}, decode_nothing,
              std::move(done));
}

void PostgresSubjectStore::referenced_by(std::string subject, int64_t version,
                                         Done<std::vector<int64_t>> done) {
    run<std::vector<int64_t>>(
        PgRoute::ReadPrimary, subject_sql::kReferencedBy,
        {std::move(subject), std::to_string(version)},
        [](const PgResult& r) -> Result<std::vector<int64_t>> {
            std::vector<int64_t> out;
            for (int row = 0; row < r.rows(); ++row) {
                out.push_back(std::stoll(std::string(r.value(row, 0))));
            }
            return out;
        },
        std::move(done));
}

void PostgresSubjectStore::get_setting(SubjectSetting setting, std::string subject,
                                       Done<std::optional<std::string>> done) {
    run<std::optional<std::string>>(
        PgRoute::ReadPrimary, subject_sql::kGetSetting,
        {subject_sql::setting_name(setting), std::move(subject)},
        [](const PgResult& r) -> Result<std::optional<std::string>> {
            if (r.rows() == 0) return std::optional<std::string>();
            return std::optional<std::string>(std::string(r.value(0, 0)));
        },
        std::move(done));
}

void PostgresSubjectStore::put_setting(SubjectSetting setting, std::string subject,
                                       std::optional<std::string> value, Done<Unit> done) {
    if (value) {
        run<Unit>(PgRoute::Write, subject_sql::kPutSetting,
                  {subject_sql::setting_name(setting), std::move(subject), std::move(*value)},
                  decode_nothing, std::move(done));
    } else {
        run<Unit>(PgRoute::Write, subject_sql::kDeleteSetting,
                  {subject_sql::setting_name(setting), std::move(subject)}, decode_nothing,
                  std::move(done));
    }
}

}  // namespace spoke
