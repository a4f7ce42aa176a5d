// TokenFiles: API tokens as one file per secret hash under <root>/tokens/, read and written
// without the root's LOCK, so a second instance (standing in for another process) shares them.

#include "backends/filesystem/token_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "backends/token_contract.hpp"
#include "registry/digest.hpp"
#include "tests/support/api_token_support.hpp"
#include "tests/unit/backends/backend_test_support.hpp"

namespace spoke {
namespace {

using testing::expect_same;

namespace fs = std::filesystem;
using test::TempDir;

// A token for `secret`, as the token command would make it (the record holds only the hash).
ApiToken token_for(const std::string& secret, const std::string& id, TimestampMs created = 1000) {
    ApiToken t;
    t.id = id;
    t.name = "ci for " + id;
    t.secret_hash = sha256_hex(secret);
    t.scopes = {"read", "write"};
    t.prefixes = {"acme."};
    t.created_at = created;
    return t;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_raw(const fs::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
}

std::vector<std::string> ids_of(const std::vector<ApiToken>& tokens) {
    std::vector<std::string> out;
    for (const auto& t : tokens) out.push_back(t.id);
    return out;
}

class TokenFilesTest : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_TRUE(tokens.ensure_dir().ok()); }

    std::optional<ApiToken> find(TokenFiles& files, const std::string& hash) {
        auto r = files.find(hash);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? *r : std::nullopt;
    }

