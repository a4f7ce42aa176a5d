// The compatibility checker (check_compatibility in every mode) and the diff (diff_schemas) on a
// pair of schemas, built one of two ways:
//  - text: the input holds a line "#new"; the text before it is the older version, after it the
//    newer, each in fuzz_proto_compile's format ("#file PATH" lines split files), validated and
//    compiled as a push does;
//  - structured: otherwise the bytes drive a generator that builds the two versions side by side
//    as FileDescriptorProtos: each decision is drawn once and, now and then, drawn again for the
//    newer version, so the pair differs in a few places (types, numbers, labels, names, oneofs,
//    options, reserved ranges, presence of fields, values, messages, enums, methods, files).
// The first byte picks the mode checked besides the invariants (BACKWARD, FORWARD, FULL, each
// also transitive: modulo 6).
//
// SPOKE_FUZZ_PRINT=1 in the environment prints a generated pair (to turn an input into a test).
//
// Invariants: each version is compatible with itself; FULL is compatible exactly when BACKWARD
// and FORWARD both are; FORWARD's findings are BACKWARD's with the versions swapped (minus the
// *_NO_DELETE rules); a BACKWARD error shows as a breaking change in the diff; a version's diff
// with itself is empty.

#include <fuzzer/FuzzedDataProvider.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "registry/compat/compatibility.hpp"
#include "registry/compat/schema_diff.hpp"
#include "registry/compat/schema_image.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using namespace spoke;
using spoke::fuzz::require;
namespace pb = google::protobuf;

using ImagePtr = std::unique_ptr<SchemaImage>;

// ---- The structured front end ----

// Draws each decision for the older version and, with a small chance, again for the newer.
class PairDraw {
  public:
    explicit PairDraw(FuzzedDataProvider& fdp) : fdp_(fdp) {}

    std::pair<int, int> pick(int n) {
        const int a = fdp_.ConsumeIntegralInRange<int>(0, n - 1);
        int b = a;
        if (fdp_.ConsumeIntegralInRange<int>(0, 15) == 15) {
            b = fdp_.ConsumeIntegralInRange(0, n - 1);
        }
        return {a, b};
    }
    // The same value on both sides, drawn once (structure the pair shares).
    int shared(int n) { return fdp_.ConsumeIntegralInRange<int>(0, n - 1); }

  private:
    FuzzedDataProvider& fdp_;
};

// The two versions under construction: index 0 older, 1 newer.
struct Side {
    pb::FileDescriptorProto* file = nullptr;
    bool proto3 = false;
    std::string package;
};
using Sides = std::array<Side, 2>;

constexpr std::array<pb::FieldDescriptorProto::Type, 18> kTypes = {
    pb::FieldDescriptorProto::TYPE_INT32,    pb::FieldDescriptorProto::TYPE_INT64,
    pb::FieldDescriptorProto::TYPE_UINT32,   pb::FieldDescriptorProto::TYPE_UINT64,
    pb::FieldDescriptorProto::TYPE_SINT32,   pb::FieldDescriptorProto::TYPE_SINT64,
    pb::FieldDescriptorProto::TYPE_FIXED32,  pb::FieldDescriptorProto::TYPE_FIXED64,
    pb::FieldDescriptorProto::TYPE_SFIXED32, pb::FieldDescriptorProto::TYPE_SFIXED64,
    pb::FieldDescriptorProto::TYPE_BOOL,     pb::FieldDescriptorProto::TYPE_FLOAT,
    pb::FieldDescriptorProto::TYPE_DOUBLE,   pb::FieldDescriptorProto::TYPE_STRING,
    pb::FieldDescriptorProto::TYPE_BYTES,    pb::FieldDescriptorProto::TYPE_ENUM,
    pb::FieldDescriptorProto::TYPE_MESSAGE,  pb::FieldDescriptorProto::TYPE_GROUP,
};

