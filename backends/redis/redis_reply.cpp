#include "backends/redis/redis_reply.hpp"

#include <hiredis/hiredis.h>

#include <cstring>

namespace spoke {

RedisReply RedisReply::copy_of(const redisReply& reply) {
    RedisReply out;
    switch (reply.type) {
        case REDIS_REPLY_STATUS:
            out.type = Type::Status;
            out.str.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_ERROR:
            out.type = Type::Error;
            out.str.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_INTEGER:
            out.type = Type::Integer;
            out.integer = reply.integer;
            break;
        case REDIS_REPLY_STRING:
            out.type = Type::String;
            out.str.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_ARRAY:
            out.type = Type::Array;
            out.elements.reserve(reply.elements);
            for (size_t i = 0; i < reply.elements; ++i) {
                out.elements.push_back(copy_of(*reply.element[i]));
            }
            break;
        default:
            break;
    }
    return out;
}

bool RedisReply::is_error(const char* prefix) const {
    return type == Type::Error && str.compare(0, std::strlen(prefix), prefix) == 0;
}

}  // namespace spoke
