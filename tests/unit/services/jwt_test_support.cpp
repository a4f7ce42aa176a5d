#include "tests/unit/services/jwt_test_support.hpp"

#include <jwt.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <vector>

#include "services/auth/base64url.hpp"
#include "services/auth/jwt_handles.hpp"

namespace spoke::testing {
namespace {

using namespace jwt_handles;

struct EcdsaSigFree {
    void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct CFree {
    void operator()(char* p) const { std::free(p); }
};

void require(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("test setup failed: ") + what);
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<size_t>(len));
}

TestKeyPair pair_of(EVP_PKEY* key) {
    BioPtr priv(BIO_new(BIO_s_mem()));
    BioPtr pub(BIO_new(BIO_s_mem()));
    require(PEM_write_bio_PrivateKey(priv.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
            "write private PEM");
    require(PEM_write_bio_PUBKEY(pub.get(), key) == 1, "write public PEM");
    return {bio_text(priv.get()), bio_text(pub.get())};
}

PkeyPtr read_private(const std::string& pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    require(key != nullptr, "read private PEM");
    return key;
}

PkeyPtr read_public(const std::string& pem) {
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    require(key != nullptr, "read public PEM");
    return key;
}

std::string bn_bytes(const BIGNUM* bn, int width = 0) {
    std::vector<unsigned char> out(static_cast<size_t>(width ? width : BN_num_bytes(bn)));
    require(BN_bn2binpad(bn, out.data(), static_cast<int>(out.size())) >= 0, "BN_bn2binpad");
    return std::string(out.begin(), out.end());
}

std::string b64_param(EVP_PKEY* key, const char* name, int width = 0) {
    BIGNUM* raw = nullptr;
    require(EVP_PKEY_get_bn_param(key, name, &raw) == 1, name);
    BignumPtr bn(raw);
    return base64url_encode(bn_bytes(bn.get(), width));
}

std::string digest_sign(const std::string& private_pem, std::string_view input) {
    PkeyPtr key = read_private(private_pem);
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    require(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1,
            "DigestSignInit");
    size_t len = 0;
    auto in = reinterpret_cast<const unsigned char*>(input.data());
    require(EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) == 1, "DigestSign size");
    std::string sig(len, '\0');
    require(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                           input.size()) == 1,
            "DigestSign");
    sig.resize(len);
    return sig;
}

// OpenSSL writes ECDSA signatures as DER; JOSE wants R || S, 32 bytes each.
std::string der_to_jose(const std::string& der) {
    auto p = reinterpret_cast<const unsigned char*>(der.data());
    std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(
        d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
    require(sig != nullptr, "d2i_ECDSA_SIG");
    return bn_bytes(ECDSA_SIG_get0_r(sig.get()), 32) + bn_bytes(ECDSA_SIG_get0_s(sig.get()), 32);
}

}  // namespace

TestKeyPair make_rsa_key(int bits) {
    PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
    require(key != nullptr, "RSA keygen");
    return pair_of(key.get());
}

TestKeyPair make_ec_p256_key() {
    return make_ec_key("P-256");
}

TestKeyPair make_ec_key(const char* curve) {
    PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
    require(key != nullptr, "EC keygen");
    return pair_of(key.get());
}

std::string rsa_jwk_members(const TestKeyPair& pair) {
    PkeyPtr key = read_public(pair.public_pem);
    return "\"kty\":\"RSA\",\"n\":\"" + b64_param(key.get(), OSSL_PKEY_PARAM_RSA_N) +
           "\",\"e\":\"" + b64_param(key.get(), OSSL_PKEY_PARAM_RSA_E) + "\"";
}

std::string ec_jwk_members(const TestKeyPair& pair) {
    PkeyPtr key = read_public(pair.public_pem);
    return "\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" +
           b64_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32) + "\",\"y\":\"" +
           b64_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32) + "\"";
}

std::string sign_by_hand(std::string_view header_json, std::string_view claims_json,
                         std::string_view alg, std::string_view key) {
    const std::string input = base64url_encode(header_json) + "." + base64url_encode(claims_json);
    std::string sig;
    if (alg == "HS256") {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
        sig.assign(reinterpret_cast<char*>(mac), len);
    } else if (alg == "RS256") {
        sig = digest_sign(std::string(key), input);
    } else if (alg == "ES256") {
        sig = der_to_jose(digest_sign(std::string(key), input));
    }
    return input + "." + base64url_encode(sig);
}

std::string sign_with_libjwt(std::string_view claims_json, std::string_view alg,
                             std::string_view key, std::string_view kid) {
    jwt_t* raw = nullptr;
    require(jwt_new(&raw) == 0, "jwt_new");
    JwtPtr jwt(raw);
    require(jwt_add_grants_json(jwt.get(), std::string(claims_json).c_str()) == 0,
            "jwt_add_grants_json");
    if (!kid.empty()) {
        require(jwt_add_header(jwt.get(), "kid", std::string(kid).c_str()) == 0, "kid");
    }
    require(jwt_set_alg(jwt.get(), jwt_str_alg(std::string(alg).c_str()),
                        reinterpret_cast<const unsigned char*>(key.data()),
                        static_cast<int>(key.size())) == 0,
            "jwt_set_alg");
    std::unique_ptr<char, CFree> text(jwt_encode_str(jwt.get()));
    require(text != nullptr, "jwt_encode_str");
    return text.get();
}

}  // namespace spoke::testing
