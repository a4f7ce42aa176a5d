#include "backends/schema_references_json.hpp"

#include <cstdlib>
#include <memory>

namespace spoke {
namespace {

struct JsonDeleter {
    void operator()(json_t* j) const { json_decref(j); }
};
using JsonPtr = std::unique_ptr<json_t, JsonDeleter>;

}  // namespace

json_t* references_to_json(const std::vector<SchemaReference>& refs) {
    JsonPtr array(json_array());
    if (!array) return nullptr;
    for (const auto& r : refs) {
        JsonPtr ref(json_object());
        json_t* name = json_stringn(r.name.data(), r.name.size());
        json_t* subject = json_stringn(r.subject.data(), r.subject.size());
        if (!ref || json_object_set_new(ref.get(), "name", name) != 0 ||
            json_object_set_new(ref.get(), "subject", subject) != 0 ||
            json_object_set_new(ref.get(), "version", json_integer(r.version)) != 0 ||
            json_array_append(array.get(), ref.get()) != 0) {
            return nullptr;
        }
    }
    return array.release();
}

bool references_from_json(const json_t* array, std::vector<SchemaReference>& out) {
    if (!json_is_array(array)) return false;
    size_t i;
    const json_t* v;
    json_array_foreach(array, i, v) {
        const json_t* name = json_object_get(v, "name");
        const json_t* subject = json_object_get(v, "subject");
        const json_t* version = json_object_get(v, "version");
        if (!json_is_string(name) || !json_is_string(subject) || !json_is_integer(version)) {
            return false;
        }
        out.push_back(
            SchemaReference{std::string(json_string_value(name), json_string_length(name)),
                            std::string(json_string_value(subject), json_string_length(subject)),
                            static_cast<int64_t>(json_integer_value(version))});
    }
    return true;
}

Result<std::string> encode_references(const std::vector<SchemaReference>& refs) {
    JsonPtr array(references_to_json(refs));
    if (!array) return Error::internal("could not serialize a schema's references");
    std::unique_ptr<char, decltype(&std::free)> text(json_dumps(array.get(), JSON_COMPACT),
                                                     &std::free);
    if (!text) return Error::internal("could not serialize a schema's references");
    return std::string(text.get());
}

Result<std::vector<SchemaReference>> decode_references(std::string_view text) {
    json_error_t err;
    JsonPtr array(json_loadb(text.data(), text.size(), 0, &err));
    std::vector<SchemaReference> out;
    if (!array || !references_from_json(array.get(), out)) {
        return Error::internal("a stored schema's references are malformed");
    }
    return out;
}

}  // namespace spoke
