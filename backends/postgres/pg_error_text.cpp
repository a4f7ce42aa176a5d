#include "backends/postgres/pg_error_text.hpp"

namespace spoke {

std::string operator_error_text(std::string_view message) {
    const size_t nl = message.find('\n');
    if (nl != std::string_view::npos) message = message.substr(0, nl);
    if (message.find("connection info string") != std::string_view::npos ||
        message.find("URI") != std::string_view::npos)
        return "invalid connection string";
    if (message.size() > 200) message = message.substr(0, 200);
    return std::string(message);
}

}  // namespace spoke