std::string default_for(pb::FieldDescriptorProto::Type type, int variant) {
    switch (type) {
        case pb::FieldDescriptorProto::TYPE_BOOL:
            return variant ? "true" : "false";
        case pb::FieldDescriptorProto::TYPE_STRING:
        case pb::FieldDescriptorProto::TYPE_BYTES:
            return variant ? "x\\001y" : "";
        case pb::FieldDescriptorProto::TYPE_FLOAT:
        case pb::FieldDescriptorProto::TYPE_DOUBLE:
            return variant ? "inf" : "1.5";
        case pb::FieldDescriptorProto::TYPE_INT32:
        case pb::FieldDescriptorProto::TYPE_INT64:
        case pb::FieldDescriptorProto::TYPE_SINT32:
        case pb::FieldDescriptorProto::TYPE_SINT64:
        case pb::FieldDescriptorProto::TYPE_SFIXED32:
        case pb::FieldDescriptorProto::TYPE_SFIXED64:
            return variant ? "-7" : "0";
        default:
            return variant ? "7" : "0";
    }
}

class Generator {
  public:
    explicit Generator(FuzzedDataProvider& fdp) : draw_(fdp) {}

    // Fills `sets` (older, newer) with a.proto, b.proto (importing a.proto) and, when a field
    // uses it, google/protobuf/timestamp.proto first. `own` gets each side's own paths.
    void run(std::array<pb::FileDescriptorSet, 2>& sets,
             std::array<std::vector<std::string>, 2>& own) {
        std::array<pb::FileDescriptorProto, 2> a, b;
        file(a, "a.proto", "A", /*imports_a=*/false);
        const auto b_present = draw_.pick(4);  // 0: absent
        const bool any_b = b_present.first != 0 || b_present.second != 0;
        if (any_b) file(b, "b.proto", "B", /*imports_a=*/true);
        for (int s = 0; s < 2; ++s) {
            if (uses_timestamp_[s]) {
                pb::Timestamp::descriptor()->file()->CopyTo(sets[s].add_file());
                a[s].add_dependency("google/protobuf/timestamp.proto");
                if (any_b) b[s].add_dependency("google/protobuf/timestamp.proto");
            }
            *sets[s].add_file() = a[s];
            own[s].push_back("a.proto");
            const int present = s == 0 ? b_present.first : b_present.second;
            if (any_b && present != 0) {
                *sets[s].add_file() = b[s];
                own[s].push_back("b.proto");
            }
        }
    }

  private:
    void file(std::array<pb::FileDescriptorProto, 2>& f, const char* path, const char* prefix,
              bool imports_a) {
        static const char* kPackages[] = {"acme.v1", "acme.v2", "", "other"};
        const auto syntax = draw_.pick(2);
        const auto package = draw_.pick(4);
        Sides sides;
        for (int s = 0; s < 2; ++s) {
            f[s].set_name(path);
            const bool proto3 = (s == 0 ? syntax.first : syntax.second) == 1;
            if (proto3) f[s].set_syntax("proto3");
            const char* pkg = kPackages[s == 0 ? package.first : package.second];
            if (*pkg) f[s].set_package(pkg);
            if (imports_a) f[s].add_dependency("a.proto");
            sides[s] = Side{&f[s], proto3, pkg};
            if (!imports_a) a_package_[s] = pkg;
        }
        file_options(sides);
        const int enums = draw_.shared(3);
        for (int i = 0; i < enums; ++i) {
            const std::string name = std::string(prefix) + "E" + std::to_string(i);
            enum_type(
                sides, name, [&](int s) { return sides[s].file->add_enum_type(); }, draw_.pick(4));
        }
        const int messages = 1 + draw_.shared(3);
        for (int i = 0; i < messages; ++i) {
            const std::string name = std::string(prefix) + "M" + std::to_string(i);
            message(sides, name, "", 0, draw_.pick(6));
        }
        const int services = draw_.shared(2);
        for (int i = 0; i < services; ++i)
            service(sides, std::string(prefix) + "S" + std::to_string(i));
        extensions(sides, prefix);
    }

