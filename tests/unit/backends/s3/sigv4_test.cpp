// sign_v4 against AWS's published SigV4 test vectors and the S3 documentation's examples.
//
// Expected values are the published ones, never output of this code:
//  - the aws-sig-v4-test-suite as AWS ships it in awslabs/aws-c-auth
//    (tests/aws-signing-test-suite/v4/<case>/header-signed-request.txt and *-canonical-request /
//    *-string-to-sign files): AKIDEXAMPLE, us-east-1, service "service", 20150830T123600Z;
//  - the original 2015 suite's post-x-www-form-urlencoded .creq/.sts/.authz;
//  - the S3 API reference, "Signature Calculations for the Authorization Header: Transferring
//    Payload in a Single Chunk", examples (AKIAIOSFODNN7EXAMPLE, 20130524T000000Z).

#include "backends/s3/sigv4.hpp"

#include <gtest/gtest.h>

#include "backends/s3/object_key.hpp"
#include "registry/digest.hpp"

namespace spoke {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kSuiteDate = "20150830T123600Z";
constexpr const char* kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const SigV4Credentials kSuite{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                              "us-east-1", "service"};

std::string suite_authorization(const std::string& signed_headers, const std::string& signature) {
    return "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
           "SignedHeaders=" +
           signed_headers + ", Signature=" + signature;
}

// A suite request: Host and X-Amz-Date as every case has them, plus the case's own headers.
SigV4Request suite_request(std::string method, std::string path, Pairs query = {},
                           Pairs extra_headers = {}, std::string payload_sha256 = kEmptySha256) {
    Pairs headers{{"Host", "example.amazonaws.com"}};
    headers.insert(headers.end(), extra_headers.begin(), extra_headers.end());
    headers.emplace_back("X-Amz-Date", kSuiteDate);
    return SigV4Request{std::move(method), std::move(path), std::move(query), std::move(headers),
                        std::move(payload_sha256)};
}

TEST(SigV4Suite, GetVanilla) {
    const auto sig = sign_v4(suite_request("GET", "/"), kSuite, kSuiteDate);
    EXPECT_EQ(sig.canonical_request,
              "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
              "host;x-amz-date\n"
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sig.string_to_sign,
              "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
              "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    EXPECT_EQ(sig.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    EXPECT_EQ(
        sig.authorization,
        suite_authorization("host;x-amz-date",
                            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
}

TEST(SigV4Suite, PostVanilla) {
    const auto sig = sign_v4(suite_request("POST", "/"), kSuite, kSuiteDate);
    EXPECT_EQ(
        sig.authorization,
        suite_authorization("host;x-amz-date",
                            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"));
}

TEST(SigV4Suite, GetVanillaQueryOrderKeyCase) {
    const auto sig =
        sign_v4(suite_request("GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}), kSuite,
                kSuiteDate);
    EXPECT_EQ(sig.canonical_query, "Param1=value1&Param2=value2");
    EXPECT_EQ(sig.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4Suite, GetVanillaEmptyQueryKey) {
    const auto sig = sign_v4(suite_request("GET", "/", {{"Param1", "value1"}}), kSuite, kSuiteDate);
    EXPECT_EQ(sig.signature, "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb");
}

TEST(SigV4Suite, GetVanillaQueryUnreserved) {
    const std::string unreserved =
        "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const auto sig =
        sign_v4(suite_request("GET", "/", {{unreserved, unreserved}}), kSuite, kSuiteDate);
    EXPECT_EQ(sig.canonical_query, unreserved + "=" + unreserved);
    EXPECT_EQ(sig.signature, "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197");
}

TEST(SigV4Suite, GetVanillaUtf8Query) {
    const auto sig =
        sign_v4(suite_request("GET", "/", {{"\xE1\x88\xB4", "bar"}}), kSuite, kSuiteDate);
    EXPECT_EQ(sig.canonical_query, "%E1%88%B4=bar");
    EXPECT_EQ(sig.signature, "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04");
}

TEST(SigV4Suite, GetHeaderValueTrim) {
    const auto sig = sign_v4(
        suite_request("GET", "/", {}, {{"My-Header1", " value1"}, {"My-Header2", "\"a   b   c\""}}),
        kSuite, kSuiteDate);
    EXPECT_NE(sig.canonical_request.find("\nmy-header1:value1\nmy-header2:\"a b c\"\n"),
              std::string::npos)
        << sig.canonical_request;
    EXPECT_EQ(
        sig.authorization,
        suite_authorization("host;my-header1;my-header2;x-amz-date",
                            "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"));
}

TEST(SigV4Suite, GetHeaderKeyDuplicate) {
    const auto sig =
        sign_v4(suite_request(
                    "GET", "/", {},
                    {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}),
                kSuite, kSuiteDate);
    EXPECT_NE(sig.canonical_request.find("\nmy-header1:value2,value2,value1\n"), std::string::npos)
        << sig.canonical_request;
    EXPECT_EQ(
        sig.authorization,
        suite_authorization("host;my-header1;x-amz-date",
                            "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"));
}

// The 2015 suite's form post: Content-Type, Host and X-Amz-Date signed, body hashed.
TEST(SigV4Suite, PostXWwwFormUrlencodedOriginal) {
    const std::string body_sha = sha256_hex("Param1=value1");
    ASSERT_EQ(body_sha, "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
    SigV4Request request{"POST",
                         "/",
                         {},
                         {{"Content-Type", "application/x-www-form-urlencoded"},
                          {"Host", "example.amazonaws.com"},
                          {"X-Amz-Date", kSuiteDate}},
                         body_sha};
    const auto sig = sign_v4(request, kSuite, kSuiteDate);
    EXPECT_EQ(sig.canonical_request,
              "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\n"
              "host:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
              "content-type;host;x-amz-date\n"
              "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
    EXPECT_EQ(sig.string_to_sign,
              "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
              "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281");
    EXPECT_EQ(sig.signature, "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

// aws-c-auth's current form post also signs Content-Length and x-amz-content-sha256.
TEST(SigV4Suite, PostXWwwFormUrlencodedWithContentSha) {
    const std::string body_sha = sha256_hex("Param1=value1");
    SigV4Request request{"POST",
                         "/",
                         {},
                         {{"Content-Type", "application/x-www-form-urlencoded"},
                          {"Host", "example.amazonaws.com"},
                          {"Content-Length", "13"},
                          {"x-amz-content-sha256", body_sha},
                          {"X-Amz-Date", kSuiteDate}},
                         body_sha};
    const auto sig = sign_v4(request, kSuite, kSuiteDate);
    EXPECT_EQ(
        sig.authorization,
        suite_authorization("content-length;content-type;host;x-amz-content-sha256;x-amz-date",
                            "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"));
}

TEST(SigV4Suite, GetUnreservedPath) {
    const auto sig = sign_v4(
        suite_request("GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
        kSuite, kSuiteDate);
    EXPECT_EQ(sig.signature, "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
}

TEST(SigV4Suite, GetSpace) {
    const auto sig = sign_v4(suite_request("GET", "/example space/"), kSuite, kSuiteDate);
    EXPECT_EQ(sig.canonical_uri, "/example%20space/");
    EXPECT_EQ(sig.signature, "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741");
}

TEST(SigV4Suite, GetUtf8) {
    const auto sig = sign_v4(suite_request("GET", "/\xE1\x88\xB4"), kSuite, kSuiteDate);
    EXPECT_EQ(sig.canonical_uri, "/%E1%88%B4");
    EXPECT_EQ(sig.signature, "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
}

// The *-normalized cases: a non-S3 service resolves dot segments and drops empty ones.
TEST(SigV4Suite, NormalizedPathsForNonS3Services) {
    struct Case {
        const char* path;
        const char* canonical;
        const char* signature;
    };
    const Case cases[] = {
        {"//", "/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        {"/./", "/", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        {"/example1/example2/../..", "/",
         "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        {"//example//", "/example/",
         "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
        {"/./example", "/example",
         "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
    };
    for (const auto& c : cases) {
        const auto sig = sign_v4(suite_request("GET", c.path), kSuite, kSuiteDate);
        EXPECT_EQ(sig.canonical_uri, c.canonical) << c.path;
        EXPECT_EQ(sig.signature, c.signature) << c.path;
    }
}

// S3 API reference examples: bucket examplebucket, virtual-hosted style.
const SigV4Credentials kS3Docs{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                               "us-east-1", "s3"};
constexpr const char* kS3Date = "20130524T000000Z";

SigV4Request s3_docs_request(std::string method, std::string path, Pairs query, Pairs extra_headers,
                             std::string payload_sha256 = kEmptySha256) {
    Pairs headers{{"Host", "examplebucket.s3.amazonaws.com"},
                  {"x-amz-content-sha256", payload_sha256},
                  {"x-amz-date", kS3Date}};
    headers.insert(headers.end(), extra_headers.begin(), extra_headers.end());
    return SigV4Request{std::move(method), std::move(path), std::move(query), std::move(headers),
                        std::move(payload_sha256)};
}

TEST(SigV4S3Docs, GetObjectWithRange) {
    const auto sig = sign_v4(s3_docs_request("GET", "/test.txt", {}, {{"Range", "bytes=0-9"}}),
                             kS3Docs, kS3Date);
    EXPECT_EQ(
        sig.canonical_request,
        "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
        "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sig.string_to_sign,
              "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
              "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    EXPECT_EQ(sig.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    EXPECT_EQ(sig.authorization,
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
              "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
              "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4S3Docs, PutObjectEncodesDollarInKey) {
    const std::string body_sha = sha256_hex("Welcome to Amazon S3.");
    ASSERT_EQ(body_sha, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    const auto sig = sign_v4(s3_docs_request("PUT", "/test$file.text", {},
                                             {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                                              {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                                             body_sha),
                             kS3Docs, kS3Date);
    EXPECT_EQ(sig.canonical_uri, "/test%24file.text");
    EXPECT_EQ(sig.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4S3Docs, GetBucketLifecycleSignsEmptyValue) {
    const auto sig =
        sign_v4(s3_docs_request("GET", "/", {{"lifecycle", ""}}, {}), kS3Docs, kS3Date);
    EXPECT_EQ(sig.canonical_query, "lifecycle=");
    EXPECT_EQ(sig.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4S3Docs, ListObjectsSortsQuery) {
    const auto sig = sign_v4(s3_docs_request("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, {}),
                             kS3Docs, kS3Date);
    EXPECT_EQ(sig.canonical_query, "max-keys=2&prefix=J");
    EXPECT_EQ(sig.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4Canonical, S3PathsAreEncodedOnceAndNeverNormalized) {
    EXPECT_EQ(canonical_uri("//a/./b/../c d", "s3"), "//a/./b/../c%20d");
    EXPECT_EQ(canonical_uri("/k%2Fx", "s3"), "/k%252Fx");  // a raw '%' is data, not an escape
    EXPECT_EQ(canonical_uri("", "s3"), "/");
    EXPECT_EQ(canonical_uri("", "service"), "/");
}

TEST(SigV4Canonical, UriEncodeKeepsOnlyUnreserved) {
    EXPECT_EQ(uri_encode("a/b c+d=e&f~g", false), "a/b%20c%2Bd%3De%26f~g");
    EXPECT_EQ(uri_encode("a/b", true), "a%2Fb");
    EXPECT_EQ(uri_encode("\xFF", true), "%FF");
}

TEST(SigV4Canonical, QueryPairsSortByNameThenValue) {
    const auto sig =
        sign_v4(suite_request("GET", "/", {{"b", "2"}, {"a", "z"}, {"a", "y"}, {"c/d", "e f"}}),
                kSuite, kSuiteDate);
    EXPECT_EQ(sig.canonical_query, "a=y&a=z&b=2&c%2Fd=e%20f");
}

TEST(ContentObjectKey, FansOutOnTheFirstTwoHexDigits) {
    EXPECT_EQ(content_object_key(kEmptySha256),
              "proto-files/sha256/e3/"
              "b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace spoke
