#pragma once
// AWS Signature Version 4 (header auth, AWS4-HMAC-SHA256): pure string work, no I/O, no clock.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spoke {

// One HTTP request as the signer needs to see it.
struct SigV4Request {
    std::string method;  // "GET", "PUT", ... sent as given
    // The RAW, decoded path ("/bucket/proto-files/a b"): the signer percent-encodes it. Send
    // SigV4Signature::canonical_uri on the wire so what is signed is what is sent (for s3).
    std::string path;
    // RAW, decoded name/value pairs in any order; the signer encodes and sorts them. An empty
    // value is signed as "name=". Send SigV4Signature::canonical_query on the wire.
    std::vector<std::pair<std::string, std::string>> query;
    // Every header here is signed. It must hold "host" and "x-amz-date" (equal to amz_date), and
    // for s3 also "x-amz-content-sha256". A repeated name is signed as its values joined by ','
    // in the order given. Names are case-insensitive.
    std::vector<std::pair<std::string, std::string>> headers;
    // Lowercase hex SHA-256 of the body (registry/digest.hpp's sha256_hex), or "UNSIGNED-PAYLOAD".
    std::string payload_sha256_hex;
};

// Who signs, and for which scope. service is "s3" for S3; anything else gets path normalization.
struct SigV4Credentials {
    std::string access_key;
    std::string secret_key;
    std::string region;
    std::string service;
};

// Every intermediate of one signing, so a SignatureDoesNotMatch can be compared step by step.
struct SigV4Signature {
    std::string canonical_uri;    // also the path to put on the wire
    std::string canonical_query;  // also the query string to put on the wire (without '?')
    std::string signed_headers;   // "host;x-amz-date"
    std::string canonical_request;
    std::string string_to_sign;
    std::string signature;      // lowercase hex
    std::string authorization;  // value of the Authorization header
};

// Signs `request` at `amz_date` (ISO 8601 basic, "20150830T123600Z"; its first 8 characters are
// the scope date). The caller supplies the date so the signer stays deterministic.
SigV4Signature sign_v4(const SigV4Request& request, const SigV4Credentials& credentials,
                       std::string_view amz_date);

// Percent-encodes every byte except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~), with
// uppercase hex; '/' is kept unless encode_slash. Query names and values use encode_slash=true.
std::string uri_encode(std::string_view bytes, bool encode_slash);

// The canonical URI of a raw path. For s3: encoded once, never normalized ("//a/./b" stays).
// For other services: "." and ".." segments resolved and empty segments dropped (a trailing
// '/' kept), then encoded once. That matches the published test suite, whose paths are raw;
// AWS's "encode twice" rule for non-S3 services applies to an already-encoded wire path.
std::string canonical_uri(std::string_view raw_path, std::string_view service);

}  // namespace spoke