    void file_options(Sides& sides) {
        static const char* kValues[] = {"", "com.acme", "com.other"};
        for (int option = 0; option < 12; ++option) {
            const auto v = draw_.pick(option == 0 ? 8 : 3);  // usually none set
            for (int s = 0; s < 2; ++s) {
                const int value = s == 0 ? v.first : v.second;
                if (value == 0 || value > 2) continue;
                pb::FileOptions* o = sides[s].file->mutable_options();
                switch (option) {
                    case 0:
                        o->set_java_package(kValues[value]);
                        break;
                    case 1:
                        o->set_go_package(kValues[value]);
                        break;
                    case 2:
                        o->set_java_multiple_files(value == 1);
                        break;
                    case 3:
                        o->set_optimize_for(value == 1 ? pb::FileOptions::LITE_RUNTIME
                                                       : pb::FileOptions::CODE_SIZE);
                        break;
                    case 4:
                        o->set_cc_enable_arenas(value == 1);
                        break;
                    case 5:
                        o->set_csharp_namespace(kValues[value]);
                        break;
                    case 6:
                        o->set_objc_class_prefix(value == 1 ? "ACM" : "OTH");
                        break;
                    case 7:
                        o->set_java_outer_classname(value == 1 ? "Outer" : "Other");
                        break;
                    case 8:
                        o->set_php_namespace(kValues[value]);
                        break;
                    case 9:
                        o->set_ruby_package(kValues[value]);
                        break;
                    case 10:
                        o->set_swift_prefix(value == 1 ? "AC" : "OT");
                        break;
                    case 11:
                        o->set_cc_generic_services(value == 1);
                        break;
                }
            }
        }
    }

    template <class AddEnum>
    void enum_type(Sides& sides, const std::string& name, AddEnum add,
                   std::pair<int, int> present) {
        // Presence: 0 absent on that side.
        std::array<pb::EnumDescriptorProto*, 2> e{};
        for (int s = 0; s < 2; ++s) {
            if ((s == 0 ? present.first : present.second) == 0) continue;
            e[s] = add(s);
            e[s]->set_name(name);
        }
        const int values = 1 + draw_.shared(4);
        for (int slot = 0; slot < values; ++slot) {
            const auto here = draw_.pick(5);     // 0: absent
            const auto number = draw_.pick(4);   // slot, slot + 10, -1, 0
            const auto renamed = draw_.pick(3);  // 0: the slot's name
            for (int s = 0; s < 2; ++s) {
                if (e[s] == nullptr || (s == 0 ? here.first : here.second) == 0) continue;
                const int n = s == 0 ? number.first : number.second;
                const int r = s == 0 ? renamed.first : renamed.second;
                pb::EnumValueDescriptorProto* v = e[s]->add_value();
                // Enum values are scoped in the enum's parent: prefix them with the enum's name.
                v->set_name(name + (r == 0 ? "_V" : r == 1 ? "_W" : "_X") + std::to_string(slot));
                v->set_number(slot == 0 && sides[s].proto3 ? 0
                              : n == 0                     ? slot
                              : n == 1                     ? slot + 10
                              : n == 2                     ? -1
                                                           : 0);
            }
        }
        const auto alias = draw_.pick(3);
        const auto reserved = draw_.pick(4);
        for (int s = 0; s < 2; ++s) {
            if (e[s] == nullptr) continue;
            // At least one value; in proto3 the first is zero.
            if (e[s]->value_size() == 0 || (sides[s].proto3 && e[s]->value(0).number() != 0)) {
                auto* v = e[s]->add_value();
                v->set_name(name + "_ZERO");
                v->set_number(0);
                for (int i = e[s]->value_size() - 1; i > 0; --i) {
                    e[s]->mutable_value()->SwapElements(i, i - 1);
                }
            }
            if ((s == 0 ? alias.first : alias.second) == 1)
                e[s]->mutable_options()->set_allow_alias(true);
            const int r = s == 0 ? reserved.first : reserved.second;
            if (r & 1) {
                auto* range = e[s]->add_reserved_range();
                range->set_start(20);
                range->set_end(r == 3 ? std::numeric_limits<int32_t>::max() : 22);
            }
            if (r & 2) e[s]->add_reserved_name(name + "_V3");
        }
    }

