#pragma once
// ConfluentHandler: the HTTP adapter of Confluent's Schema Registry dialect (docs/confluent.md)
// over SubjectService and SchemaRegistration. Replies in application/vnd.schemaregistry.v1+json,
// errors as {"error_code", "message"}.

#include <string_view>

#include "reactor/router.hpp"

namespace spoke {

struct Services;
struct LoopServices;
class HttpExchange;

class ConfluentHandler {
  public:
    ConfluentHandler(LoopServices& services, Services& app) : services_(services), app_(app) {}

    void schema_types(HttpExchange& ex, const RouteParams& params) const;
    void schema_by_id(HttpExchange& ex, const RouteParams& params) const;
    void schema_text_by_id(HttpExchange& ex, const RouteParams& params) const;
    void schema_versions(HttpExchange& ex, const RouteParams& params) const;
    void schema_subjects(HttpExchange& ex, const RouteParams& params) const;
    void subjects(HttpExchange& ex, const RouteParams& params) const;
    void versions(HttpExchange& ex, const RouteParams& params) const;
    void version(HttpExchange& ex, const RouteParams& params) const;
    void version_text(HttpExchange& ex, const RouteParams& params) const;
    void referenced_by(HttpExchange& ex, const RouteParams& params) const;
    void register_schema(HttpExchange& ex, const RouteParams& params) const;
    void lookup(HttpExchange& ex, const RouteParams& params) const;
    void delete_subject(HttpExchange& ex, const RouteParams& params) const;
    void delete_version(HttpExchange& ex, const RouteParams& params) const;
    void check(HttpExchange& ex, const RouteParams& params) const;
    void get_config(HttpExchange& ex, const RouteParams& params) const;
    void put_config(HttpExchange& ex, const RouteParams& params) const;
    void delete_config(HttpExchange& ex, const RouteParams& params) const;
    void get_mode(HttpExchange& ex, const RouteParams& params) const;
    void put_mode(HttpExchange& ex, const RouteParams& params) const;
    void delete_mode(HttpExchange& ex, const RouteParams& params) const;

  private:
    LoopServices& services_;
    Services& app_;
};

}  // namespace spoke
