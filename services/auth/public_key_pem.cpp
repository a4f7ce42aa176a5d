#include "services/auth/public_key_pem.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>

#include "services/auth/jwt_handles.hpp"

namespace spoke {
namespace {

using namespace jwt_handles;

// Larger moduli only cost verification time; no identity provider uses them.
constexpr int kMaxRsaBits = 8192;

// OpenSSL queues errors per thread; none of ours should leak into a later, unrelated check.
struct ClearOpensslErrors {
    ~ClearOpensslErrors() { ERR_clear_error(); }
};

Result<std::string> pem_of(EVP_PKEY* key) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
        return Error::internal("could not encode a public key as PEM");
    }
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    if (len <= 0 || data == nullptr) return Error::internal("could not encode a public key as PEM");
    return std::string(data, static_cast<size_t>(len));
}

bool public_check_passes(EVP_PKEY* key) {
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    return ctx && EVP_PKEY_public_check(ctx.get()) == 1;
}

Result<PkeyPtr> key_from_params(const char* type, OSSL_PARAM_BLD* bld) {
    ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
    PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
        return Error::internal(std::string("could not set up OpenSSL to build an ") + type +
                               " key");
    }
    EVP_PKEY* raw = nullptr;
    if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        return Error::bad_request(std::string("OpenSSL refuses the ") + type +
                                  " public key parameters");
    }
    return PkeyPtr(raw);
}

// What a key read from PEM is, or why it cannot verify tokens here.
Result<JwtKeyKind> classify(EVP_PKEY* key) {
    switch (EVP_PKEY_get_base_id(key)) {
        case EVP_PKEY_RSA: {
            int bits = EVP_PKEY_get_bits(key);
            if (bits < kMinRsaBits || bits > kMaxRsaBits) {
                return Error::bad_request("it is an RSA key of " + std::to_string(bits) +
                                          " bits; between " + std::to_string(kMinRsaBits) +
                                          " and " + std::to_string(kMaxRsaBits) + " are accepted");
            }
            return JwtKeyKind::Rsa;
        }
        case EVP_PKEY_EC: {
            char group[64] = {};
            size_t len = 0;
            if (EVP_PKEY_get_group_name(key, group, sizeof group, &len) != 1 ||
                std::strcmp(group, SN_X9_62_prime256v1) != 0) {
                return Error::bad_request(
                    "it is an EC key on a curve other than P-256 (prime256v1)");
            }
            return JwtKeyKind::EcP256;
        }
        default:
            return Error::bad_request("it is neither an RSA nor an EC P-256 key");
    }
}

}  // namespace

Result<std::string> rsa_public_key_pem(std::string_view modulus, std::string_view exponent) {
    ClearOpensslErrors clear;
    auto bytes = [](std::string_view s) {
        return reinterpret_cast<const unsigned char*>(s.data());
    };
    BignumPtr n(BN_bin2bn(bytes(modulus), static_cast<int>(modulus.size()), nullptr));
    BignumPtr e(BN_bin2bn(bytes(exponent), static_cast<int>(exponent.size()), nullptr));
    if (!n || !e) return Error::internal("out of memory decoding an RSA key");
    int bits = BN_num_bits(n.get());
    if (bits < kMinRsaBits || bits > kMaxRsaBits) {
        return Error::bad_request("the RSA modulus n has " + std::to_string(bits) +
                                  " bits; between " + std::to_string(kMinRsaBits) + " and " +
                                  std::to_string(kMaxRsaBits) + " are accepted");
    }
    // OpenSSL verifies with any odd e; a large or even one is a broken key, not a choice.
    if (!BN_is_odd(e.get()) || BN_num_bits(e.get()) < 2 || BN_num_bits(e.get()) > 32) {
        return Error::bad_request("the RSA exponent e is not an odd number from 3 to 2^32");
    }
    ParamBldPtr bld(OSSL_PARAM_BLD_new());
    if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
        return Error::internal("out of memory building an RSA key");
    }
    auto key = key_from_params("RSA", bld.get());
    if (!key.ok()) return std::move(key).error();
    if (!public_check_passes(key->get())) {
        return Error::bad_request("the RSA public key fails OpenSSL's consistency check");
    }
    return pem_of(key->get());
}

Result<std::string> ec_p256_public_key_pem(std::string_view x, std::string_view y) {
    ClearOpensslErrors clear;
    if (x.size() != 32 || y.size() != 32) {
        return Error::bad_request("a P-256 coordinate must be 32 bytes; x has " +
                                  std::to_string(x.size()) + ", y has " + std::to_string(y.size()));
    }
    // SEC 1 uncompressed point: 0x04 || x || y.
    unsigned char point[65];
    point[0] = 0x04;
    std::memcpy(point + 1, x.data(), 32);
    std::memcpy(point + 33, y.data(), 32);
    ParamBldPtr bld(OSSL_PARAM_BLD_new());
    if (!bld ||
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, SN_X9_62_prime256v1,
                                        0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) !=
            1) {
        return Error::internal("out of memory building an EC key");
    }
    auto key = key_from_params("EC", bld.get());
    if (!key.ok()) {
        return Error::bad_request("the point (x, y) is not on the P-256 curve");
    }
    if (!public_check_passes(key->get())) {
        return Error::bad_request("the point (x, y) is not a valid P-256 public key");
    }
    return pem_of(key->get());
}

Result<std::vector<PemPublicKey>> read_pem_public_keys(std::string_view text) {
    ClearOpensslErrors clear;
    BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    if (!bio) return Error::internal("out of memory reading PEM");
    std::vector<PemPublicKey> keys;
    for (int block = 1;; ++block) {
        char* name_raw = nullptr;
        char* header_raw = nullptr;
        unsigned char* data_raw = nullptr;
        long len = 0;
        ERR_clear_error();
        int read = PEM_read_bio(bio.get(), &name_raw, &header_raw, &data_raw, &len);
        OpensslBufferPtr<char> name(name_raw);
        OpensslBufferPtr<char> header(header_raw);
        OpensslBufferPtr<unsigned char> data(data_raw);
        if (read != 1) {
            unsigned long err = ERR_peek_last_error();
            if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
                break;  // no further block: the normal end
            }
            return Error::bad_request("PEM block " + std::to_string(block) +
                                      " is malformed (bad base64 or a missing END line)");
        }
        std::string where = "PEM block " + std::to_string(block);
        if (std::strcmp(name.get(), PEM_STRING_PUBLIC) != 0) {
            return Error::bad_request(where + " is a " + quote_value(name.get()) +
                                      "; only \"PUBLIC KEY\" blocks are accepted");
        }
        const unsigned char* p = data.get();
        PkeyPtr key(d2i_PUBKEY(nullptr, &p, len));
        if (!key || p != data.get() + len) {
            return Error::bad_request(where + " does not hold a valid public key");
        }
        auto kind = classify(key.get());
        if (!kind.ok()) return Error::bad_request(where + ": " + kind.error().message);
        if (!public_check_passes(key.get())) {
            return Error::bad_request(where + " fails OpenSSL's public key check");
        }
        auto pem = pem_of(key.get());
        if (!pem.ok()) return std::move(pem).error();
        keys.push_back({*kind, std::move(*pem)});
    }
    return keys;
}

}  // namespace spoke
