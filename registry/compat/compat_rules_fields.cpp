// Rules on field pairs: fields of paired messages by number (map entries' key and value
// included), extensions by extendee and number. Type and cardinality in buf's wire and
// wire+JSON groups, oneof membership, explicit defaults, names, JSON names, packed and the
// source-level field options.

#include <google/protobuf/descriptor.pb.h>

#include <cmath>
#include <sstream>

#include "registry/compat/compat_rules.hpp"

namespace spoke::compat {

namespace {

using FD = pb::FieldDescriptor;

// https://protobuf.dev/programming-guides/proto3/#updating: types in one group read each
// other's bytes. string and bytes are kept apart because bytes need not be UTF-8; only
// string -> bytes is allowed (below).
int wire_group(FD::Type type) {
    switch (type) {
        case FD::TYPE_INT32:
        case FD::TYPE_INT64:
        case FD::TYPE_UINT32:
        case FD::TYPE_UINT64:
        case FD::TYPE_BOOL:
            return 1;
        case FD::TYPE_SINT32:
        case FD::TYPE_SINT64:
            return 2;
        case FD::TYPE_STRING:
            return 3;
        case FD::TYPE_BYTES:
            return 4;
        case FD::TYPE_FIXED32:
        case FD::TYPE_SFIXED32:
            return 5;
        case FD::TYPE_FIXED64:
        case FD::TYPE_SFIXED64:
            return 6;
        case FD::TYPE_DOUBLE:
            return 7;
        case FD::TYPE_FLOAT:
            return 8;
        case FD::TYPE_GROUP:
            return 9;
        case FD::TYPE_MESSAGE:
            return 10;
        case FD::TYPE_ENUM:
            return 11;
    }
    return 0;
}

// The intersection of wire and JSON compatibility: JSON writes 64-bit integers as strings
// and bools as true/false, so those leave the 32-bit varint group.
int wire_json_group(FD::Type type) {
    switch (type) {
        case FD::TYPE_INT32:
        case FD::TYPE_UINT32:
            return 1;
        case FD::TYPE_INT64:
        case FD::TYPE_UINT64:
            return 2;
        case FD::TYPE_FIXED32:
        case FD::TYPE_SFIXED32:
            return 3;
        case FD::TYPE_FIXED64:
        case FD::TYPE_SFIXED64:
            return 4;
        default:
            return 100 + static_cast<int>(type);  // alone in its group
    }
}

// Presence does not change the bytes; repeated and map share them on the wire, not in JSON.
int cardinality_wire_group(Cardinality c) {
    switch (c) {
        case Cardinality::OptionalExplicit:
        case Cardinality::OptionalImplicit:
            return 1;
        case Cardinality::Required:
            return 2;
        case Cardinality::Repeated:
        case Cardinality::Map:
            return 3;
    }
    return 0;
}

int cardinality_wire_json_group(Cardinality c) {
    return c == Cardinality::Map ? 4 : cardinality_wire_group(c);
}

// buf's ENUM check for a changed enum type: the same short name and every old value still
// there with its number (so values may be added in the same change).
bool enum_still_compatible(const pb::EnumDescriptor* before, const pb::EnumDescriptor* after) {
    if (before->name() != after->name()) return false;
    for (int i = 0; i < before->value_count(); ++i) {
        const pb::EnumValueDescriptor* value = after->FindValueByName(before->value(i)->name());
        if (value == nullptr || value->number() != before->value(i)->number()) return false;
    }
    return true;
}

class FieldPairCheck {
  public:
    FieldPairCheck(const FD* before, const FD* after, ViolationSink& sink)
        : before_(before), after_(after), sink_(sink), line_(SchemaImage::line_of(after)) {}

    void run() {
        check_type();
        const bool both_map_entries = before_->containing_type()->options().map_entry() &&
                                      after_->containing_type()->options().map_entry();
        // Map entries are generated: their presence is not the user's to change.
        if (!both_map_entries) check_cardinality();
        check_oneof();
        check_default();
        check_names();
        check_packed();
        check_source_options(both_map_entries);
    }

