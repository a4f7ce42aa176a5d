#pragma once
// Tokens signed by another implementation, PyJWT 2.6.0 (Debian 12's python3-jwt), with the
// public keys and the JWKS PyJWT wrote for them (RSAAlgorithm/ECAlgorithm.to_jwk). Generated
// once: the unit tests must not need Python. Claims: sub "pyjwt-user", iss
// "https://idp.example", aud "spoke", scope "read write", iat 2023-11-14, exp 2100-01-01.

namespace spoke::testing {

inline constexpr const char* kPyJwtEs256Token =
    "eyJhbGciOiJFUzI1NiIsImtpZCI6InB5LWVjIiwidHlwIjoiSldUIn0.eyJzdWIiOiJweWp3dC11c2VyIiwiaXNz"
    "IjoiaHR0cHM6Ly9pZHAuZXhhbXBsZSIsImF1ZCI6InNwb2tlIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3MDAw"
    "MDAwMDAsInNjb3BlIjoicmVhZCB3cml0ZSJ9.zZ2GOFklV2ZWL66j7dfWuyc2xYhwmUs_DYIwHeFPnso4VFfHVlh"
    "7D3WYH86eXs6ap0FzOhUjiUCSMkOsk-IK0g";

inline constexpr const char* kPyJwtRs256Token =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6InB5LXJzYSIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJweWp3dC11c2VyIiwiaXN"
    "zIjoiaHR0cHM6Ly9pZHAuZXhhbXBsZSIsImF1ZCI6InNwb2tlIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3MDA"
    "wMDAwMDAsInNjb3BlIjoicmVhZCB3cml0ZSJ9.S_aSJsaNhJ78AzWxiVo_kBlRnCUjpZAZKrqptzHCLKC4N4gCDI"
    "dGfHVfob1LuNQsL0KBgevuoQs4bxcU-W50G1qzralumbpOUE3flkaojaiUp7caCLjiQ-bfZbZ6xWbRhFzuF9KEtI"
    "PHInFdCjqpf3Qz7qgFuZhbG6KVvKMgcV3yfGm-ysTGEylaIqpoet6NBfuYDRjsZCoqPDqRdmL6gM7v20Td5eCp_D"
    "1jWTbV72PECRvCDTOWjSjmimyMcdv3TFPODbcTQDH9S28fYlRR313NMR6PQEQbkOBbV-pWgG8fWRCW_kBFA5lEZt"
    "PCUXZhELAZ8Swl0ywZWJ1KEm4VQQ";

// The EC P-256 key (kid "py-ec") and then the RSA 2048 key (kid "py-rsa").
inline constexpr const char* kPyJwtPublicKeysPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEDqQgtt/IR2ATzr02n+XUGUtTTKWF\n"
    "uFTw/yLPn/luKH6DuEQqySgkWFo7FvZ+usqmKUcslQN/v0YkZnKOk4pzuw==\n"
    "-----END PUBLIC KEY-----\n"
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA2zueVgtvbOidyxJUICjU\n"
    "qckTefftLThGlIL0SNDCxepAoE2djIPkMuaVPfIaPTD8BEOafLDUVg/30oKLWFBx\n"
    "NwkfqIehOhDX9w3v7FGMVUdgmbMbvZAAy3Wdg6YySQzy63b1kRbwFrV2YGq4di4n\n"
    "yrvExSMx8oncM4uZIN9OysH8FaYLaCyS+QQGjsOzjqKgqBQlOS6iQnO5RtYnhztC\n"
    "BSPTFYJELCedX2qW3C2T4W8Grezrr3cdcJIs/A4VpcAURxRR+Ce+pvDdTuWwt+iy\n"
    "HRBI5Nb05qARaLQwYzej69e3QP/QuddZiKPcl57yx5Qp1x6xNUjVIcWFjXflsYt+\n"
    "JQIDAQAB\n"
    "-----END PUBLIC KEY-----\n";

inline constexpr const char* kPyJwtJwks =
    "{\"keys\": [{\"kty\": \"RSA\", \"key_ops\": [\"verify\"], \"n\": \"2zueVgtvbOidyxJUICj"
    "UqckTefftLThGlIL0SNDCxepAoE2djIPkMuaVPfIaPTD8BEOafLDUVg_30oKLWFBxNwkfqIehOhDX9w3v7FGMV"
    "UdgmbMbvZAAy3Wdg6YySQzy63b1kRbwFrV2YGq4di4nyrvExSMx8oncM4uZIN9OysH8FaYLaCyS-QQGjsOzjqK"
    "gqBQlOS6iQnO5RtYnhztCBSPTFYJELCedX2qW3C2T4W8Grezrr3cdcJIs_A4VpcAURxRR-Ce-pvDdTuWwt-iyH"
    "RBI5Nb05qARaLQwYzej69e3QP_QuddZiKPcl57yx5Qp1x6xNUjVIcWFjXflsYt-JQ\", \"e\": \"AQAB\", "
    "\"kid\": \"py-rsa\"}, {\"kty\": \"EC\", \"crv\": \"P-256\", \"x\": \"DqQgtt_IR2ATzr02n"
    "-XUGUtTTKWFuFTw_yLPn_luKH4\", \"y\": \"g7hEKskoJFhaOxb2frrKpilHLJUDf79GJGZyjpOKc7s\", "
    "\"kid\": \"py-ec\"}]}";

}  // namespace spoke::testing
