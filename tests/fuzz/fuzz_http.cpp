// Fuzz target: the HTTP layer as a whole. The input is the byte stream of one client connection
// to a real API loop (its router, handlers and services over a filesystem store in /dev/shm);
// what comes back must be a well-formed sequence of HTTP/1.1 responses, and the server must
// close the connection once the client has sent everything (no hang).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <latch>
#include <memory>
#include <string>
#include <string_view>

#include "backends/filesystem/filesystem_backend.hpp"
#include "backends/filesystem/token_files.hpp"
#include "handlers/response_cache.hpp"
#include "reactor/http_counters.hpp"
#include "reactor/listener.hpp"
#include "reactor/log.hpp"
#include "reactor/worker_pool.hpp"
#include "server/api_loop.hpp"
#include "server/cluster_shared.hpp"
#include "server/config.hpp"
#include "services/auth/auth_shared.hpp"
#include "services/auth/token_secret.hpp"
#include "services/codegen/codegen_service.hpp"
#include "services/descriptor_cache.hpp"
#include "services/work_admissions.hpp"

namespace spoke {
namespace {

// An admin token stored in the fixture's root: the seeds, corpus and dictionary carry it, so
// inputs reach the write handlers behind the AuthGate (and mutate the credential too).
constexpr std::string_view kAdminSecret = "spoke_FuzzTokenForTheHttpTarget0123456789abcdefgh";

// The server of every iteration: built once, run by its own thread, never torn down (libFuzzer
// exits the process).
struct FuzzServer {
    Config config;
    std::unique_ptr<StorageBackend> backend;
    std::unique_ptr<WorkerPool> pool;
    std::unique_ptr<DescriptorCache> descriptors;
    std::unique_ptr<ResponseCache> cache;
    std::unique_ptr<WorkAdmissions> admissions;
    std::unique_ptr<CodegenService> codegen;
    std::unique_ptr<HttpSharedState> http;
    std::unique_ptr<AuthShared> auth;
    std::unique_ptr<ClusterShared> cluster;
    HandlerSettings settings;
    std::unique_ptr<ApiLoop> loop;
    uint16_t port = 0;
};

void seed(uint16_t port);

FuzzServer& server() {
    static FuzzServer* s = [] {
        auto* f = new FuzzServer();  // NOLINT: lives until exit, on purpose
        Log::set_level(LogLevel::Error);
        char root[] = "/dev/shm/spoke-fuzz-http.XXXXXX";
        if (mkdtemp(root) == nullptr) std::abort();
        f->config.filesystem_root = root;
        f->config.max_body = 64 * 1024;
        f->config.max_header_size = 8 * 1024;
        f->config.max_url_length = 2048;
        f->config.max_connection_buffer = 128 * 1024;
        f->config.max_pipeline = 4;
        f->config.request_timeout = std::chrono::milliseconds(2000);
        f->config.rate_limit = "0";  // every input is served: a 429 would hide the handlers
        f->settings.limits.max_total_bytes = f->config.max_body;
        auto backend = open_filesystem_backend(root, 1u << 20);
        if (!backend) std::abort();
        f->backend = std::move(*backend);
        f->pool = std::make_unique<WorkerPool>(1);
        f->descriptors = std::make_unique<DescriptorCache>(1u << 20);
        f->cache = std::make_unique<ResponseCache>(1u << 20);
        f->admissions = std::make_unique<WorkAdmissions>(64);
        CodegenSettings cs;
        cs.limits = f->settings.limits;
        f->codegen = std::make_unique<CodegenService>(LanguageCatalog::discover(""), *f->pool, cs);
        f->http = std::make_unique<HttpSharedState>(64);
        AuthSettings auth;
        auth.failure_burst = 0;  // every input may guess: none may be slowed down
        f->auth = std::make_unique<AuthShared>(auth);
        ApiToken admin;
        admin.id = "tok_000000000000f022";
        admin.name = "fuzz-admin";
        admin.secret_hash = token_secret_hash(kAdminSecret);
        admin.scopes = {"admin"};
        TokenFiles tokens(root);
        if (!tokens.ensure_dir() || !tokens.create(admin)) std::abort();
        f->cluster = std::make_unique<ClusterShared>(f->config);
        f->loop = std::make_unique<ApiLoop>(
            0, f->config, *f->backend, *f->pool, *f->cache, f->settings, *f->codegen,
            ApiLoop::AppShared{*f->admissions, *f->descriptors, *f->http, *f->auth, *f->cluster,
                               nullptr});
        auto fd = listen_tcp("127.0.0.1", 0, false);
        if (!fd) std::abort();
        sockaddr_in addr{};
        socklen_t len = sizeof addr;
        getsockname(*fd, reinterpret_cast<sockaddr*>(&addr), &len);
        f->port = ntohs(addr.sin_port);
        std::latch started(1);
        if (!f->loop->start(*fd, started)) std::abort();
        started.wait();
        seed(f->port);
        return f;
    }();
    return *s;
}

int connect_to(uint16_t port) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) std::abort();
    return fd;
}