    void message(Sides& sides, const std::string& name, const std::string& scope, int depth,
                 std::pair<int, int> present) {
        std::array<pb::DescriptorProto*, 2> m{};
        for (int s = 0; s < 2; ++s) {
            if ((s == 0 ? present.first : present.second) == 0) continue;
            if (depth > 0 && nested_target_[s] == nullptr) continue;  // its parent is absent
            m[s] = depth == 0 ? sides[s].file->add_message_type()
                              : nested_target_[s]->add_nested_type();
            m[s]->set_name(name);
        }
        const std::string full = scope.empty() ? name : scope + "." + name;
        const int oneofs = draw_.shared(3);
        for (int s = 0; s < 2; ++s) {
            for (int i = 0; m[s] != nullptr && i < oneofs; ++i) {
                m[s]->add_oneof_decl()->set_name("choice" + std::to_string(i));
            }
        }
        // Nested types first, so fields may name them.
        if (depth < 2) {
            const int nested = draw_.shared(3);
            for (int i = 0; i < nested; ++i) {
                const auto saved = nested_target_;
                nested_target_ = m;
                message(sides, "N" + std::to_string(i), full, depth + 1, draw_.pick(5));
                nested_target_ = saved;
            }
            if (draw_.shared(3) == 0) {
                // Absent where the message is: present only on sides that have it.
                auto present = draw_.pick(5);
                if (m[0] == nullptr) present.first = 0;
                if (m[1] == nullptr) present.second = 0;
                enum_type(
                    sides, "NE", [&m](int s) { return m[s]->add_enum_type(); }, present);
            }
        }
        const int fields = draw_.shared(7);
        for (int slot = 0; slot < fields; ++slot) field(sides, m, full, slot, oneofs);
        const auto reserved = draw_.pick(8);
        const auto extension_range = draw_.pick(3);
        const auto accessor = draw_.pick(4);
        for (int s = 0; s < 2; ++s) {
            if (m[s] == nullptr) continue;
            const int r = s == 0 ? reserved.first : reserved.second;
            if (r & 1) {
                auto* range = m[s]->add_reserved_range();
                range->set_start(3);
                range->set_end(5);
            }
            if (r & 2) {
                auto* range = m[s]->add_reserved_range();
                range->set_start(50);
                range->set_end(r & 4 ? 536870912 : 60);
            }
            if (r & 4) m[s]->add_reserved_name("f2");
            const int x = s == 0 ? extension_range.first : extension_range.second;
            if (x != 0 && !sides[s].proto3) {
                auto* range = m[s]->add_extension_range();
                range->set_start(x == 1 ? 100 : 1000);
                range->set_end(x == 1 ? 200 : 2000);
            }
            if ((s == 0 ? accessor.first : accessor.second) == 1) {
                m[s]->mutable_options()->set_no_standard_descriptor_accessor(true);
            }
        }
        if (depth == 0) {
            for (int s = 0; s < 2; ++s) {
                if (m[s] != nullptr) top_messages_[s].push_back("." + qualify(sides[s], full));
            }
        }
        // A oneof without fields does not link: drop those; then the synthetic oneofs (proto3
        // optional) come after the real ones.
        for (int s = 0; s < 2; ++s) {
            if (m[s] == nullptr) continue;
            std::vector<int> renumbered(static_cast<size_t>(m[s]->oneof_decl_size()), -1);
            for (const auto& f : m[s]->field()) {
                if (f.has_oneof_index()) renumbered[static_cast<size_t>(f.oneof_index())] = 0;
            }
            pb::DescriptorProto kept;
            for (int i = 0; i < m[s]->oneof_decl_size(); ++i) {
                if (renumbered[static_cast<size_t>(i)] < 0) continue;
                renumbered[static_cast<size_t>(i)] = kept.oneof_decl_size();
                *kept.add_oneof_decl() = m[s]->oneof_decl(i);
            }
            m[s]->mutable_oneof_decl()->Swap(kept.mutable_oneof_decl());
            for (auto& f : *m[s]->mutable_field()) {
                if (f.has_oneof_index()) {
                    f.set_oneof_index(renumbered[static_cast<size_t>(f.oneof_index())]);
                }
            }
            for (auto& f : *m[s]->mutable_field()) {
                if (!f.proto3_optional()) continue;
                f.set_oneof_index(m[s]->oneof_decl_size());
                m[s]->add_oneof_decl()->set_name("_" + f.name());
            }
        }
    }

