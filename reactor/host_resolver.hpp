#pragma once
// HostResolver: turns a host name into a numeric address on one loop without blocking it
// (libevent's evdns), so backends can be configured by name and follow a name that moves when a
// managed database fails over (each reconnect resolves again; nothing is cached here).

#include <string>
#include <vector>

#include "common/result.hpp"
#include "reactor/callback.hpp"

struct evdns_base;
struct addrinfo;

namespace spoke {

class EventLoop;

class HostResolver {
  public:
    // Reads `resolv_conf` (and /etc/hosts) once, here, on the constructing thread; an empty
    // path means /etc/resolv.conf.
    explicit HostResolver(EventLoop& loop, const std::string& resolv_conf = {});
    // Pending lookups are cancelled; their callbacks are destroyed unrun.
    ~HostResolver();
    HostResolver(const HostResolver&) = delete;
    HostResolver& operator=(const HostResolver&) = delete;

    // The resolver configuration every loop's resolver reads (SPOKE_RESOLV_CONF); set once at
    // start-up, before any loop makes its resolver. Empty: /etc/resolv.conf.
    static void set_resolv_conf(std::string path);
    static const std::string& resolv_conf();

    // Loop thread. Completes later on the loop (never inside the call) with the name's numeric
    // addresses, IPv4 first ("127.0.0.1", "::1"); a numeric `host` is returned as it is.
    // Unavailable when the name does not resolve (evdns gives up after its own timeout).
    void resolve(const std::string& host, Callback<void(Result<std::vector<std::string>>)> done);

  private:
    struct Lookup;
    static void on_answer(int result, struct addrinfo* answer, void* arg);

    EventLoop& loop_;
    evdns_base* dns_ = nullptr;
};

// True for a literal IPv4 or IPv6 address.
bool is_numeric_host(const std::string& host);

}  // namespace spoke
