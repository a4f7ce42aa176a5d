#include "backends/postgres/pg_router.hpp"

#include <string>
#include <utility>

namespace spoke {

void PgRouter::route(PgStatement s) {
    PgEndpoint* ep = nullptr;
    if (s.route == PgRoute::Read) ep = pick_replica();
    dispatch(ep != nullptr ? *ep : primary(), std::move(s));
}

PgEndpoint* PgRouter::pick_replica() {
    const size_t replicas = monitor_.size();
    size_t n = 0;
    for (size_t i = 0; i < replicas; ++i)
        if (monitor_.eligible(i)) ++n;
    if (n == 0) return nullptr;
    size_t k = next_replica_++ % n;
    for (size_t i = 0; i < replicas; ++i)
        if (monitor_.eligible(i) && k-- == 0) return endpoints_[1 + i].get();
    return nullptr;
}

void PgRouter::dispatch(PgEndpoint& ep, PgStatement s) {
    const Admission admission = ep.breaker().admit();
    if (!admission.allowed) {
        if (ep.replica() && s.may_leave_replica()) {
            s.rerouted = true;
            to_primary(std::move(s));
            return;
        }
        ep.fail_later(std::move(s), {PgErrorKind::Connection, "",
                                     ep.name() + ": circuit open, retry in " +
                                         std::to_string(admission.retry_after_ms) + "ms"});
        return;
    }
    ep.enqueue(std::move(s), admission);
}

}  // namespace spoke