    // What protoc names a map field's entry: "field_name" -> "FieldName" (+ "Entry").
    static std::string camel_case(const std::string& name) {
        std::string out;
        bool upper = true;
        for (char c : name) {
            if (c == '_') {
                upper = true;
                continue;
            }
            out += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
            upper = false;
        }
        return out;
    }

    static std::string qualify(const Side& side, const std::string& name) {
        return side.package.empty() ? name : side.package + "." + name;
    }

    void field(Sides& sides, const std::array<pb::DescriptorProto*, 2>& m, const std::string& full,
               int slot, int oneofs) {
        const auto here = draw_.pick(6);  // 0: absent
        const auto number = draw_.pick(5);
        const auto name = draw_.pick(4);
        const auto label = draw_.pick(4);
        const auto type = draw_.pick(static_cast<int>(kTypes.size()) + 2);
        const auto target = draw_.pick(4);
        const auto oneof = draw_.pick(oneofs + 2);
        const auto json = draw_.pick(4);
        const auto def = draw_.pick(4);
        const auto packed = draw_.pick(5);
        const auto jstype = draw_.pick(5);
        const auto ctype = draw_.pick(6);
        for (int s = 0; s < 2; ++s) {
            if (m[s] == nullptr || (s == 0 ? here.first : here.second) == 0) continue;
            auto v = [s](std::pair<int, int> p) { return s == 0 ? p.first : p.second; };
            const Side& side = sides[s];
            pb::FieldDescriptorProto* f = m[s]->add_field();
            static const char* kNames[] = {"f", "g", "field_", "F"};
            f->set_name(kNames[v(name)] + std::to_string(slot));
            static const int kNumbers[] = {0, 10, 536870911, 1, 19000};
            f->set_number(v(number) == 0 ? slot + 1
                                         : kNumbers[v(number)] + (v(number) == 1 ? slot : 0));
            const int l = v(label);
            f->set_label(l == 1                   ? pb::FieldDescriptorProto::LABEL_REPEATED
                         : l == 2 && !side.proto3 ? pb::FieldDescriptorProto::LABEL_REQUIRED
                                                  : pb::FieldDescriptorProto::LABEL_OPTIONAL);
            const int t = v(type);
            const bool map = t == static_cast<int>(kTypes.size());
            const bool timestamp = t == static_cast<int>(kTypes.size()) + 1;
            if (map) {
                // A map<string, int64 or the message's own type>: its entry is a nested type.
                const std::string entry = camel_case(f->name()) + "Entry";
                pb::DescriptorProto* e = m[s]->add_nested_type();
                e->set_name(entry);
                e->mutable_options()->set_map_entry(true);
                pb::FieldDescriptorProto* key = e->add_field();
                key->set_name("key");
                key->set_number(1);
                key->set_label(pb::FieldDescriptorProto::LABEL_OPTIONAL);
                key->set_type(v(target) & 1 ? pb::FieldDescriptorProto::TYPE_INT32
                                            : pb::FieldDescriptorProto::TYPE_STRING);
                pb::FieldDescriptorProto* value = e->add_field();
                value->set_name("value");
                value->set_number(2);
                value->set_label(pb::FieldDescriptorProto::LABEL_OPTIONAL);
                if (v(target) & 2) {
                    value->set_type(pb::FieldDescriptorProto::TYPE_MESSAGE);
                    value->set_type_name("." + qualify(side, full));
                } else {
                    value->set_type(pb::FieldDescriptorProto::TYPE_INT64);
                }
                f->set_label(pb::FieldDescriptorProto::LABEL_REPEATED);
                f->set_type(pb::FieldDescriptorProto::TYPE_MESSAGE);
                f->set_type_name("." + qualify(side, full) + "." + entry);
                continue;
            }
            if (timestamp) {
                f->set_type(pb::FieldDescriptorProto::TYPE_MESSAGE);
                f->set_type_name(".google.protobuf.Timestamp");
                uses_timestamp_[s] = true;
            } else {
                const auto ft = kTypes[t];
                f->set_type(ft);
                if (ft == pb::FieldDescriptorProto::TYPE_MESSAGE ||
                    ft == pb::FieldDescriptorProto::TYPE_GROUP) {
                    // Itself, or an earlier top-level message of either file.
                    const auto& known = top_messages_[s];
                    const int k = v(target);
                    f->set_type_name(k == 0 || known.empty()
                                         ? "." + qualify(side, full)
                                         : known[static_cast<size_t>(k) % known.size()]);
                } else if (ft == pb::FieldDescriptorProto::TYPE_ENUM) {
                    // An enum of a.proto (AE0, AE1, AE2; the generator may not have made it).
                    const std::string& package = a_package_[s];
                    const std::string enum_name = "AE" + std::to_string(v(target) % 3);
                    f->set_type_name("." +
                                     (package.empty() ? enum_name : package + "." + enum_name));
                }
                if (!side.proto3 && v(def) != 0 && ft != pb::FieldDescriptorProto::TYPE_MESSAGE &&
                    ft != pb::FieldDescriptorProto::TYPE_GROUP &&
                    ft != pb::FieldDescriptorProto::TYPE_ENUM && l != 1) {
                    f->set_default_value(default_for(ft, v(def) - 1));
                }
            }
            const int o = v(oneof);
            if (o >= 2 && l != 1) {
                f->set_oneof_index(o - 2);
            } else if (side.proto3 && o == 1 && l != 1 && !timestamp) {
                f->set_proto3_optional(true);
            }
            if (v(json) == 1) f->set_json_name("jsonName" + std::to_string(slot));
            if (v(json) == 2) f->set_json_name("other");
            // Options where they are valid (elsewhere they only make the version not link),
            // but packed on any repeated field now and then.
            const auto ft = f->type();
            const bool scalar = ft != pb::FieldDescriptorProto::TYPE_MESSAGE &&
                                ft != pb::FieldDescriptorProto::TYPE_GROUP &&
                                ft != pb::FieldDescriptorProto::TYPE_STRING &&
                                ft != pb::FieldDescriptorProto::TYPE_BYTES;
            if ((v(packed) == 1 || v(packed) == 2) && l == 1 && (scalar || v(packed) == 2)) {
                f->mutable_options()->set_packed(v(packed) == 1);
            }
            const bool int64 = ft == pb::FieldDescriptorProto::TYPE_INT64 ||
                               ft == pb::FieldDescriptorProto::TYPE_UINT64 ||
                               ft == pb::FieldDescriptorProto::TYPE_SINT64 ||
                               ft == pb::FieldDescriptorProto::TYPE_FIXED64 ||
                               ft == pb::FieldDescriptorProto::TYPE_SFIXED64;
            if ((v(jstype) == 1 || v(jstype) == 2) && int64) {
                f->mutable_options()->set_jstype(v(jstype) == 1 ? pb::FieldOptions::JS_STRING
                                                                : pb::FieldOptions::JS_NUMBER);
            }
            if (v(ctype) == 1 || v(ctype) == 2) {
                f->mutable_options()->set_ctype(v(ctype) == 1 ? pb::FieldOptions::CORD
                                                              : pb::FieldOptions::STRING_PIECE);
            }
            if (v(ctype) == 3) f->mutable_options()->set_deprecated(true);
        }
    }

