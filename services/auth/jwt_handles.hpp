#pragma once
// Owning pointers for the C handles the JWT code holds (OpenSSL, jansson, libjwt): each frees
// its handle with the library's own release call.

#include <jansson.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>

namespace spoke::jwt_handles {

struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};
struct BignumFree {
    void operator()(BIGNUM* b) const { BN_free(b); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct ParamBldFree {
    void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
    void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct OpensslFree {
    void operator()(void* p) const { OPENSSL_free(p); }
};
struct JsonDecref {
    void operator()(json_t* j) const { json_decref(j); }
};
struct JwtFree {
    void operator()(jwt_t* j) const { jwt_free(j); }
};

using BioPtr = std::unique_ptr<BIO, BioFree>;
using BignumPtr = std::unique_ptr<BIGNUM, BignumFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, ParamFree>;
// For what OpenSSL allocates with OPENSSL_malloc (PEM_read_bio's name, header and data).
template <class T>
using OpensslBufferPtr = std::unique_ptr<T, OpensslFree>;
using JsonPtr = std::unique_ptr<json_t, JsonDecref>;
using JwtPtr = std::unique_ptr<jwt_t, JwtFree>;

}  // namespace spoke::jwt_handles
