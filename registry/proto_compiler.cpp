#include "registry/proto_compiler.hpp"

#include <google/protobuf/compiler/importer.h>
#include <google/protobuf/compiler/parser.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/stubs/logging.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "registry/memory_source_tree.hpp"
#include "registry/semver.hpp"
#include "registry/well_known_types.hpp"

namespace spoke {
namespace {

namespace pb = google::protobuf;

// Collects parser and validation diagnostics, converting libprotobuf's 0-based positions.
class DiagnosticCollector : public pb::compiler::MultiFileErrorCollector {
  public:
    void AddError(const std::string& filename, int line, int column,
                  const std::string& message) override {
        errors.push_back(to_diagnostic(filename, line, column, message));
    }
    void AddWarning(const std::string& filename, int line, int column,
                    const std::string& message) override {
        warnings.push_back(to_diagnostic(filename, line, column, message));
    }

    std::vector<ProtoDiagnostic> errors;
    std::vector<ProtoDiagnostic> warnings;

  private:
    static ProtoDiagnostic to_diagnostic(const std::string& file, int line, int column,
                                         const std::string& message) {
        // libprotobuf uses line -1 for "the whole file".
        if (line < 0) return {file, 0, 0, message};
        return {file, line + 1, column + 1, message};
    }
};

// Validation errors reach DiagnosticCollector through the database's collector, which finds
// their line and column in the positions the parser recorded; for some (a reserved number in use,
// overlapping reserved ranges) the parser recorded none, and it reports line -1. This wrapper
// notes which element those were about, so that locate_unpositioned can point at the element.
class ElementErrorCollector : public pb::DescriptorPool::ErrorCollector {
  public:
    ElementErrorCollector(pb::DescriptorPool::ErrorCollector* inner, DiagnosticCollector& out)
        : inner_(inner), out_(out) {}

    void AddError(const std::string& filename, const std::string& element_name,
                  const pb::Message* descriptor, ErrorLocation location,
                  const std::string& message) override {
        const size_t before = out_.errors.size();
        inner_->AddError(filename, element_name, descriptor, location, message);
        if (out_.errors.size() == before + 1 && out_.errors.back().line == 0) {
            unpositioned.push_back({before, element_name});
        }
    }
    void AddWarning(const std::string& filename, const std::string& element_name,
                    const pb::Message* descriptor, ErrorLocation location,
                    const std::string& message) override {
        inner_->AddWarning(filename, element_name, descriptor, location, message);
    }

    struct Unpositioned {
        size_t index;  // into DiagnosticCollector::errors
        std::string element;
    };
    std::vector<Unpositioned> unpositioned;

  private:
    pb::DescriptorPool::ErrorCollector* inner_;
    DiagnosticCollector& out_;
};

// Full element name -> the 1-based start of its declaration, from the file's source info.
class ElementPositions {
  public:
    explicit ElementPositions(const pb::FileDescriptorProto& file) {
        for (const auto& loc : file.source_code_info().location()) {
            if (loc.span_size() < 2) continue;
            std::vector<int> path(loc.path().begin(), loc.path().end());
            spans_.emplace(std::move(path), std::make_pair(loc.span(0) + 1, loc.span(1) + 1));
        }
        const std::string scope = file.package().empty() ? "" : file.package() + ".";
        for (int i = 0; i < file.message_type_size(); ++i) {
            add_message(file.message_type(i), scope, {4, i});
        }
        for (int i = 0; i < file.enum_type_size(); ++i) add_enum(file.enum_type(i), scope, {5, i});
        for (int i = 0; i < file.service_size(); ++i) {
            const auto& service = file.service(i);
            add(scope + service.name(), {6, i});
            for (int j = 0; j < service.method_size(); ++j) {
                add(scope + service.name() + "." + service.method(j).name(), {6, i, 2, j});
            }
        }
        for (int i = 0; i < file.extension_size(); ++i) {
            add(scope + file.extension(i).name(), {7, i});
        }
    }

