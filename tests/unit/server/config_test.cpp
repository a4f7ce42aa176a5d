#include "server/config.hpp"

#include <gtest/gtest.h>

#include <map>

namespace spoke {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        if (auto it = vars.find(name); it != vars.end()) return it->second;
        return std::nullopt;
    };
}

TEST(ConfigTest, DefaultsMatchTheSpec) {
    std::vector<std::string> errors;
    Config c = load_config(env_of({}), errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(c.host, "0.0.0.0");
    EXPECT_EQ(c.port, 8080);
    EXPECT_EQ(c.health_port, 9090);
    EXPECT_GE(c.threads, 1u);
    EXPECT_EQ(c.max_body, 32ull << 20);
    EXPECT_EQ(c.filesystem_root, "./data");
    EXPECT_EQ(c.shutdown_timeout, std::chrono::seconds(30));
    EXPECT_EQ(c.l1_cache_size, 64ull << 20);
}

TEST(ConfigTest, ParsesValues) {
    std::vector<std::string> errors;
    Config c = load_config(env_of({{"SPOKE_PORT", "18080"},
                                   {"SPOKE_THREADS", "3"},
                                   {"SPOKE_SHUTDOWN_TIMEOUT", "250ms"},
                                   {"SPOKE_MAX_BODY", "2MiB"},
                                   {"SPOKE_LOG_LEVEL", "debug"},
                                   {"SPOKE_LISTENER", "shared"},
                                   {"SPOKE_HOST", "::1"}}),
                           errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(c.port, 18080);
    EXPECT_EQ(c.threads, 3u);
    EXPECT_EQ(c.shutdown_timeout, std::chrono::milliseconds(250));
    EXPECT_EQ(c.max_body, 2ull << 20);
    EXPECT_EQ(c.log_level, LogLevel::Debug);
    EXPECT_FALSE(c.reuse_port);
    EXPECT_EQ(c.host, "::1");
}

TEST(ConfigTest, EveryBadValueIsReportedByName) {
    std::vector<std::string> errors;
    load_config(env_of({{"SPOKE_PORT", "99999"},
                        {"SPOKE_SHUTDOWN_TIMEOUT", "10"},
                        {"SPOKE_MAX_BODY", "lots"},
                        {"SPOKE_LOG_LEVEL", "loud"},
                        {"SPOKE_HOST", "example.com"},
                        {"SPOKE_STORAGE_TYPE", "mongo"}}),
                errors);
    ASSERT_EQ(errors.size(), 6u);
    for (const char* name : {"SPOKE_PORT", "SPOKE_SHUTDOWN_TIMEOUT", "SPOKE_MAX_BODY",
                             "SPOKE_LOG_LEVEL", "SPOKE_HOST", "SPOKE_STORAGE_TYPE"}) {
        bool found = false;
        for (const auto& e : errors) found = found || e.rfind(name, 0) == 0;
        EXPECT_TRUE(found) << name;
    }
}

TEST(ConfigTest, HealthPortMustDiffer) {
    std::vector<std::string> errors;
    load_config(env_of({{"SPOKE_PORT", "9000"}, {"SPOKE_HEALTH_PORT", "9000"}}), errors);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("SPOKE_HEALTH_PORT"), std::string::npos);
}

TEST(ConfigTest, DurationsAndSizes) {
    EXPECT_EQ(parse_duration("15s"), std::chrono::milliseconds(15000));
    EXPECT_EQ(parse_duration("2m"), std::chrono::milliseconds(120000));
    EXPECT_EQ(parse_duration("1h"), std::chrono::milliseconds(3600000));
    EXPECT_EQ(parse_duration("0"), std::chrono::milliseconds(0));
    EXPECT_EQ(parse_duration("15"), std::nullopt);
    EXPECT_EQ(parse_duration("-1s"), std::nullopt);
    EXPECT_EQ(parse_duration("1.5s"), std::nullopt);
    EXPECT_EQ(parse_byte_size("1048576"), 1048576u);
    EXPECT_EQ(parse_byte_size("64KiB"), 65536u);
    EXPECT_EQ(parse_byte_size("1GiB"), 1ull << 30);
    EXPECT_EQ(parse_byte_size("1TiB"), std::nullopt);
    EXPECT_EQ(parse_byte_size(""), std::nullopt);
}

}  // namespace
}  // namespace spoke