    TempDir dir;
    TokenFiles tokens{dir.path()};
};

TEST_F(TokenFilesTest, CreatedTokenIsFoundByItsHashWithEveryField) {
    ApiToken t = token_for("spoke_secret_one", "tok_0000000000000001", 1700000000123);
    t.expires_at = 1800000000000;
    auto created = tokens.create(t);
    ASSERT_TRUE(created.ok()) << created.error().message;
    expect_same(*created, t);
    EXPECT_TRUE(fs::is_regular_file(dir.sub("tokens/" + t.secret_hash + ".json")));

    auto found = find(tokens, t.secret_hash);
    ASSERT_TRUE(found.has_value());
    expect_same(*found, t);

    // Unset optionals and empty arrays survive the round trip too.
    ApiToken bare = token_for("spoke_secret_two", "tok_0000000000000002");
    bare.prefixes.clear();
    ASSERT_TRUE(tokens.create(bare).ok());
    found = find(tokens, bare.secret_hash);
    ASSERT_TRUE(found.has_value());
    expect_same(*found, bare);
}

TEST_F(TokenFilesTest, UnknownHashIsNullopt) {
    auto found = tokens.find(sha256_hex("never stored"));
    ASSERT_TRUE(found.ok()) << found.error().message;
    EXPECT_FALSE(found->has_value());
}

TEST_F(TokenFilesTest, MalformedHashesNeverBecomePaths) {
    const std::string good = sha256_hex("x");
    std::string upper = good;
    upper[0] = 'A';
    for (const std::string& bad : {std::string("../../etc/passwd"), std::string(""), upper,
                                   good.substr(1), good + "0", "../tokens/" + good.substr(10)}) {
        auto found = tokens.find(bad);
        ASSERT_FALSE(found.ok()) << bad;
        EXPECT_EQ(found.error().code, ErrorCode::BadRequest) << bad;
        ApiToken t = token_for("s", "tok_1");
        t.secret_hash = bad;
        auto created = tokens.create(t);
        ASSERT_FALSE(created.ok()) << bad;
        EXPECT_EQ(created.error().code, ErrorCode::BadRequest) << bad;
    }
    EXPECT_TRUE(fs::is_empty(dir.sub("tokens")));
    auto listed = tokens.list();
    ASSERT_TRUE(listed.ok());
    EXPECT_TRUE(listed->empty());
}

TEST_F(TokenFilesTest, ListIsOldestFirstThenIdAndKeepsRevokedOnes) {
    ASSERT_TRUE(tokens.create(token_for("c", "tok_c", 300)).ok());
    ASSERT_TRUE(tokens.create(token_for("b", "tok_b", 100)).ok());
    ASSERT_TRUE(tokens.create(token_for("a", "tok_a", 300)).ok());
    ASSERT_TRUE(tokens.revoke("tok_b", 500).ok());
    auto listed = tokens.list();
    ASSERT_TRUE(listed.ok()) << listed.error().message;
    EXPECT_EQ(ids_of(*listed), (std::vector<std::string>{"tok_b", "tok_a", "tok_c"}));
    EXPECT_EQ(listed->front().revoked_at, std::optional<TimestampMs>(500));
}

TEST_F(TokenFilesTest, GarbledAndStrayFilesAreSkippedNotFatal) {
    ApiToken good = token_for("good", "tok_good");
    ASSERT_TRUE(tokens.create(good).ok());
    const std::string garbled_hash = sha256_hex("garbled");
    write_raw(dir.sub("tokens/" + garbled_hash + ".json"), "{\"id\": \"tok_half");
    // Valid JSON under another hash's name: not trusted either.
    ApiToken moved = token_for("moved", "tok_moved");
    const std::string wrong_name = sha256_hex("wrong name");
    {
        TempDir other;
        TokenFiles elsewhere(other.path());
        ASSERT_TRUE(elsewhere.ensure_dir().ok());
        ASSERT_TRUE(elsewhere.create(moved).ok());
        fs::copy_file(other.sub("tokens/" + moved.secret_hash + ".json"),
                      dir.sub("tokens/" + wrong_name + ".json"));
    }
    write_raw(dir.sub("tokens/README"), "not a token");
    write_raw(dir.sub("tokens/" + sha256_hex("wrong type") + ".json"),
              "{\"id\":\"tok_x\",\"name\":\"n\",\"secret_hash\":\"" + sha256_hex("wrong type") +
                  "\",\"scopes\":\"read\",\"created_at\":1}");
    fs::create_directory(dir.sub("tokens/" + sha256_hex("a dir") + ".json"));

    auto listed = tokens.list();
    ASSERT_TRUE(listed.ok()) << listed.error().message;
    EXPECT_EQ(ids_of(*listed), std::vector<std::string>{"tok_good"});

    for (const std::string& hash : {garbled_hash, wrong_name}) {
        auto found = tokens.find(hash);
        ASSERT_FALSE(found.ok());
        EXPECT_EQ(found.error().code, ErrorCode::Internal);
    }
    // Writers step over them as readers do.
    ASSERT_TRUE(tokens.create(token_for("later", "tok_later", 2000)).ok());
    ASSERT_TRUE(tokens.revoke("tok_good", 10).ok());
    EXPECT_TRUE(tokens.record_use({{garbled_hash, 5}, {good.secret_hash, 7}}).ok());
    EXPECT_EQ(find(tokens, good.secret_hash)->last_used_at, std::optional<TimestampMs>(7));
}

TEST_F(TokenFilesTest, TempFilesAreNeverListedAndLeaveNoTrace) {
    ApiToken t = token_for("t", "tok_t");
    // A writer's temp file holding a complete record, as one is the moment before its rename.
    ApiToken in_flight = token_for("in flight", "tok_in_flight");
    {
        TempDir other;
        TokenFiles elsewhere(other.path());
        ASSERT_TRUE(elsewhere.ensure_dir().ok());
        ASSERT_TRUE(elsewhere.create(in_flight).ok());
        fs::copy_file(other.sub("tokens/" + in_flight.secret_hash + ".json"),
                      dir.sub("tokens/.tmp-12-34-5"));
    }
    ASSERT_TRUE(tokens.create(t).ok());
    ASSERT_TRUE(tokens.record_use({{t.secret_hash, 99}}).ok());
    ASSERT_TRUE(tokens.revoke("tok_t", 100).ok());
    auto listed = tokens.list();
    ASSERT_TRUE(listed.ok());
    EXPECT_EQ(ids_of(*listed), std::vector<std::string>{"tok_t"});
    // Our own writes left no temp file behind: only the planted one, the lock and the token.
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir.sub("tokens")))
        names.insert(e.path().filename().string());
    EXPECT_EQ(names, (std::set<std::string>{".lock", ".tmp-12-34-5", t.secret_hash + ".json"}));
}