    void service(Sides& sides, const std::string& name) {
        const auto present = draw_.pick(5);
        std::array<pb::ServiceDescriptorProto*, 2> svc{};
        for (int s = 0; s < 2; ++s) {
            if ((s == 0 ? present.first : present.second) == 0) continue;
            svc[s] = sides[s].file->add_service();
            svc[s]->set_name(name);
        }
        const int methods = 1 + draw_.shared(3);
        for (int i = 0; i < methods; ++i) {
            const auto here = draw_.pick(6);
            const auto input = draw_.pick(3);
            const auto output = draw_.pick(3);
            const auto streaming = draw_.pick(4);
            const auto idempotency = draw_.pick(4);
            for (int s = 0; s < 2; ++s) {
                if (svc[s] == nullptr || (s == 0 ? here.first : here.second) == 0) continue;
                auto v = [s](std::pair<int, int> p) { return s == 0 ? p.first : p.second; };
                pb::MethodDescriptorProto* method = svc[s]->add_method();
                method->set_name("Call" + std::to_string(i));
                // A top-level message made so far, or Timestamp.
                const auto type_of = [&](int k) {
                    const auto& known = top_messages_[s];
                    if (k == 2 || known.empty()) return std::string(".google.protobuf.Timestamp");
                    return known[static_cast<size_t>(k) % known.size()];
                };
                method->set_input_type(type_of(v(input)));
                method->set_output_type(type_of(v(output)));
                if (method->input_type().starts_with(".google") ||
                    method->output_type().starts_with(".google")) {
                    uses_timestamp_[s] = true;
                }
                if (v(streaming) & 1) method->set_client_streaming(true);
                if (v(streaming) & 2) method->set_server_streaming(true);
                if (v(idempotency) != 0) {
                    method->mutable_options()->set_idempotency_level(
                        static_cast<pb::MethodOptions::IdempotencyLevel>(v(idempotency) - 1));
                }
            }
        }
    }

