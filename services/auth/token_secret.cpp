#include "services/auth/token_secret.hpp"

#include <openssl/crypto.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include "common/hex.hpp"
#include "registry/digest.hpp"
#include "services/auth/base64url.hpp"

namespace spoke {

namespace {

constexpr std::string_view kSecretPrefix = "spoke_";
constexpr size_t kSecretBytes = 32;
constexpr size_t kSecretChars = 43;  // base64url of 32 bytes, unpadded

bool fill_random(unsigned char* out, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(out + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        got += static_cast<size_t>(r);
    }
    return true;
}

std::string_view as_chars(const unsigned char* data, size_t n) {
    return {reinterpret_cast<const char*>(data), n};
}

}  // namespace

Result<NewTokenSecret> make_token_secret() {
    unsigned char secret[kSecretBytes];
    unsigned char id[8];
    if (!fill_random(secret, sizeof secret) || !fill_random(id, sizeof id)) {
        return Error::internal(std::string("getrandom failed: ") + std::strerror(errno));
    }
    NewTokenSecret out;
    out.id = "tok_" + lower_hex(as_chars(id, sizeof id));
    out.secret = std::string(kSecretPrefix) + base64url_encode(as_chars(secret, sizeof secret));
    out.hash = token_secret_hash(out.secret);
    OPENSSL_cleanse(secret, sizeof secret);
    return out;
}

std::string token_secret_hash(std::string_view secret) {
    return sha256_hex(secret);
}

bool looks_like_token_secret(std::string_view text) {
    if (!text.starts_with(kSecretPrefix)) return false;
    text.remove_prefix(kSecretPrefix.size());
    if (text.size() != kSecretChars) return false;
    for (char c : text) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

bool equal_in_constant_time(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace spoke