TEST_F(TokenFilesTest, EnsureDirRemovesOnlyStaleTempFiles) {
    const fs::path stale = dir.sub("tokens/.tmp-1-2-3");
    const fs::path fresh = dir.sub("tokens/.tmp-4-5-6");
    write_raw(stale, "{");
    write_raw(fresh, "{");
    fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(2));
    ASSERT_TRUE(tokens.ensure_dir().ok());
    EXPECT_FALSE(fs::exists(stale));
    EXPECT_TRUE(fs::exists(fresh));
}

TEST_F(TokenFilesTest, ClashesAreInternalAndKeepTheStoredToken) {
    ApiToken first = token_for("same secret", "tok_first");
    ASSERT_TRUE(tokens.create(first).ok());

    ApiToken same_hash = token_for("same secret", "tok_second");
    same_hash.name = "impostor";
    auto r = tokens.create(same_hash);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Internal);

    ApiToken same_id = token_for("other secret", "tok_first");
    r = tokens.create(same_id);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Internal);

    auto listed = tokens.list();
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->size(), 1u);
    expect_same(listed->front(), first);
}

TEST_F(TokenFilesTest, RevokeKeepsTheFirstTimeAndUnknownIdIsNotFound) {
    ApiToken t = token_for("r", "tok_r");
    ASSERT_TRUE(tokens.create(t).ok());
    auto first = tokens.revoke("tok_r", 1000);
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(first->revoked_at, std::optional<TimestampMs>(1000));
    auto again = tokens.revoke("tok_r", 2000);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->revoked_at, std::optional<TimestampMs>(1000));
    EXPECT_EQ(find(tokens, t.secret_hash)->revoked_at, std::optional<TimestampMs>(1000));

    auto missing = tokens.revoke("tok_ghost", 1);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
    EXPECT_NE(missing.error().message.find("tok_ghost"), std::string::npos);
}

TEST_F(TokenFilesTest, RecordUseRaisesToTheLatestAndNeverLowers) {
    ApiToken a = token_for("a", "tok_a");
    ApiToken b = token_for("b", "tok_b");
    ASSERT_TRUE(tokens.create(a).ok());
    ASSERT_TRUE(tokens.create(b).ok());

    ASSERT_TRUE(tokens.record_use({{a.secret_hash, 50}}).ok());
    EXPECT_EQ(find(tokens, a.secret_hash)->last_used_at, std::optional<TimestampMs>(50));
    EXPECT_EQ(find(tokens, b.secret_hash)->last_used_at, std::nullopt);

    // Lower: unchanged. A batch: the latest per hash. Unknown and malformed hashes: ignored.
    ASSERT_TRUE(tokens.record_use({{a.secret_hash, 40}}).ok());
    EXPECT_EQ(find(tokens, a.secret_hash)->last_used_at, std::optional<TimestampMs>(50));
    ASSERT_TRUE(tokens
                    .record_use({{b.secret_hash, 60},
                                 {b.secret_hash, 70},
                                 {sha256_hex("unknown"), 80},
                                 {"../../etc/passwd", 90},
                                 {b.secret_hash, 65},
                                 {a.secret_hash, 55}})
                    .ok());
    EXPECT_EQ(find(tokens, a.secret_hash)->last_used_at, std::optional<TimestampMs>(55));
    EXPECT_EQ(find(tokens, b.secret_hash)->last_used_at, std::optional<TimestampMs>(70));
    EXPECT_FALSE(find(tokens, sha256_hex("unknown")).has_value());
    EXPECT_TRUE(tokens.record_use({}).ok());
}

TEST_F(TokenFilesTest, AnotherInstanceOnTheSameRootSeesWritesAtOnce) {
    // The second instance stands for `spoke-server token create` next to a running server.
    TokenFiles command(dir.path());
    ASSERT_TRUE(command.ensure_dir().ok());
    ApiToken t = token_for("from the command", "tok_cmd");
    ASSERT_TRUE(command.create(t).ok());
    auto found = find(tokens, t.secret_hash);
    ASSERT_TRUE(found.has_value());
    expect_same(*found, t);

    ASSERT_TRUE(tokens.record_use({{t.secret_hash, 5}}).ok());
    ASSERT_TRUE(command.revoke("tok_cmd", 9).ok());
    found = find(tokens, t.secret_hash);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->revoked_at, std::optional<TimestampMs>(9));
    EXPECT_EQ(found->last_used_at, std::optional<TimestampMs>(5));
}

