#include "backends/storage.hpp"

namespace spoke {

bool is_artifact_key(std::string_view key) {
    if (key.size() != 64) return false;
    for (char c : key) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return true;
}

std::string artifact_location(std::string_view key) {
    std::string out = "artifacts/";
    out.append(key.substr(0, 2)).append(1, '/').append(key);
    return out;
}

}  // namespace spoke
