#include "backends/s3/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <new>

#include "common/hex.hpp"
#include "registry/digest.hpp"

namespace spoke {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr char kHexUpper[] = "0123456789ABCDEF";

using Bytes = std::string;  // raw HMAC output; std::string keeps it a value type

Bytes hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    // One-shot HMAC over in-memory buffers fails only when OpenSSL cannot allocate, which is the
    // same condition std::string reports as bad_alloc.
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), md,
             &len) == nullptr) {
        throw std::bad_alloc();
    }
    return Bytes(reinterpret_cast<const char*>(md), len);
}

bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

std::string lowercase(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

// Trims both ends and collapses each inner run of spaces to one, as the spec requires of values.
std::string canonical_header_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    bool pending_space = false;
    for (char c : value) {
        if (is_space(c)) {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) out += ' ';
        pending_space = false;
        out += c;
    }
    return out;
}

// Resolves "." and ".." and drops empty segments; the result always starts with '/'.
std::string normalize_path(std::string_view path) {
    std::vector<std::string_view> segments;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        std::string_view segment = path.substr(start, end - start);
        if (segment == "..") {
            if (!segments.empty()) segments.pop_back();
        } else if (!segment.empty() && segment != ".") {
            segments.push_back(segment);
        }
        start = end + 1;
    }
    std::string out;
    for (std::string_view segment : segments) {
        out += '/';
        out.append(segment);
    }
    if (out.empty() || (!path.empty() && path.back() == '/')) out += '/';
    return out;
}

std::string canonical_query_string(const std::vector<std::pair<std::string, std::string>>& query) {
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(query.size());
    for (const auto& [name, value] : query) {
        encoded.emplace_back(uri_encode(name, true), uri_encode(value, true));
    }
    // Sorted by encoded name, then encoded value: the byte order AWS compares in.
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded) {
        if (!out.empty()) out += '&';
        out += name;
        out += '=';
        out += value;
    }
    return out;
}

}  // namespace

std::string uri_encode(std::string_view bytes, bool encode_slash) {
    std::string out;
    out.reserve(bytes.size());
    for (unsigned char c : bytes) {
        if (is_unreserved(c) || (c == '/' && !encode_slash)) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHexUpper[c >> 4];
            out += kHexUpper[c & 0xf];
        }
    }
    return out;
}

std::string canonical_uri(std::string_view raw_path, std::string_view service) {
    if (service == "s3") return raw_path.empty() ? "/" : uri_encode(raw_path, false);
    return uri_encode(normalize_path(raw_path), false);
}

SigV4Signature sign_v4(const SigV4Request& request, const SigV4Credentials& credentials,
                       std::string_view amz_date) {
    SigV4Signature out;
    out.canonical_uri = canonical_uri(request.path, credentials.service);
    out.canonical_query = canonical_query_string(request.query);

    // std::map sorts the lowercase names; repeated names keep their values in the order given.
    std::map<std::string, std::string> headers;
    for (const auto& [name, value] : request.headers) {
        std::string& joined = headers[lowercase(name)];
        if (!joined.empty()) joined += ',';
        joined += canonical_header_value(value);
    }
    std::string canonical_headers;
    for (const auto& [name, value] : headers) {
        canonical_headers += name + ':' + value + '\n';
        if (!out.signed_headers.empty()) out.signed_headers += ';';
        out.signed_headers += name;
    }

    out.canonical_request = request.method + '\n' + out.canonical_uri + '\n' + out.canonical_query +
                            '\n' + canonical_headers + '\n' + out.signed_headers + '\n' +
                            request.payload_sha256_hex;

    const std::string date(amz_date.substr(0, 8));
    const std::string scope =
        date + '/' + credentials.region + '/' + credentials.service + "/aws4_request";
    out.string_to_sign = std::string(kAlgorithm) + '\n' + std::string(amz_date) + '\n' + scope +
                         '\n' + sha256_hex(out.canonical_request);

    const Bytes k_date = hmac_sha256("AWS4" + credentials.secret_key, date);
    const Bytes k_region = hmac_sha256(k_date, credentials.region);
    const Bytes k_service = hmac_sha256(k_region, credentials.service);
    const Bytes k_signing = hmac_sha256(k_service, "aws4_request");
    out.signature = lower_hex(hmac_sha256(k_signing, out.string_to_sign));

    out.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key + '/' +
                        scope + ", SignedHeaders=" + out.signed_headers +
                        ", Signature=" + out.signature;
    return out;
}

}  // namespace spoke
