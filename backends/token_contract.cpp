#include "backends/token_contract.hpp"

#include <algorithm>
#include <string>

namespace spoke::token_contract {

bool is_secret_hash(std::string_view hash) {
    if (hash.size() != 64) return false;
    return std::all_of(hash.begin(), hash.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Error malformed_secret_hash() {
    return Error::bad_request("token secret hash must be 64 lowercase hex characters");
}

Error token_missing(std::string_view id) {
    return Error::not_found("token " + quote_value(id) + " does not exist");
}

Error token_clash() {
    return Error::internal("a token with the same id or secret hash is already stored");
}

void sort_tokens(std::vector<ApiToken>& tokens) {
    std::sort(tokens.begin(), tokens.end(), [](const ApiToken& a, const ApiToken& b) {
        if (a.created_at != b.created_at) return a.created_at < b.created_at;
        return a.id < b.id;
    });
}

}  // namespace spoke::token_contract
