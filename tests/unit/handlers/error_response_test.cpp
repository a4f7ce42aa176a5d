#include "handlers/error_response.hpp"

#include <gtest/gtest.h>

#include "handlers/json_codec.hpp"

namespace spoke {
namespace {

JsonPtr body_of(const ErrorReply& r) {
    json_error_t err;
    JsonPtr j(json_loads(r.body.c_str(), 0, &err));
    EXPECT_TRUE(j) << r.body;
    return j;
}

TEST(ErrorResponse, MapsEveryCode) {
    struct Case {
        ErrorCode code;
        int status;
        const char* name;
    };
    for (const Case& c : {Case{ErrorCode::BadRequest, 400, "BAD_REQUEST"},
                          Case{ErrorCode::NotFound, 404, "NOT_FOUND"},
                          Case{ErrorCode::ModuleExists, 409, "MODULE_EXISTS"},
                          Case{ErrorCode::VersionExists, 409, "VERSION_EXISTS"},
                          Case{ErrorCode::Incompatible, 409, "INCOMPATIBLE"},
                          Case{ErrorCode::PayloadTooLarge, 413, "PAYLOAD_TOO_LARGE"},
                          Case{ErrorCode::InvalidProto, 422, "INVALID_PROTO"},
                          Case{ErrorCode::UnknownDependency, 422, "UNKNOWN_DEPENDENCY"},
                          Case{ErrorCode::UnresolvedImport, 422, "UNRESOLVED_IMPORT"},
                          Case{ErrorCode::Unavailable, 503, "UNAVAILABLE"},
                          Case{ErrorCode::Internal, 500, "INTERNAL"}}) {
        const ErrorReply r = render_error(Error{c.code, "what went wrong", {}});
        EXPECT_EQ(r.status, c.status) << c.name;
        EXPECT_EQ(r.retry_after, c.code == ErrorCode::Unavailable) << c.name;
        JsonPtr body = body_of(r);
        EXPECT_STREQ(json_string_value(json_object_get(body.get(), "code")), c.name);
        EXPECT_EQ(json_object_get(body.get(), "details"), nullptr);
    }
}

TEST(ErrorResponse, InternalMessageIsGeneric) {
    const ErrorReply r = render_error(Error::internal("open /var/lib/spoke/x: EIO"));
    EXPECT_EQ(r.body.find("/var/lib"), std::string::npos);
    JsonPtr body = body_of(r);
    EXPECT_STREQ(json_string_value(json_object_get(body.get(), "error")), "internal error");
}

TEST(ErrorResponse, DetailsForProtoErrors) {
    Error e{ErrorCode::InvalidProto, "a.proto: syntax error", {{"a.proto", 2, 5, "expected ;"}}};
    JsonPtr body = body_of(render_error(e));
    EXPECT_STREQ(json_string_value(json_object_get(body.get(), "error")), "a.proto: syntax error");
    const json_t* details = json_object_get(body.get(), "details");
    ASSERT_EQ(json_array_size(details), 1u);
    const json_t* d = json_array_get(details, 0);
    EXPECT_STREQ(json_string_value(json_object_get(d, "file")), "a.proto");
    EXPECT_EQ(json_integer_value(json_object_get(d, "line")), 2);
    EXPECT_EQ(json_integer_value(json_object_get(d, "column")), 5);
    EXPECT_STREQ(json_string_value(json_object_get(d, "message")), "expected ;");
}

TEST(ErrorResponse, MessagesWithBadBytesStayValidJson) {
    const ErrorReply r = render_error(Error::bad_request(std::string("file \"a\xff.proto\"")));
    JsonPtr body = body_of(r);
    EXPECT_TRUE(json_is_string(json_object_get(body.get(), "error")));
}

TEST(ErrorResponse, ErrorBodyShape) {
    EXPECT_EQ(error_body("no such route", "NOT_FOUND"),
              R"({"error":"no such route","code":"NOT_FOUND"})");
}

}  // namespace
}  // namespace spoke