  private:
    void add(const char* rule, ViolationLevel level, const std::string& what, std::string old_value,
             std::string new_value) {
        sink_.add(rule, level, describe_field(after_) + " " + what, after_->file(), line_,
                  field_element(after_), std::move(old_value), std::move(new_value));
    }

    void type_changed(const char* rule, ViolationLevel level, const char* extra = "") {
        const std::string from = field_type_name(before_);
        const std::string to = field_type_name(after_);
        add(rule, level, "changed type from " + quoted(from) + " to " + quoted(to) + "." + extra,
            from, to);
    }

    // Same wire group: messages and groups must keep their type; enums may be renamed only
    // as buf allows.
    bool same_named_type() const {
        switch (after_->type()) {
            case FD::TYPE_MESSAGE:
            case FD::TYPE_GROUP:
                return before_->message_type()->full_name() == after_->message_type()->full_name();
            case FD::TYPE_ENUM:
                return before_->enum_type()->full_name() == after_->enum_type()->full_name() ||
                       enum_still_compatible(before_->enum_type(), after_->enum_type());
            default:
                return true;
        }
    }

    void check_type() {
        const FD::Type from = before_->type();
        const FD::Type to = after_->type();
        bool wire_ok = true;
        if (wire_group(from) != wire_group(to)) {
            wire_ok = from == FD::TYPE_STRING && to == FD::TYPE_BYTES;
        } else {
            wire_ok = same_named_type();
        }
        if (!wire_ok) {
            type_changed("FIELD_WIRE_COMPATIBLE_TYPE", ViolationLevel::Error,
                         from == FD::TYPE_BYTES && to == FD::TYPE_STRING
                             ? " bytes need not be valid UTF-8, which string requires."
                             : "");
            return;
        }
        if (wire_json_group(from) != wire_json_group(to)) {
            type_changed("FIELD_WIRE_JSON_COMPATIBLE_TYPE", ViolationLevel::Warning,
                         " The JSON encodings of the two types differ.");
            return;
        }
        if (from != to || field_type_name(before_) != field_type_name(after_)) {
            type_changed("FIELD_SAME_TYPE", ViolationLevel::Info);
        }
    }

    void check_cardinality() {
        const Cardinality from = cardinality_of(before_);
        const Cardinality to = cardinality_of(after_);
        if (from == to) return;
        const std::string what = std::string("changed cardinality from \"") +
                                 cardinality_name(from) + "\" to \"" + cardinality_name(to) + "\".";
        if (cardinality_wire_group(from) != cardinality_wire_group(to)) {
            add("FIELD_WIRE_COMPATIBLE_CARDINALITY", ViolationLevel::Error, what,
                cardinality_name(from), cardinality_name(to));
        } else if (cardinality_wire_json_group(from) != cardinality_wire_json_group(to)) {
            add("FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY", ViolationLevel::Warning, what,
                cardinality_name(from), cardinality_name(to));
        } else {
            add("FIELD_SAME_CARDINALITY", ViolationLevel::Info, what, cardinality_name(from),
                cardinality_name(to));
        }
    }

    void check_oneof() {
        if (before_->is_extension()) return;
        const pb::OneofDescriptor* from = before_->real_containing_oneof();
        const pb::OneofDescriptor* to = after_->real_containing_oneof();
        if (from == nullptr && to == nullptr) return;
        const std::string old_value = from != nullptr ? from->name() : "";
        const std::string new_value = to != nullptr ? to->name() : "";
        if (from != nullptr && to != nullptr) {
            if (old_value == new_value) return;
            add("FIELD_SAME_ONEOF", ViolationLevel::Error,
                "moved from oneof " + quoted(old_value) + " to oneof " + quoted(new_value) + ".",
                old_value, new_value);
            return;
        }
        add("FIELD_SAME_ONEOF", ViolationLevel::Error,
            from != nullptr ? "moved from inside to outside a oneof."
                            : "moved from outside to inside a oneof.",
            old_value, new_value);
    }

    // A default as buf compares them: strings and bytes by content, everything else as a
    // number (bool and enum included), float vs double at float precision.
    struct DefaultValue {
        bool is_string = false;
        std::string text;       // string/bytes content
        bool is_float = false;  // float or double
        bool is_float32 = false;
        long double number = 0;  // exact for every int64, uint64, float and double
        std::string printable;
        bool zero() const {
            if (is_string) return text.empty();
            if (is_float) {
                // -0.0 and NaN are explicit defaults, as in buf (reflect's IsZero).
                return number == 0 && !std::signbit(number);
            }
            return number == 0;
        }
    };