    // {line, column}, or nullptr if the element is not declared in this file.
    const std::pair<int, int>* find(const std::string& element) const {
        auto it = names_.find(element);
        return it == names_.end() ? nullptr : &it->second;
    }

  private:
    void add(const std::string& name, const std::vector<int>& path) {
        auto it = spans_.find(path);
        if (it != spans_.end()) names_.emplace(name, it->second);
    }

    void add_message(const pb::DescriptorProto& m, const std::string& scope,
                     const std::vector<int>& path) {
        const std::string name = scope + m.name();
        add(name, path);
        auto child = [&](int field, int i) {
            std::vector<int> p = path;
            p.push_back(field);
            p.push_back(i);
            return p;
        };
        for (int i = 0; i < m.field_size(); ++i) add(name + "." + m.field(i).name(), child(2, i));
        for (int i = 0; i < m.extension_size(); ++i) {
            add(name + "." + m.extension(i).name(), child(6, i));
        }
        for (int i = 0; i < m.oneof_decl_size(); ++i) {
            add(name + "." + m.oneof_decl(i).name(), child(8, i));
        }
        for (int i = 0; i < m.nested_type_size(); ++i) {
            add_message(m.nested_type(i), name + ".", child(3, i));
        }
        for (int i = 0; i < m.enum_type_size(); ++i)
            add_enum(m.enum_type(i), name + ".", child(4, i));
    }

    void add_enum(const pb::EnumDescriptorProto& e, const std::string& scope,
                  const std::vector<int>& path) {
        const std::string name = scope + e.name();
        add(name, path);
        for (int i = 0; i < e.value_size(); ++i) {
            std::vector<int> p = path;
            p.push_back(2);
            p.push_back(i);
            add(name + "." + e.value(i).name(), p);  // enum values are also named in the scope
            add(scope + e.value(i).name(), p);       // of their enum (C++ scoping rules)
        }
    }

