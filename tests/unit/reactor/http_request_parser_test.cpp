#include "reactor/http_request_parser.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <memory>
#include <string>
#include <vector>

namespace spoke {
namespace {

// What a byte stream parsed into: the complete requests, then the error that stopped it (if any).
struct Parsed {
    std::vector<std::unique_ptr<HttpRequest>> requests;
    std::optional<HttpError> error;
    int heads = 0;
    int status() const { return error ? error->status : 0; }
};

// Feeds `bytes` in pieces of `piece` bytes (0: all at once), as a connection would.
Parsed parse(const std::string& bytes, size_t piece = 0, HttpParserLimits limits = {}) {
    HttpRequestParser parser(limits);
    Parsed out;
    std::string pending;
    size_t offset = 0;
    while (offset < bytes.size() || !pending.empty()) {
        const size_t take =
            piece == 0 ? bytes.size() - offset : std::min(piece, bytes.size() - offset);
        pending.append(bytes, offset, take);
        offset += take;
        bool progressed = true;
        while (!pending.empty() && progressed) {
            const auto step = parser.feed(pending.data(), pending.size());
            pending.erase(0, step.consumed);
            switch (step.event) {
                case HttpRequestParser::Event::Head:
                    ++out.heads;
                    break;
                case HttpRequestParser::Event::Message:
                    out.requests.push_back(parser.take());
                    break;
                case HttpRequestParser::Event::Failed:
                    out.error = parser.error();
                    return out;
                case HttpRequestParser::Event::NeedMore:
                    progressed = false;
                    break;
            }
        }
        if (take == 0 && offset >= bytes.size()) break;
    }
    return out;
}

const std::string kGet = "GET /modules?x=1 HTTP/1.1\r\nHost: a\r\nX-Request-Id: r1\r\n\r\n";

TEST(HttpRequestParser, ParsesAGetWithHeadersAndQuery) {
    Parsed p = parse(kGet);
    ASSERT_EQ(p.requests.size(), 1u);
    const HttpRequest& r = *p.requests[0];
    EXPECT_EQ(r.method, HttpMethod::Get);
    EXPECT_EQ(r.path, "/modules");
    EXPECT_EQ(r.query, "x=1");
    EXPECT_EQ(r.header("x-request-id"), std::optional<std::string_view>("r1"));
    EXPECT_TRUE(r.keep_alive);
    EXPECT_EQ(p.heads, 1);
}

TEST(HttpRequestParser, PipelinedRequestsParseTheSameByteByByte) {
    const std::string stream = kGet +
                               "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer-X: t\r\n\r\n"
                               "PUT /b HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nwxyz"
                               "GET /c HTTP/1.0\r\n\r\n";
    for (size_t piece : {size_t{0}, size_t{1}, size_t{7}}) {
        Parsed p = parse(stream, piece);
        ASSERT_FALSE(p.error) << piece << ": " << p.error->message;
        ASSERT_EQ(p.requests.size(), 4u) << piece;
        EXPECT_EQ(p.requests[1]->body, "abcde");
        EXPECT_TRUE(p.requests[1]->chunked);
        EXPECT_FALSE(p.requests[1]->header("Trailer-X")) << "trailers are not headers";
        EXPECT_EQ(p.requests[2]->body, "wxyz");
        EXPECT_EQ(p.requests[3]->version_minor, 0);
        EXPECT_FALSE(p.requests[3]->keep_alive);
    }
}

TEST(HttpRequestParser, KeepAliveFollowsTheVersion) {
    EXPECT_FALSE(
        parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").requests[0]->keep_alive);
    EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").requests[0]->keep_alive);
}

struct Refused {
    const char* name;
    std::string bytes;
    int status;
};

class HttpRequestParserRefuses : public testing::TestWithParam<Refused> {};

TEST_P(HttpRequestParserRefuses, WithTheRightStatus) {
    for (size_t piece : {size_t{0}, size_t{1}}) {
        Parsed p = parse(GetParam().bytes, piece, {1024, 8, 256, 64});
        ASSERT_TRUE(p.error) << GetParam().name << " parsed into " << p.requests.size();
        EXPECT_EQ(p.status(), GetParam().status) << GetParam().name << ": " << p.error->message;
        EXPECT_FALSE(p.error->message.empty());
        EXPECT_EQ(p.error->message.find("HPE_"), std::string::npos);
    }
}

// gtest names: the case's name with everything but letters and digits as '_'.
std::string test_name(const testing::TestParamInfo<Refused>& info) {
    std::string name;
    for (char c : std::string(info.param.name)) {
        name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
    }
    return name;
}

std::string post(const std::string& headers, const std::string& body) {
    return "POST /x HTTP/1.1\r\nHost: a\r\n" + headers + "\r\n" + body;
}

INSTANTIATE_TEST_SUITE_P(
    Framing, HttpRequestParserRefuses,
    testing::Values(
        Refused{"two lengths", post("Content-Length: 1\r\nContent-Length: 2\r\n", "ab"), 400},
        Refused{"same length twice", post("Content-Length: 2\r\nContent-Length: 2\r\n", "ab"), 400},
        Refused{"list length", post("Content-Length: 2, 2\r\n", "ab"), 400},
        Refused{"signed length", post("Content-Length: +2\r\n", "ab"), 400},
        Refused{"length and coding",
                post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"), 400},
        Refused{"gzip coding", post("Transfer-Encoding: gzip\r\n", "ab"), 400},
        Refused{"chunked not last", post("Transfer-Encoding: chunked, gzip\r\n", "0\r\n\r\n"), 400},
        Refused{"gzip then chunked", post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"),
                501},
        Refused{"two codings",
                post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
                400},
        Refused{"space before colon", post("Transfer-Encoding : chunked\r\n", "0\r\n\r\n"), 400},
        Refused{"tab before colon", post("Content-Length\t: 2\r\n", "ab"), 400},
        Refused{"obs-fold", post("X-A: b\r\n  c\r\n", ""), 400},
        Refused{"bare LF", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400},
        Refused{"bare LF in a header", "GET / HTTP/1.1\r\nHost: a\n\r\n", 400},
        Refused{"bare CR", "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400},
        Refused{"NUL in a value", post(std::string("X-A: a\0b\r\n", 10), ""), 400},
        Refused{"CTL in a name", post("X\x01A: b\r\n", ""), 400},
        Refused{"DEL in a value", post("X-A: a\x7f\r\n", ""), 400},
        Refused{"bad chunk size", post("Transfer-Encoding: chunked\r\n", "zz\r\nab\r\n0\r\n\r\n"),
                400},
        Refused{"huge chunk size", post("Transfer-Encoding: chunked\r\n", "ffffffffffffffffff\r\n"),
                400},
        Refused{"chunk without CRLF", post("Transfer-Encoding: chunked\r\n", "2\r\nabXX0\r\n\r\n"),
                400},
        Refused{"chunk size with LF", post("Transfer-Encoding: chunked\r\n", "2\nab\r\n0\r\n\r\n"),
                400},
        Refused{"negative chunk", post("Transfer-Encoding: chunked\r\n", "-2\r\nab\r\n0\r\n\r\n"),
                400},
        Refused{"header line without colon", post("NoColon\r\n", ""), 400}),
    test_name);

INSTANTIATE_TEST_SUITE_P(
    RequestLine, HttpRequestParserRefuses,
    testing::Values(
        Refused{"HTTP/1.7", "GET / HTTP/1.7\r\nHost: a\r\n\r\n", 505},
        Refused{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
        Refused{"HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", 505},
        Refused{"no Host in 1.1", "GET / HTTP/1.1\r\n\r\n", 400},
        Refused{"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        Refused{"unknown method", "BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n", 501},
        Refused{"method we do not serve", "PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n", 501},
        Refused{"NUL in the path", "GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Refused{"NUL in the query", "GET /a?x=1%00 HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Refused{"bad escape", "GET /a%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Refused{"fragment", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Refused{"relative target", "GET a HTTP/1.1\r\nHost: a\r\n\r\n", 400},
        Refused{"other Expect", "GET / HTTP/1.1\r\nHost: a\r\nExpect: tea\r\n\r\n", 417}),
    test_name);

// Limits of the fixture: 1024 head bytes, 8 headers, 256 URL bytes, 64 body bytes.
INSTANTIATE_TEST_SUITE_P(
    Limits, HttpRequestParserRefuses,
    testing::Values(Refused{"declared body too large", post("Content-Length: 65\r\n", ""), 413},
                    Refused{"chunked body grows too large",
                            post("Transfer-Encoding: chunked\r\n",
                                 "40\r\n" + std::string(64, 'a') + "\r\n1\r\nb\r\n"),
                            413},
                    Refused{"URL too long",
                            "GET /" + std::string(300, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", 414},
                    Refused{"too many headers",
                            post(std::string("X: 1\r\n") +
                                     "X: 2\r\nX: 3\r\nX: 4\r\nX: 5\r\nX: 6\r\nX: 7\r\nX: 8\r\n",
                                 ""),
                            431},
                    Refused{"head too large", post("X: " + std::string(1100, 'v') + "\r\n", ""),
                            431}),
    test_name);

TEST(HttpRequestParser, AbsoluteFormIsServedLikeTheOriginForm) {
    Parsed p =
        parse("GET http://example.org:8080/modules/a?x=%20 HTTP/1.1\r\nHost: example.org\r\n\r\n");
    ASSERT_EQ(p.requests.size(), 1u);
    EXPECT_EQ(p.requests[0]->path, "/modules/a");
    EXPECT_EQ(p.requests[0]->query, "x=%20");
}

TEST(HttpRequestParser, ExpectContinueIsKnownAtTheHead) {
    HttpRequestParser parser({});
    const std::string head =
        "POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n";
    const auto step = parser.feed(head.data(), head.size());
    ASSERT_EQ(step.event, HttpRequestParser::Event::Head);
    EXPECT_TRUE(parser.head()->expect_continue);
    EXPECT_EQ(parser.head()->content_length, 2u);
    EXPECT_TRUE(parser.in_message());
}

TEST(HttpRequestParser, LeadingEmptyLinesAreIgnored) {
    Parsed p = parse("\r\n\r\n" + kGet);
    ASSERT_FALSE(p.error);
    EXPECT_EQ(p.requests.size(), 1u);
}

}  // namespace
}  // namespace spoke
