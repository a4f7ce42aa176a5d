#include "reactor/host_resolver.hpp"

#include <arpa/inet.h>
#include <event2/dns.h>
#include <event2/util.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>

#include "reactor/event_loop.hpp"
#include "reactor/log.hpp"

namespace spoke {

// One lookup in flight; evdns owns it from evdns_getaddrinfo until on_answer, which frees it.
struct HostResolver::Lookup {
    EventLoop& loop;
    std::string host;
    Callback<void(Result<std::vector<std::string>>)> done;
};

namespace {
std::string& configured_resolv_conf() {
    static std::string path;
    return path;
}
}  // namespace

void HostResolver::set_resolv_conf(std::string path) {
    configured_resolv_conf() = std::move(path);
}
const std::string& HostResolver::resolv_conf() {
    return configured_resolv_conf();
}

bool is_numeric_host(const std::string& host) {
    in6_addr any{};
    return inet_pton(AF_INET, host.c_str(), &any) == 1 ||
           inet_pton(AF_INET6, host.c_str(), &any) == 1;
}

HostResolver::HostResolver(EventLoop& loop, const std::string& resolv_conf) : loop_(loop) {
    // No nameservers yet: a missing or odd resolv.conf must not make the server unstartable when
    // every backend is numeric. Names then fail with a clear error at connect time.
    dns_ = evdns_base_new(loop.base(), 0);
    if (dns_ == nullptr) return;
    const std::string path = resolv_conf.empty() ? "/etc/resolv.conf" : resolv_conf;
    if (evdns_base_resolv_conf_parse(dns_, DNS_OPTIONS_ALL, path.c_str()) != 0) {
        Log::write(LogLevel::Warn, "cannot read the resolver configuration; host names fail",
                   {{"file", std::string_view(path)}});
    }
    evdns_base_load_hosts(dns_, nullptr);  // /etc/hosts: "localhost" resolves with no server
}

HostResolver::~HostResolver() {
    // fail_requests = 1: every pending lookup gets its callback (EAI_CANCEL) now, which frees it.
    if (dns_ != nullptr) evdns_base_free(dns_, 1);
}

void HostResolver::resolve(const std::string& host,
                           Callback<void(Result<std::vector<std::string>>)> done) {
    if (is_numeric_host(host) || dns_ == nullptr) {
        Result<std::vector<std::string>> answer = std::vector<std::string>{host};
        if (!is_numeric_host(host))
            answer = Error::unavailable("no resolver for host '" + host + "'");
        loop_.defer([done = std::move(done), answer = std::move(answer)]() mutable {
            done(std::move(answer));
        });
        return;
    }
    auto lookup = std::make_unique<Lookup>(Lookup{loop_, host, std::move(done)});
    evutil_addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
    // The callback may run before evdns_getaddrinfo returns (hosts file, errors): on_answer
    // only defers, so that is no re-entrancy for our caller.
    evdns_getaddrinfo(dns_, host.c_str(), nullptr, &hints, &HostResolver::on_answer,
                      lookup.release());
}

void HostResolver::on_answer(int result, addrinfo* answer, void* arg) {
    std::unique_ptr<Lookup> lookup(static_cast<Lookup*>(arg));
    std::vector<std::string> v4, v6;
    for (const addrinfo* ai = result == 0 ? answer : nullptr; ai != nullptr; ai = ai->ai_next) {
        char text[INET6_ADDRSTRLEN] = {};
        if (ai->ai_family == AF_INET &&
            inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(ai->ai_addr)->sin_addr, text,
                      sizeof(text)) != nullptr) {
            v4.emplace_back(text);
        } else if (ai->ai_family == AF_INET6 &&
                   inet_ntop(AF_INET6,
                             &reinterpret_cast<const sockaddr_in6*>(ai->ai_addr)->sin6_addr, text,
                             sizeof(text)) != nullptr) {
            v6.emplace_back(text);
        }
    }
    v4.insert(v4.end(), v6.begin(), v6.end());
    Result<std::vector<std::string>> out = std::move(v4);
    if (result != 0) {
        out = Error::unavailable("cannot resolve host '" + lookup->host +
                                 "': " + evutil_gai_strerror(result));
    } else if (out.value().empty()) {
        out = Error::unavailable("host '" + lookup->host + "' has no address");
    }
    if (answer != nullptr) evutil_freeaddrinfo(answer);
    if (result == EVUTIL_EAI_CANCEL) return;  // the resolver is going away with its loop
    lookup->loop.defer(
        [done = std::move(lookup->done), out = std::move(out)]() mutable { done(std::move(out)); });
}

}  // namespace spoke