    // proto2 extensions of the file's first message (valid when it declares 100-199).
    void extensions(Sides& sides, const char* prefix) {
        const int count = draw_.shared(3);
        for (int i = 0; i < count; ++i) {
            const auto here = draw_.pick(4);
            const auto type = draw_.pick(3);
            for (int s = 0; s < 2; ++s) {
                if ((s == 0 ? here.first : here.second) == 0 || sides[s].proto3) continue;
                pb::FieldDescriptorProto* x = sides[s].file->add_extension();
                x->set_name(std::string("ext_") + prefix + std::to_string(i));
                x->set_number(100 + i);
                x->set_label(pb::FieldDescriptorProto::LABEL_OPTIONAL);
                x->set_type((s == 0 ? type.first : type.second) == 0
                                ? pb::FieldDescriptorProto::TYPE_INT32
                                : pb::FieldDescriptorProto::TYPE_STRING);
                x->set_extendee("." + qualify(sides[s], std::string(prefix) + "M0"));
            }
        }
    }

    PairDraw draw_;
    std::array<pb::DescriptorProto*, 2> nested_target_{};
    std::array<std::vector<std::string>, 2> top_messages_;
    std::array<bool, 2> uses_timestamp_{};
    std::array<std::string, 2> a_package_;
};

std::optional<std::array<ImagePtr, 2>> structured_pair(const uint8_t* data, size_t size) {
    FuzzedDataProvider fdp(data, size);
    std::array<pb::FileDescriptorSet, 2> sets;
    std::array<std::vector<std::string>, 2> own;
    Generator(fdp).run(sets, own);
    if (std::getenv("SPOKE_FUZZ_PRINT") != nullptr) {
        // For turning an input into a test: the generated pair as text.
        for (int s = 0; s < 2; ++s) {
            std::fprintf(stderr, "==== %s\n%s", s == 0 ? "older" : "newer",
                         sets[s].DebugString().c_str());
        }
    }
    std::array<ImagePtr, 2> images;
    for (int s = 0; s < 2; ++s) {
        std::string bytes;
        require(sets[s].SerializeToString(&bytes), "a generated set does not serialize");
        auto image = SchemaImage::from_descriptor_set(bytes, own[s]);
        if (!image) return std::nullopt;  // the generator made something that does not link
        images[s] = std::move(*image);
    }
    return images;
}

// ---- The text front end ----