    static std::string float_text(double d) {
        std::ostringstream out;
        out.precision(17);
        out << d;
        return out.str();
    }

    static DefaultValue default_of(const FD* field) {
        DefaultValue v;
        switch (field->cpp_type()) {
            case FD::CPPTYPE_STRING:
                v.is_string = true;
                v.text = field->default_value_string();
                v.printable = quoted(v.text);
                break;
            case FD::CPPTYPE_BOOL:
                v.number = field->default_value_bool() ? 1 : 0;
                v.printable = field->default_value_bool() ? "true" : "false";
                break;
            case FD::CPPTYPE_INT32:
                v.number = field->default_value_int32();
                v.printable = std::to_string(field->default_value_int32());
                break;
            case FD::CPPTYPE_INT64:
                v.number = static_cast<long double>(field->default_value_int64());
                v.printable = std::to_string(field->default_value_int64());
                break;
            case FD::CPPTYPE_UINT32:
                v.number = field->default_value_uint32();
                v.printable = std::to_string(field->default_value_uint32());
                break;
            case FD::CPPTYPE_UINT64:
                v.number = static_cast<long double>(field->default_value_uint64());
                v.printable = std::to_string(field->default_value_uint64());
                break;
            case FD::CPPTYPE_FLOAT:
                v.is_float = v.is_float32 = true;
                v.number = field->default_value_float();
                v.printable = float_text(field->default_value_float());
                break;
            case FD::CPPTYPE_DOUBLE:
                v.is_float = true;
                v.number = field->default_value_double();
                v.printable = float_text(field->default_value_double());
                break;
            case FD::CPPTYPE_ENUM: {
                const pb::EnumValueDescriptor* value = field->default_value_enum();
                v.number = value != nullptr ? value->number() : 0;
                v.printable = value != nullptr ? field->enum_type()->name() + "." + value->name()
                                               : std::string("0");
                break;
            }
            case FD::CPPTYPE_MESSAGE:
                break;
        }
        return v;
    }

    static bool defaults_equal(const DefaultValue& a, const DefaultValue& b) {
        if (a.is_string || b.is_string) return a.is_string == b.is_string && a.text == b.text;
        const bool a_nan = std::isnan(a.number);
        const bool b_nan = std::isnan(b.number);
        if (a_nan || b_nan) return a_nan && b_nan;
        if (a.is_float && b.is_float && a.is_float32 != b.is_float32) {
            return static_cast<float>(a.number) == static_cast<float>(b.number);
        }
        return a.number == b.number;
    }

    static bool can_have_default(const FD* field) {
        return !field->is_repeated() && field->cpp_type() != FD::CPPTYPE_MESSAGE;
    }

    void check_default() {
        if (!can_have_default(before_) || !can_have_default(after_)) return;
        const DefaultValue from = default_of(before_);
        const DefaultValue to = default_of(after_);
        if (from.zero() && to.zero()) return;
        if (defaults_equal(from, to)) return;
        add("FIELD_SAME_DEFAULT", ViolationLevel::Error,
            "changed default value from " + from.printable + " to " + to.printable + ".",
            from.printable, to.printable);
    }

    void check_names() {
        const std::string from = before_->is_extension() ? before_->full_name() : before_->name();
        const std::string to = after_->is_extension() ? after_->full_name() : after_->name();
        if (from != to) {
            sink_.add("FIELD_SAME_NAME", ViolationLevel::Warning,
                      "Field " + quoted(std::to_string(after_->number())) + " on message " +
                          quoted(after_->containing_type()->full_name()) + " changed name from " +
                          quoted(from) + " to " + quoted(to) + ".",
                      after_->file(), line_, field_element(after_), from, to);
        }
        // JSON names cannot be set on extensions.
        if (before_->is_extension()) return;
        if (before_->json_name() != after_->json_name()) {
            add("FIELD_SAME_JSON_NAME", ViolationLevel::Warning,
                "changed option \"json_name\" from " + quoted(before_->json_name()) + " to " +
                    quoted(after_->json_name()) + ".",
                before_->json_name(), after_->json_name());
        }
    }

