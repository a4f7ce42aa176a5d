#include "registry/lint/lint_schema.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <algorithm>
#include <exception>
#include <optional>
#include <set>
#include <tuple>

#include "registry/lint/lint_rules.hpp"
#include "registry/lint/source_positions.hpp"

namespace spoke {
namespace {

namespace pb = google::protobuf;

// An import libprotobuf found unused while building the importing file.
struct UnusedImport {
    std::string file;
    std::string import;
    std::string message;
};

// Keeps the first build error and the unused-import warnings; other warnings are the
// compiler's to report.
class BuildDiagnostics : public pb::DescriptorPool::ErrorCollector {
  public:
    void AddError(const std::string& filename, const std::string&, const pb::Message*,
                  ErrorLocation, const std::string& message) override {
        if (first_error.empty()) first_error = filename + ": " + message;
    }
    void AddWarning(const std::string& filename, const std::string& element_name,
                    const pb::Message*, ErrorLocation location,
                    const std::string& message) override {
        if (location == IMPORT) unused_imports.push_back({filename, element_name, message});
    }

    std::string first_error;
    std::vector<UnusedImport> unused_imports;
};

Error invalid(std::string message) {
    return Error{ErrorCode::InvalidProto, "lint: " + std::move(message), {}};
}

void add_unused_imports(const pb::FileDescriptor* file, const std::vector<UnusedImport>& unused,
                        std::vector<LintWarning>& out) {
    std::optional<SourcePositions> positions;
    for (const UnusedImport& u : unused) {
        if (u.file != file->name()) continue;
        if (!positions) positions.emplace(file);
        SourcePosition at;
        for (int i = 0; i < file->dependency_count(); ++i) {
            if (file->dependency(i)->name() != u.import) continue;
            at = positions->at({pb::FileDescriptorProto::kDependencyFieldNumber, i});
            break;
        }
        // libprotobuf's own wording, the same as compile_schema's warning for the import.
        out.push_back({std::string(lint_rule::kImportUsed), u.file, at.line, at.column, u.message});
    }
}

Result<std::vector<LintWarning>> lint_unchecked(std::string_view descriptor_set,
                                                const std::vector<std::string>& own_files) {
    pb::FileDescriptorSet set;
    if (!set.ParseFromArray(descriptor_set.data(), static_cast<int>(descriptor_set.size()))) {
        return invalid("the descriptor set does not parse");
    }
    const std::set<std::string> own(own_files.begin(), own_files.end());
    pb::DescriptorPool pool;
    for (const std::string& path : own) pool.AddUnusedImportTrackFile(path, false);
    BuildDiagnostics diagnostics;
    for (const auto& file : set.file()) {
        if (pool.BuildFileCollectingErrors(file, &diagnostics) == nullptr) {
            return invalid("the descriptor set does not link: " + diagnostics.first_error);
        }
    }
    std::vector<const pb::FileDescriptor*> files;
    for (const std::string& path : own) {
        const pb::FileDescriptor* file = pool.FindFileByName(path);
        if (file == nullptr) return invalid("file " + path + " is not in the descriptor set");
        files.push_back(file);
    }
    std::vector<LintWarning> warnings = lint_files(files);
    for (const pb::FileDescriptor* file : files) {
        add_unused_imports(file, diagnostics.unused_imports, warnings);
    }
    std::stable_sort(
        warnings.begin(), warnings.end(), [](const LintWarning& a, const LintWarning& b) {
            return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
        });
    return warnings;
}

}  // namespace

Result<std::vector<LintWarning>> lint_schema(std::string_view descriptor_set,
                                             const std::vector<std::string>& own_files) {
    // libprotobuf may throw (e.g. bad_alloc); nothing may cross a worker's job boundary.
    try {
        return lint_unchecked(descriptor_set, own_files);
    } catch (const std::exception& e) {
        return Error::internal(std::string("lint failed: ") + e.what());
    } catch (...) {
        return Error::internal("lint failed with an unknown exception");
    }
}

}  // namespace spoke
