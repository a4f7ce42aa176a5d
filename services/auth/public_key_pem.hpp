#pragma once
// PEM SubjectPublicKeyInfo text for the public keys libjwt verifies with: built from JWK
// parameters, or read back out of a PEM file (OpenSSL 3).
// PemPublicKey: one key read from a PEM file, re-encoded on its own.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "services/auth/jwt_key_set.hpp"

namespace spoke {

// RSA weaker than this is refused wherever a key comes from.
inline constexpr int kMinRsaBits = 2048;

// From a JWK's big-endian modulus and exponent bytes. Errors (bad_request) say what is wrong.
Result<std::string> rsa_public_key_pem(std::string_view modulus, std::string_view exponent);
// From a JWK's P-256 coordinates (32 bytes each); refuses a point not on the curve.
Result<std::string> ec_p256_public_key_pem(std::string_view x, std::string_view y);

struct PemPublicKey {
    JwtKeyKind kind = JwtKeyKind::Rsa;
    std::string pem;  // this key alone
};

// Every "-----BEGIN PUBLIC KEY-----" block of `text`, in order; any other kind of block (a
// private key, a certificate, PKCS#1 "RSA PUBLIC KEY"), an RSA key under kMinRsaBits or an EC
// key off P-256 is an error naming the block by its 1-based position.
Result<std::vector<PemPublicKey>> read_pem_public_keys(std::string_view text);

}  // namespace spoke