    // Parsers accept packed and unpacked encodings of a packable field alike, so this changes
    // only what the writer produces (no buf rule; ours, at info level).
    void check_packed() {
        if (!before_->is_packable() || !after_->is_packable()) return;
        if (before_->is_packed() == after_->is_packed()) return;
        const char* from = before_->is_packed() ? "packed" : "expanded";
        const char* to = after_->is_packed() ? "packed" : "expanded";
        add("FIELD_SAME_PACKED", ViolationLevel::Info,
            std::string("changed encoding from ") + from + " to " + to + ".", from, to);
    }

    static bool is_64bit_integer(const FD* f) {
        switch (f->type()) {
            case FD::TYPE_INT64:
            case FD::TYPE_SINT64:
            case FD::TYPE_UINT64:
            case FD::TYPE_FIXED64:
            case FD::TYPE_SFIXED64:
                return true;
            default:
                return false;
        }
    }

    static bool is_string_like(const FD* f) {
        return f->type() == FD::TYPE_STRING || f->type() == FD::TYPE_BYTES;
    }

    void check_source_options(bool both_map_entries) {
        if (is_64bit_integer(before_) && is_64bit_integer(after_) &&
            before_->options().jstype() != after_->options().jstype()) {
            const std::string from = pb::FieldOptions::JSType_Name(before_->options().jstype());
            const std::string to = pb::FieldOptions::JSType_Name(after_->options().jstype());
            add("FIELD_SAME_JSTYPE", ViolationLevel::Info,
                "changed option \"jstype\" from " + quoted(from) + " to " + quoted(to) + ".", from,
                to);
        }
        if (!both_map_entries && is_string_like(before_) && is_string_like(after_)) {
            const auto from_ctype = before_->options().ctype();
            const auto to_ctype = after_->options().ctype();
            // STRING_PIECE -> STRING is allowed by buf.
            if (from_ctype != to_ctype && !(from_ctype == pb::FieldOptions::STRING_PIECE &&
                                            to_ctype == pb::FieldOptions::STRING)) {
                const std::string from = pb::FieldOptions::CType_Name(from_ctype);
                const std::string to = pb::FieldOptions::CType_Name(to_ctype);
                add("FIELD_SAME_CPP_STRING_TYPE", ViolationLevel::Info,
                    "changed C++ string type from " + quoted(from) + " to " + quoted(to) + ".",
                    from, to);
            }
        }
        if (before_->type() == FD::TYPE_STRING && after_->type() == FD::TYPE_STRING) {
            // proto3 strings must be UTF-8 (VERIFY); proto2 ones are not checked (NONE).
            const bool from = before_->file()->syntax() == pb::FileDescriptor::SYNTAX_PROTO3;
            const bool to = after_->file()->syntax() == pb::FileDescriptor::SYNTAX_PROTO3;
            if (from != to) {
                add("FIELD_SAME_UTF8_VALIDATION", ViolationLevel::Info,
                    std::string("changed UTF8 validation from ") + (from ? "VERIFY" : "NONE") +
                        " to " + (to ? "VERIFY" : "NONE") + ".",
                    from ? "VERIFY" : "NONE", to ? "VERIFY" : "NONE");
            }
        }
    }

    const FD* before_;
    const FD* after_;
    ViolationSink& sink_;
    int line_;
};

}  // namespace

void check_fields(const ImagePair& images, ViolationSink& sink) {
    for (const auto& [name, older] : images.older.messages) {
        auto it = images.newer.messages.find(name);
        if (it == images.newer.messages.end()) continue;
        for (int i = 0; i < older->field_count(); ++i) {
            const FD* before = older->field(i);
            const FD* after = it->second->FindFieldByNumber(before->number());
            if (after != nullptr) FieldPairCheck(before, after, sink).run();
        }
    }
    for (const auto& [key, before] : images.older.extensions) {
        auto it = images.newer.extensions.find(key);
        if (it != images.newer.extensions.end()) FieldPairCheck(before, it->second, sink).run();
    }
}

}  // namespace spoke::compat
