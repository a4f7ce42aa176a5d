#include "services/auth/auth_counters.hpp"

namespace spoke {

std::string_view auth_outcome_label(AuthOutcome outcome) {
    switch (outcome) {
        case AuthOutcome::Missing:
            return "missing";
        case AuthOutcome::Malformed:
            return "malformed";
        case AuthOutcome::Unknown:
            return "unknown_token";
        case AuthOutcome::Expired:
            return "expired";
        case AuthOutcome::Revoked:
            return "revoked";
        case AuthOutcome::JwtInvalid:
            return "jwt_invalid";
        case AuthOutcome::Forbidden:
            return "forbidden";
        case AuthOutcome::Throttled:
            return "throttled";
        case AuthOutcome::kCount:
            break;
    }
    return "unknown";
}

}  // namespace spoke