std::optional<ImagePtr> compile_text(std::string_view text) {
    auto split = spoke::fuzz::split_files(text, "main.proto");
    auto own = spoke::fuzz::validated(std::move(split.own), "fuzz");
    if (!own) return std::nullopt;
    std::vector<ProtoFile> dependency;
    if (!split.dependency.empty()) {
        auto dep = spoke::fuzz::validated(std::move(split.dependency), "dep");
        if (!dep) return std::nullopt;
        dependency = std::move(*dep);
    }
    auto compiled = spoke::fuzz::compile_like_push(*own, dependency);
    if (!compiled) return std::nullopt;
    std::vector<std::string> paths;
    for (const auto& f : *own) paths.push_back(f.path);
    auto image = SchemaImage::from_descriptor_set(compiled->descriptor_set, std::move(paths));
    require(image.ok(), "a compiled set does not link as a SchemaImage");
    return std::move(*image);
}

std::optional<std::array<ImagePtr, 2>> text_pair(std::string_view text, size_t separator) {
    auto older = compile_text(text.substr(0, separator));
    if (!older) return std::nullopt;
    auto newer = compile_text(text.substr(separator + std::string_view("#new\n").size()));
    if (!newer) return std::nullopt;
    return std::array<ImagePtr, 2>{std::move(*older), std::move(*newer)};
}

// ---- The checks ----

using Key = std::tuple<std::string, std::string, std::string>;
Key key_of(const Violation& v) {
    return {v.rule, v.element, v.message};
}

void check_pair(const SchemaImage& older, const SchemaImage& newer, CompatMode picked) {
    (void)check_compatibility(older, newer, picked);
    const CompatReport backward = check_compatibility(older, newer, CompatMode::Backward);
    const CompatReport forward = check_compatibility(older, newer, CompatMode::Forward);
    const CompatReport full = check_compatibility(older, newer, CompatMode::Full);
    require(full.compatible() == (backward.compatible() && forward.compatible()),
            "FULL disagrees with BACKWARD and FORWARD");
    require(full.error_count >= backward.error_count && full.error_count >= forward.error_count,
            "FULL found fewer errors than one of its directions");

    const CompatReport swapped = check_compatibility(newer, older, CompatMode::Backward);
    std::set<Key> swapped_keys;
    for (const Violation& v : swapped.violations) swapped_keys.insert(key_of(v));
    for (const Violation& v : forward.violations) {
        require(swapped_keys.count(key_of(v)) != 0,
                "a FORWARD finding is not a BACKWARD finding of the swapped pair: " + v.rule + " " +
                    v.message);
    }

    const std::vector<SchemaChange> changes = diff_schemas(older, newer);
    if (!backward.compatible()) {
        bool breaking = false;
        for (const SchemaChange& c : changes) breaking = breaking || c.severity == "breaking";
        const Violation* first = nullptr;
        for (const Violation& v : backward.violations) {
            if (first == nullptr && v.level == ViolationLevel::Error) first = &v;
        }
        require(breaking, "the diff shows no breaking change but BACKWARD fails: " + first->rule +
                              " " + first->message);
    }

    for (const SchemaImage* image : {&older, &newer}) {
        const CompatReport self = check_compatibility(*image, *image, CompatMode::Full);
        require(self.violations.empty(),
                "a version is incompatible with itself: " +
                    (self.violations.empty() ? std::string() : self.violations.front().rule));
        require(diff_schemas(*image, *image).empty(), "a version differs from itself");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    static constexpr CompatMode kModes[] = {
        CompatMode::Backward,           CompatMode::Forward,           CompatMode::Full,
        CompatMode::BackwardTransitive, CompatMode::ForwardTransitive, CompatMode::FullTransitive,
    };
    const CompatMode mode = kModes[data[0] % 6];
    const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    size_t separator = text.starts_with("#new\n") ? 0 : text.find("\n#new\n");
    if (separator != std::string_view::npos && separator != 0) ++separator;  // keep the newline
    auto pair = separator != std::string_view::npos ? text_pair(text, separator)
                                                    : structured_pair(data + 1, size - 1);
    if (!pair) return 0;
    check_pair(*(*pair)[0], *(*pair)[1], mode);
    return 0;
}
