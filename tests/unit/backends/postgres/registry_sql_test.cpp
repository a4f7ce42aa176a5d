#include "backends/postgres/registry_sql.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace spoke {
namespace {

TEST(RegistrySqlTest, TextArrayQuotesAndEscapesEveryElement) {
    EXPECT_EQ(registry_sql::text_array({}), "{}");
    EXPECT_EQ(registry_sql::text_array({"a", ""}), R"({"a",""})");
    EXPECT_EQ(registry_sql::text_array({R"(dir/x "y".proto)", R"(back\slash)", "NULL", "a,b{}"}),
              R"({"dir/x \"y\".proto","back\\slash","NULL","a,b{}"})");
}

VersionDraft draft(std::string version) {
    VersionDraft d;
    d.record.module_name = "acme";
    d.record.version = std::move(version);
    d.record.digest = "sha256:" + std::string(64, 'a');
    d.record.created_at = 1700000000123;
    d.record.files = {{"a.proto", std::string(64, 'b'), 10}};
    d.record.dependencies = {"base@v1.0.0"};
    d.files = {{"a.proto", "syntax = \"proto3\";"}};
    return d;
}

TEST(RegistrySqlTest, PutParamsCarrySemverColumnsAndKeys) {
    auto p = registry_sql::put_version_params(draft("v1.2.3-rc.1+build.5"));
    ASSERT_TRUE(p) << p.error().message;
    ASSERT_EQ(p->size(), 18u);
    EXPECT_EQ((*p)[2], "1.2.3-rc.1+build.5");  // version_key: no leading 'v'
    EXPECT_EQ((*p)[4], "1700000000123");
    EXPECT_EQ((*p)[8], "1");
    EXPECT_EQ((*p)[9], "2");
    EXPECT_EQ((*p)[10], "3");
    EXPECT_EQ((*p)[11], "rc.1");  // build metadata is not part of the pre-release
    EXPECT_EQ((*p)[15], "{\"proto-files/sha256/bb/" + std::string(62, 'b') + "\"}");
    EXPECT_EQ((*p)[16], R"({"base"})");
    EXPECT_EQ((*p)[17], R"({"1.0.0"})");
}

TEST(RegistrySqlTest, VersionNumbersBeyondBigintAreABadRequest) {
    auto p = registry_sql::put_version_params(draft("9223372036854775808.0.0"));
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().code, ErrorCode::BadRequest);
    EXPECT_TRUE(registry_sql::put_version_params(draft("9223372036854775807.0.0")));
}

// A result shaped like one row of the module columns (after `offset` leading columns), built with
// libpq's result constructors so decode_module reads real PGresult accessors.
PgResult module_row(int offset, const std::vector<const char*>& values) {
    const int columns = offset + static_cast<int>(values.size());
    PGresult* r = PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK);
    std::vector<PGresAttDesc> attrs(columns);
    std::vector<std::string> names(columns);
    for (int c = 0; c < columns; ++c) {
        names[c] = "c" + std::to_string(c);
        attrs[c] = PGresAttDesc{};
        attrs[c].name = names[c].data();
        attrs[c].typid = 25;  // text
        attrs[c].typlen = -1;
    }
    EXPECT_EQ(PQsetResultAttrs(r, columns, attrs.data()), 1);
    for (int c = 0; c < offset; ++c) EXPECT_EQ(PQsetvalue(r, 0, c, const_cast<char*>("x"), 1), 1);
    for (size_t i = 0; i < values.size(); ++i) {
        const char* v = values[i];
        const int col = offset + static_cast<int>(i);
        // NULL: length -1.
        EXPECT_EQ(
            PQsetvalue(r, 0, col, const_cast<char*>(v), v ? static_cast<int>(std::strlen(v)) : -1),
            1);
    }
    return PgResult(r);
}

TEST(RegistrySqlTest, ModuleColumnsEndWithTheCompatibilityLevel) {
    ASSERT_EQ(registry_sql::kModuleColumns, 7);
    for (const char* sql :
         {registry_sql::kGetModule, registry_sql::kListModules, registry_sql::kSetCompatibility}) {
        EXPECT_NE(std::string_view(sql).find("m.compatibility AS compatibility"),
                  std::string_view::npos)
            << sql;
    }
    // As kListModules returns it: the total first, module columns from 1.
    PgResult r = module_row(1, {"acme", "desc", "1000", "2000", "2", "1.0.0+b", "FULL_TRANSITIVE"});
    auto m = registry_sql::decode_module(r, 0, 1);
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(m->name, "acme");
    EXPECT_EQ(m->created_at, 1000);
    EXPECT_EQ(m->updated_at, 2000);
    EXPECT_EQ(m->version_count, 2u);
    EXPECT_EQ(m->latest_version, "1.0.0+b");
    EXPECT_EQ(m->compatibility, "FULL_TRANSITIVE");

    PgResult empty = module_row(0, {"acme", "", "1000", "1000", "0", nullptr, "NONE"});
    auto e = registry_sql::decode_module(empty, 0, 0);
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_FALSE(e->latest_version.has_value());
    EXPECT_EQ(e->compatibility, "NONE");
}

TEST(RegistrySqlTest, SetCompatibilityIsOneUpdateReturningTheModule) {
    const std::string_view sql = registry_sql::kSetCompatibility;
    EXPECT_TRUE(sql.starts_with("UPDATE modules m SET compatibility = $2")) << sql;
    EXPECT_NE(sql.find("WHERE m.name = $1 RETURNING "), std::string_view::npos) << sql;
    EXPECT_NE(sql.find("$3"), std::string_view::npos) << sql;
}

}  // namespace
}  // namespace spoke
