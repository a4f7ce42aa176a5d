#pragma once
// RedisReply: an owned copy of one RESP2 reply (hiredis frees its own reply when the callback
// returns, and our completions run later).

#include <cstdint>
#include <string>
#include <vector>

struct redisReply;

namespace spoke {

struct RedisReply {
    enum class Type { Nil, Status, Error, Integer, String, Array };
    Type type = Type::Nil;
    int64_t integer = 0;
    std::string str;  // Status, Error and String
    std::vector<RedisReply> elements;

    static RedisReply copy_of(const redisReply& reply);
    bool is_error() const { return type == Type::Error; }
    // An error reply that starts with `prefix` ("NOSCRIPT", "READONLY", ...).
    bool is_error(const char* prefix) const;
};

}  // namespace spoke
