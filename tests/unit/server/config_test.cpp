#include "server/config.hpp"

#include <gtest/gtest.h>

#include <map>

#include "server/variable_check.hpp"

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
    // Go's forms, as the original Spoke's environment files have them.
    EXPECT_EQ(parse_duration("1.5s"), std::chrono::milliseconds(1500));
    EXPECT_EQ(parse_duration("1m30s"), std::chrono::milliseconds(90000));
    EXPECT_EQ(parse_duration("1h0m0.25s"), std::chrono::milliseconds(3600250));
    EXPECT_EQ(parse_duration("0.0005s"), std::nullopt);  // finer than a millisecond
    EXPECT_EQ(parse_duration("1.s"), std::nullopt);
    EXPECT_EQ(parse_duration("1s5"), std::nullopt);
    EXPECT_EQ(parse_duration("10us"), std::nullopt);
    EXPECT_EQ(parse_duration(""), std::nullopt);
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

// The original Spoke's environment files work here: its variables are accepted with their meaning,
// or named at start-up with the reason they have none; unknown SPOKE_* names are reported.
namespace spoke {
namespace {

std::map<std::string, std::string> hybrid_env() {
    return {{"SPOKE_STORAGE_TYPE", "hybrid"},
            {"SPOKE_POSTGRES_URL", "postgresql://spoke@db.internal/spoke"},
            {"SPOKE_S3_ENDPOINT", "http://minio:9000"},
            {"SPOKE_S3_BUCKET", "spoke"},
            {"SPOKE_S3_ACCESS_KEY", "a"},
            {"SPOKE_S3_SECRET_KEY", "b"},
            {"SPOKE_S3_FORCE_PATH_STYLE", "true"},
            {"SPOKE_REDIS_MAX_RETRIES", "3"},
            {"SPOKE_REDIS_POOL_SIZE", "10"},
            {"SPOKE_OTEL_INSECURE", "true"},
            {"SPOKE_OTEL_SERVICE_VERSION", "1.0.0"},
            {"SPOKE_READ_TIMEOUT", "1m30s"}};
}

TEST(LegacyConfigTest, TheOriginalDeploymentGuidesEnvironmentLoads) {
    std::vector<std::string> errors;
    Config c = load_config(env_of(hybrid_env()), errors);
    EXPECT_TRUE(errors.empty()) << (errors.empty() ? "" : errors.front());
    EXPECT_EQ(c.storage_type, "postgres");
    EXPECT_TRUE(c.s3.path_style);
    EXPECT_EQ(c.read_timeout, std::chrono::seconds(90));
    ASSERT_EQ(c.inert.size(), 2u);
    EXPECT_NE(c.inert.at("SPOKE_REDIS_POOL_SIZE").find("one pipelined connection"),
              std::string::npos);
    EXPECT_TRUE(c.inert.contains("SPOKE_REDIS_MAX_RETRIES"));
    EXPECT_EQ(c.otel.service_version, "1.0.0");
}

TEST(LegacyConfigTest, ItsVariablesAreStillChecked) {
    auto env = hybrid_env();
    env["SPOKE_REDIS_POOL_SIZE"] = "ten";
    env["SPOKE_OTEL_INSECURE"] = "maybe";
    env["SPOKE_S3_FORCE_PATH_STYLE"] = "yes please";
    std::vector<std::string> errors;
    load_config(env_of(env), errors);
    ASSERT_EQ(errors.size(), 3u);
    std::string all;
    for (const auto& e : errors) all += e + "\n";
    EXPECT_NE(all.find("SPOKE_REDIS_POOL_SIZE: \"ten\" is not a count"), std::string::npos) << all;
    EXPECT_NE(all.find("SPOKE_OTEL_INSECURE"), std::string::npos) << all;
    EXPECT_NE(all.find("SPOKE_S3_FORCE_PATH_STYLE"), std::string::npos) << all;
}

TEST(LegacyConfigTest, ForcePathStyleFalseLeavesUsePathStyle) {
    auto env = hybrid_env();
    env["SPOKE_S3_FORCE_PATH_STYLE"] = "false";
    env["SPOKE_S3_USE_PATH_STYLE"] = "true";
    std::vector<std::string> errors;
    EXPECT_TRUE(load_config(env_of(env), errors).s3.path_style);
    env["SPOKE_S3_USE_PATH_STYLE"] = "false";
    EXPECT_FALSE(load_config(env_of(env), errors).s3.path_style);
    EXPECT_TRUE(errors.empty());
}

TEST(LegacyConfigTest, AnUnknownStorageTypeNamesTheAcceptedOnes) {
    std::vector<std::string> errors;
    load_config(env_of({{"SPOKE_STORAGE_TYPE", "sqlite"}}), errors);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], "SPOKE_STORAGE_TYPE: \"sqlite\" is not filesystem, postgres or hybrid");
}

TEST(VariableCheckTest, KnowsEveryVariableTheConfigurationReads) {
    auto known = known_variables();
    for (const char* name : {"SPOKE_PORT", "SPOKE_STORAGE_TYPE", "SPOKE_REDIS_URL",
                             "SPOKE_REDIS_POOL_SIZE", "SPOKE_S3_FORCE_PATH_STYLE",
                             "SPOKE_OTEL_INSECURE", "SPOKE_AUTH_JWT_KEYS", "SPOKE_ENV_FILE"}) {
        EXPECT_TRUE(known.contains(name)) << name;
    }
    EXPECT_FALSE(known.contains("SPOKE_REDIS_TIMOUT"));
}

TEST(VariableCheckTest, ATypoIsReportedWithTheNameItMeant) {
    auto unknown = unknown_variables(
        {"SPOKE_PORT", "SPOKE_REDIS_TIMOUT", "SPOKE_WIDGETS", "PATH", "SPOKE_POSTGRES_MAXCONNS"});
    ASSERT_EQ(unknown.size(), 3u);
    EXPECT_EQ(unknown[0].name, "SPOKE_REDIS_TIMOUT");
    EXPECT_EQ(unknown[0].did_you_mean, "SPOKE_REDIS_TIMEOUT");
    EXPECT_EQ(unknown[1].name, "SPOKE_WIDGETS");
    EXPECT_EQ(unknown[1].did_you_mean, "");
    EXPECT_EQ(unknown[2].did_you_mean, "SPOKE_POSTGRES_MAX_CONNS");
}

TEST(VariableCheckTest, ReadsNamesFromAnEnvironmentBlock) {
    char a[] = "SPOKE_PORT=1";
    char b[] = "HOME=/root";
    char c[] = "SPOKE_X=a=b";
    char* envp[] = {a, b, c, nullptr};
    EXPECT_EQ(spoke_variable_names(envp), (std::vector<std::string>{"SPOKE_PORT", "SPOKE_X"}));
}

}  // namespace
}  // namespace spoke