namespace spoke {
namespace {

std::map<std::string, std::string> postgres_env() {
    return {
        {"SPOKE_STORAGE_TYPE", "postgres"},
        {"SPOKE_POSTGRES_URL",
         "postgresql://spoke@10.0.0.1:5432,10.0.0.2:5432/spoke?target_session_attrs=read-write"},
        {"SPOKE_POSTGRES_REPLICA_URLS",
         "postgresql://spoke@10.0.0.3/spoke, postgresql://spoke@10.0.0.4/spoke"},
        {"SPOKE_POSTGRES_MAX_CONNS", "12"},
        {"SPOKE_POSTGRES_MIN_CONNS", "0"},
        {"SPOKE_POSTGRES_TIMEOUT", "2s"},
        {"SPOKE_POSTGRES_REPLICA_MAX_LAG", "750ms"},
        {"SPOKE_S3_ENDPOINT", "http://127.0.0.1:9000"},
        {"SPOKE_S3_BUCKET", "protos"},
        {"SPOKE_S3_ACCESS_KEY", "AK"},
        {"SPOKE_S3_SECRET_KEY", "SK"},
        {"SPOKE_S3_USE_PATH_STYLE", "true"},
        {"SPOKE_BREAKER_OPEN_DURATION", "3s"}};
}

TEST(ConfigPostgresTest, ReadsEveryPostgresAndS3Setting) {
    std::vector<std::string> errors;
    Config c = load_config(env_of(postgres_env()), errors);
    EXPECT_TRUE(errors.empty()) << errors.front();
    EXPECT_EQ(c.storage_type, "postgres");
    ASSERT_EQ(c.postgres.replica_urls.size(), 2u);
    EXPECT_EQ(c.postgres.replica_urls[1], "postgresql://spoke@10.0.0.4/spoke");
    EXPECT_EQ(c.postgres.max_conns, 12u);
    EXPECT_EQ(c.postgres.min_conns, 0u);
    EXPECT_EQ(c.postgres.timeout.count(), 2000);
    EXPECT_EQ(c.postgres.replica_max_lag.count(), 750);
    EXPECT_EQ(c.s3.bucket, "protos");
    EXPECT_TRUE(c.s3.path_style);
    EXPECT_EQ(c.s3.region, "us-east-1");
    EXPECT_EQ(c.breaker_open_duration.count(), 3000);
}

TEST(ConfigPostgresTest, MissingRequiredSettingsAreNamed) {
    std::vector<std::string> errors;
    load_config(env_of({{"SPOKE_STORAGE_TYPE", "postgres"}}), errors);
    std::string all;
    for (const auto& e : errors) all += e + "\n";
    EXPECT_NE(all.find("SPOKE_POSTGRES_URL: required"), std::string::npos) << all;
    EXPECT_NE(all.find("SPOKE_S3_ENDPOINT: required"), std::string::npos) << all;
    EXPECT_NE(all.find("SPOKE_S3_BUCKET: required"), std::string::npos) << all;
    EXPECT_NE(all.find("SPOKE_S3_ACCESS_KEY/SPOKE_S3_SECRET_KEY"), std::string::npos) << all;
}

TEST(ConfigPostgresTest, HostNamesAreAccepted) {
    // The connections resolve them on the loops' resolver (no blocking lookup in libpq).
    auto env = postgres_env();
    env["SPOKE_POSTGRES_URL"] = "postgresql://spoke@db.example.com/spoke";
    env["SPOKE_POSTGRES_REPLICA_URLS"] = "host=replica.example.com dbname=spoke";
    std::vector<std::string> errors;
    load_config(env_of(env), errors);
    EXPECT_TRUE(errors.empty()) << errors.front();
}

TEST(ConfigRedisTest, ReadsAndRefuses) {
    std::vector<std::string> errors;
    Config c = load_config(env_of({{"SPOKE_REDIS_URL", "redis-sentinel://h1,h2/spoke"},
                                   {"SPOKE_REDIS_DB", "3"},
                                   {"SPOKE_REDIS_TIMEOUT", "150ms"},
                                   {"SPOKE_CACHE_STALE_BOUND", "500ms"},
                                   {"SPOKE_RATE_LIMIT", "50/s:80"}}),
                           errors);
    EXPECT_TRUE(errors.empty()) << errors.front();
    EXPECT_EQ(c.redis.url, "redis-sentinel://h1,h2/spoke");
    EXPECT_EQ(c.redis.db, 3u);
    EXPECT_EQ(c.redis.timeout.count(), 150);
    EXPECT_EQ(c.redis.stale_bound.count(), 500);
    EXPECT_EQ(c.rate_limit, "50/s:80");
    EXPECT_EQ(load_config(env_of({}), errors).rate_limit, "100/s") << "the spec's default";

    errors.clear();
    load_config(env_of({{"SPOKE_REDIS_URL", "redis://h1,h2"},
                        {"SPOKE_REDIS_DB", "16"},
                        {"SPOKE_REDIS_TIMEOUT", "0ms"},
                        {"SPOKE_RATE_LIMIT", "lots"}}),
                errors);
    std::string all;
    for (const auto& e : errors) all += e + "\n";
    EXPECT_EQ(errors.size(), 4u) << all;
    for (const char* name :
         {"SPOKE_REDIS_URL", "SPOKE_REDIS_DB", "SPOKE_REDIS_TIMEOUT", "SPOKE_RATE_LIMIT"}) {
        EXPECT_NE(all.find(name), std::string::npos) << name << "\n" << all;
    }
}

TEST(ConfigPostgresTest, InconsistentValuesAreRefused) {
    auto env = postgres_env();
    env["SPOKE_POSTGRES_MIN_CONNS"] = "20";
    env["SPOKE_S3_ENDPOINT"] = "http://127.0.0.1:9000/bucket";
    env["SPOKE_POSTGRES_URL"] = "postgresql://[oops";
    std::vector<std::string> errors;
    load_config(env_of(env), errors);
    std::string all;
    for (const auto& e : errors) all += e + "\n";
    EXPECT_NE(all.find("SPOKE_POSTGRES_MIN_CONNS: larger than"), std::string::npos) << all;
    EXPECT_NE(all.find("without a path"), std::string::npos) << all;
    EXPECT_NE(all.find("SPOKE_POSTGRES_URL: "), std::string::npos) << all;
}

}  // namespace
}  // namespace spoke