TEST_F(TokenFilesTest, ConcurrentRevokeIsNeverLostToUseRecording) {
    ApiToken t = token_for("busy", "tok_busy");
    ASSERT_TRUE(tokens.create(t).ok());
    TokenFiles other(dir.path());
    std::vector<std::thread> recorders;
    for (int w = 0; w < 3; ++w) {
        recorders.emplace_back([&, w] {
            TokenFiles& files = w == 0 ? other : tokens;
            for (int i = 1; i <= 30; ++i) {
                EXPECT_TRUE(files.record_use({{t.secret_hash, w * 1000 + i}}).ok());
            }
        });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ASSERT_TRUE(other.revoke("tok_busy", 77).ok());
    for (auto& r : recorders) r.join();
    auto found = find(tokens, t.secret_hash);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->revoked_at, std::optional<TimestampMs>(77));
    EXPECT_EQ(found->last_used_at, std::optional<TimestampMs>(2030));
}

TEST_F(TokenFilesTest, FilesAreOwnerOnlyAndNeverHoldTheSecret) {
    const std::string secret = "spoke_s3cr3t_Vm9yZXN0IGJ1dCBub3QgaGVyZQ";
    ApiToken t = token_for(secret, "tok_secret");
    ASSERT_TRUE(tokens.create(t).ok());
    ASSERT_TRUE(tokens.record_use({{t.secret_hash, 3}}).ok());
    ASSERT_TRUE(tokens.revoke("tok_secret", 4).ok());

    struct stat st {};
    ASSERT_EQ(::stat(dir.sub("tokens").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    int files = 0;
    for (const auto& e : fs::directory_iterator(dir.sub("tokens"))) {
        if (e.path().filename() == ".lock") continue;
        ++files;
        ASSERT_EQ(::stat(e.path().c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 07777, 0600u) << e.path();
        const std::string bytes = slurp(e.path());
        EXPECT_EQ(bytes.find(secret), std::string::npos) << e.path();
        EXPECT_NE(bytes.find(t.secret_hash), std::string::npos) << e.path();
    }
    EXPECT_EQ(files, 1);
}

TEST(TokenFilesRoot, EnsureDirCreatesOnlyTheTokensDirectory) {
    TempDir dir;
    TokenFiles tokens(dir.sub("root"));
    // Before ensure_dir: nothing stored, nothing created.
    auto none = tokens.list();
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
    EXPECT_FALSE(fs::exists(dir.sub("root")));

    ASSERT_TRUE(tokens.ensure_dir().ok());
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir.sub("root")))
        names.push_back(e.path().filename().string());
    EXPECT_EQ(names, std::vector<std::string>{"tokens"});
    EXPECT_EQ(tokens.dir(), dir.sub("root/tokens"));
    ASSERT_TRUE(tokens.ensure_dir().ok());  // again: harmless
}

TEST(TokenFilesRoot, UnusableRootIsAnErrorForTheOperator) {
    TempDir dir;
    write_raw(dir.sub("file"), "x");
    TokenFiles tokens(dir.sub("file"));
    auto made = tokens.ensure_dir();
    ASSERT_FALSE(made.ok());
    EXPECT_EQ(made.error().code, ErrorCode::Internal);
    auto created = tokens.create(token_for("x", "tok_x"));
    ASSERT_FALSE(created.ok());
    EXPECT_EQ(created.error().code, ErrorCode::Internal);
}

TEST(TokenContract, SecretHashesAreLowercaseSha256Hex) {
    const std::string good = sha256_hex("x");
    EXPECT_TRUE(token_contract::is_secret_hash(good));
    EXPECT_FALSE(token_contract::is_secret_hash(""));
    EXPECT_FALSE(token_contract::is_secret_hash(good.substr(1)));
    EXPECT_FALSE(token_contract::is_secret_hash(good + "a"));
    std::string upper = good;
    upper[5] = 'F';
    EXPECT_FALSE(token_contract::is_secret_hash(upper));
    EXPECT_FALSE(token_contract::is_secret_hash("../" + good.substr(3)));
}

}  // namespace
}  // namespace spoke