    std::map<std::vector<int>, std::pair<int, int>> spans_;
    std::map<std::string, std::pair<int, int>> names_;
};

// Parses `content` again, with source info, for the positions of its elements.
bool parse_with_source_info(const std::string& path, std::string_view content,
                            pb::FileDescriptorProto& out) {
    // It parsed once already; whatever the tokenizer might say again is dropped.
    struct Silent : pb::io::ErrorCollector {
        void AddError(int, pb::io::ColumnNumber, const std::string&) override {}
    } silent;
    pb::io::ArrayInputStream input(content.data(), static_cast<int>(content.size()));
    pb::io::Tokenizer tokenizer(&input, &silent);
    pb::compiler::Parser parser;
    out.set_name(path);
    return parser.Parse(&tokenizer, &out);
}

// Points each error that came without a position at the start of the element it is about.
void locate_unpositioned(const CompileRequest& request, const ElementErrorCollector& validation,
                         DiagnosticCollector& collector) {
    std::map<std::string, std::unique_ptr<ElementPositions>> positions;  // by file path
    for (const auto& u : validation.unpositioned) {
        ProtoDiagnostic& d = collector.errors[u.index];
        auto it = positions.find(d.file);
        if (it == positions.end()) {
            std::unique_ptr<ElementPositions> found;
            for (const auto& f : request.files) {
                if (f.path != d.file) continue;
                pb::FileDescriptorProto proto;
                if (parse_with_source_info(f.path, f.content, proto)) {
                    found = std::make_unique<ElementPositions>(proto);
                }
            }
            it = positions.emplace(d.file, std::move(found)).first;
        }
        if (!it->second) continue;
        if (const auto* at = it->second->find(u.element)) {
            d.line = at->first;
            d.column = at->second;
        }
    }
}

// Expected compile errors reach us through the collector; libprotobuf's own logging would only
// duplicate them on stderr. Fatal messages still get through.
void quiet_log_handler(pb::LogLevel level, const char* filename, int line,
                       const std::string& message) {
    if (level < pb::LOGLEVEL_FATAL) return;
    std::fprintf(stderr, "[libprotobuf FATAL %s:%d] %s\n", filename, line, message.c_str());
}

void install_log_handler_once() {
    static std::once_flag once;
    std::call_once(once, [] { pb::SetLogHandler(&quiet_log_handler); });
}

Error invalid_proto(std::string message, std::vector<ProtoDiagnostic> details = {}) {
    return Error{ErrorCode::InvalidProto, std::move(message), std::move(details)};
}

std::string position(const ProtoDiagnostic& d) {
    if (d.line <= 0) return d.file;
    return d.file + ":" + std::to_string(d.line) + ":" + std::to_string(d.column);
}

// Every path served once: the version's files, then each dependency's (first of duplicate refs).
Status populate_tree(const CompileRequest& request, MemorySourceTree& tree) {
    std::map<std::string, std::string, std::less<>> provider_of;
    auto provide = [&](const std::string& path, std::string_view content,
                       const std::string& provider) -> Status {
        if (is_reserved_proto_path(path)) {
            return invalid_proto("import path " + path + " is provided by both " + provider +
                                 " and the well-known types (google/protobuf/ is reserved)");
        }
        auto [it, inserted] = provider_of.emplace(path, provider);
        if (!inserted) {
            if (it->second == provider) {
                return invalid_proto("file " + path + " appears twice in " + provider);
            }
            return invalid_proto("import path " + path + " is provided by both " + it->second +
                                 " and " + provider);
        }
        tree.add(path, content);
        return ok_status();
    };
    const std::string own = "this version";
    for (const auto& f : request.files) {
        if (Status s = provide(f.path, f.content, own); !s) return s;
    }
    std::set<std::string> seen_refs;
    for (const auto& dep : request.dependencies) {
        if (!dep) return Error::internal("compile request holds an empty dependency snapshot");
        const auto& rec = dep->record;
        if (!seen_refs.insert(rec.module_name + "@" + version_key(rec.version)).second) continue;
        const std::string provider = "module " + rec.module_name + "@" + rec.version;
        for (const auto& f : dep->files) {
            if (Status s = provide(f.path, f.content, provider); !s) return s;
        }
    }
    return ok_status();
}

Status prescan_all(const CompileRequest& request, const PushLimits& limits) {
    for (const auto& f : request.files) {
        if (Status s = prescan_proto(f, limits); !s) return s;
    }
    for (const auto& dep : request.dependencies) {
        if (!dep) continue;
        for (const auto& f : dep->files) {
            if (Status s = prescan_proto(f, limits); !s) {
                Error e = std::move(s).error();
                e.message = "dependency " + dep->record.module_name + "@" + dep->record.version +
                            ": " + e.message;
                return e;
            }
        }
    }
    return ok_status();
}

// "Import "x.proto" was not found or had errors." -> x.proto (empty if not that message).
std::string failed_import_path(const std::string& message) {
    static const std::string prefix = "Import \"";
    static const std::string suffix = "\" was not found or had errors.";
    if (message.size() <= prefix.size() + suffix.size() || !message.starts_with(prefix) ||
        !message.ends_with(suffix)) {
        return {};
    }
    return message.substr(prefix.size(), message.size() - prefix.size() - suffix.size());
}

Error compile_error(const DiagnosticCollector& collector, const std::set<std::string>& missing) {
    std::vector<ProtoDiagnostic> unresolved;
    std::vector<ProtoDiagnostic> others;
    for (const auto& d : collector.errors) {
        const std::string import = failed_import_path(d.message);
        if (!import.empty() && missing.count(import)) {
            unresolved.push_back({d.file, d.line, d.column, "import \"" + import + "\" not found"});
        } else if (missing.count(d.file) && d.line == 0) {
            continue;  // the missing file's own "File not found." carries no position
        } else {
            others.push_back(d);
        }
    }
    if (!unresolved.empty()) {
        const auto& first = unresolved.front();
        std::string message = "file " + first.file + " imports a path that is provided by " +
                              "neither this version, its dependencies nor the well-known types (" +
                              first.message + ")";
        return Error{ErrorCode::UnresolvedImport, std::move(message), std::move(unresolved)};
    }
    if (others.empty()) return invalid_proto("the schema could not be compiled");
    std::string message = position(others.front()) + ": " + others.front().message;
    if (others.size() > 1) message += " (and " + std::to_string(others.size() - 1) + " more)";
    return invalid_proto(std::move(message), std::move(others));
}

// Appends `file` after everything it imports; `added` keeps each file once.
void append_dependency_first(const pb::FileDescriptor* file, bool include_source_info,
                             std::set<const pb::FileDescriptor*>& added,
                             pb::FileDescriptorSet& out) {
    if (!added.insert(file).second) return;
    for (int i = 0; i < file->dependency_count(); ++i) {
        append_dependency_first(file->dependency(i), include_source_info, added, out);
    }
    pb::FileDescriptorProto* proto = out.add_file();
    file->CopyTo(proto);
    file->CopyJsonNameTo(proto);
    if (include_source_info) file->CopySourceCodeInfoTo(proto);
}

Result<CompiledSchema> compile_unchecked(const CompileRequest& request, const PushLimits& limits) {
    if (request.files.empty()) {
        return Error::bad_request("files: at least one .proto file is required");
    }
    if (Status s = prescan_all(request, limits); !s) return std::move(s).error();
    MemorySourceTree tree;
    if (Status s = populate_tree(request, tree); !s) return std::move(s).error();

    // The pool and databases are local: compilations on other threads share nothing mutable.
    // The well-known types come from the generated pool, without source info even when asked
    // for: with_well_known_source_info adds theirs to what the descriptor route serves.
    WellKnownTypesDatabase well_known;
    pb::compiler::SourceTreeDescriptorDatabase database(&tree, &well_known);
    DiagnosticCollector collector;
    database.RecordErrorsTo(&collector);
    ElementErrorCollector validation(database.GetValidationErrorCollector(), collector);
    pb::DescriptorPool pool(&database, &validation);
    pool.EnforceWeakDependencies(true);

    std::vector<const ProtoFile*> own;
    for (const auto& f : request.files) own.push_back(&f);
    std::sort(own.begin(), own.end(),
              [](const ProtoFile* a, const ProtoFile* b) { return a->path < b->path; });
    for (const ProtoFile* f : own) pool.AddUnusedImportTrackFile(f->path, false);

    std::vector<const pb::FileDescriptor*> compiled;
    bool failed = false;
    for (const ProtoFile* f : own) {
        const pb::FileDescriptor* file = pool.FindFileByName(f->path);
        if (file == nullptr) failed = true;
        compiled.push_back(file);
    }
    if (failed || !collector.errors.empty()) {
        locate_unpositioned(request, validation, collector);
        return compile_error(collector, well_known.misses());
    }

    pb::FileDescriptorSet set;
    std::set<const pb::FileDescriptor*> added;
    for (const auto* file : compiled) {
        append_dependency_first(file, request.include_source_info, added, set);
    }
    CompiledSchema schema;
    if (!set.SerializeToString(&schema.descriptor_set)) {
        return Error::internal("could not serialize the FileDescriptorSet");
    }
    std::set<std::string, std::less<>> own_paths;
    for (const ProtoFile* f : own) own_paths.insert(f->path);
    for (auto& w : collector.warnings) {
        if (own_paths.count(w.file)) schema.warnings.push_back(std::move(w));
    }
    return schema;
}

}  // namespace

Result<CompiledSchema> compile_schema(const CompileRequest& request, const PushLimits& limits) {
    install_log_handler_once();
    try {
        return compile_unchecked(request, limits);
    } catch (const std::exception& e) {
        return Error::internal(std::string("protobuf compiler failed: ") + e.what());
    } catch (...) {
        return Error::internal("protobuf compiler failed with an unknown exception");
    }
}

}  // namespace spoke