std::string read_until_closed(int fd);

// A module with one version, so that inputs reach the read routes' found paths (an input's own
// writes are abandoned when it half-closes, before the worker pool answers).
void seed(uint16_t port) {
    const std::string push_body =
        R"({"version":"1.0.0","files":[{"path":"a/a.proto","content":"syntax = \"proto3\";\n)"
        R"(package a;\nmessage M { string s = 1; map<string, int32> m = 2; }\n"}]})";
    const std::string requests[] = {
        "POST /modules HTTP/1.1\r\nHost: a\r\nConnection: close\r\nAuthorization: Bearer " +
            std::string(kAdminSecret) +
            "\r\nContent-Type: "
            "application/json\r\nContent-Length: 16\r\n\r\n{\"name\":\"fuzzm\"}",
        "POST /modules/fuzzm/versions HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
        "Authorization: Bearer " +
            std::string(kAdminSecret) +
            "\r\n"
            "Content-Type: application/json\r\nContent-Length: " +
            std::to_string(push_body.size()) + "\r\n\r\n" + push_body,
    };
    for (const std::string& request : requests) {
        const int fd = connect_to(port);
        if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(request.size())) {
            std::abort();
        }
        const std::string reply = read_until_closed(fd);
        close(fd);
        if (!reply.starts_with("HTTP/1.1 201")) {
            std::fprintf(stderr, "seeding failed: %s\n", reply.c_str());
            std::abort();
        }
    }
}

// Reads everything until the server closes; aborts (a hang) if it does not within the deadline.
std::string read_until_closed(int fd) {
    std::string out;
    char buf[16384];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0) {
            std::fprintf(stderr, "the server did not close the connection within 5 s\n");
            std::abort();
        }
        const ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return out;
        out.append(buf, static_cast<size_t>(n));
    }
}

[[noreturn]] void malformed(const std::string& out, size_t at, const char* why) {
    std::fprintf(stderr, "malformed response stream at byte %zu: %s\n%.*s\n", at, why,
                 static_cast<int>(std::min<size_t>(out.size() - at, 400)), out.data() + at);
    std::abort();
}

// Every response: "HTTP/1.1 NNN reason", headers, a Content-Length (except 1xx, 204, 304) and
// exactly that many body bytes. Layer-made errors are JSON. A reply to HEAD carries the GET's
// length without its body: when the input has HEAD requests, a head may follow a head directly.
void check_responses(const std::string& out, bool may_have_head) {
    size_t at = 0;
    while (at < out.size()) {
        const size_t head_end = out.find("\r\n\r\n", at);
        if (head_end == std::string::npos) malformed(out, at, "a response head without its end");
        const std::string_view head(out.data() + at, head_end - at);
        if (!head.starts_with("HTTP/1.1 ") || head.size() < 12) malformed(out, at, "status line");
        const int status = std::atoi(std::string(head.substr(9, 3)).c_str());
        if (status < 100 || status > 599) malformed(out, at, "status code");
        size_t length = 0;
        bool has_length = false;
        for (size_t line = head.find("\r\n"); line != std::string_view::npos;
             line = head.find("\r\n", line + 2)) {
            const std::string_view rest = head.substr(line + 2);
            if (rest.starts_with("Content-Length: ")) {
                length = std::strtoul(std::string(rest.substr(16, rest.find("\r\n") - 16)).c_str(),
                                      nullptr, 10);
                has_length = true;
            }
        }
        const bool bodiless = status < 200 || status == 204 || status == 304;
        if (!bodiless && !has_length) malformed(out, at, "no Content-Length");
        at = head_end + 4;
        if (may_have_head &&
            (at == out.size() || std::string_view(out).substr(at).starts_with("HTTP/1.1 "))) {
            continue;
        }
        if (at + length > out.size()) malformed(out, at, "body shorter than its Content-Length");
        if (status >= 400 && length > 0 && out[at] != '{') malformed(out, at, "error not JSON");
        at += length;
    }
}

}  // namespace
}  // namespace spoke

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    spoke::FuzzServer& s = spoke::server();
    const int fd = spoke::connect_to(s.port);
    // Inputs are small (-max_len): the socket buffers take them whole.
    size_t sent = 0;
    while (sent < size) {
        const ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // the server refused the request and closed: fine
        sent += static_cast<size_t>(n);
    }
    shutdown(fd, SHUT_WR);
    const std::string out = spoke::read_until_closed(fd);
    close(fd);
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    spoke::check_responses(out, input.find("HEAD") != std::string_view::npos);
    return 0;
}
