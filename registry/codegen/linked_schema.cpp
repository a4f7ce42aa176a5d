#include "registry/codegen/linked_schema.hpp"

#include <map>
#include <set>

#include "registry/well_known_types.hpp"

namespace spoke {
namespace {

namespace pb = google::protobuf;

void append_dependency_first(const pb::FileDescriptor* file,
                             const std::map<std::string, const pb::FileDescriptorProto*>& protos,
                             std::set<const pb::FileDescriptor*>& added,
                             std::vector<const pb::FileDescriptorProto*>& out) {
    if (!added.insert(file).second) return;
    for (int i = 0; i < file->dependency_count(); ++i) {
        append_dependency_first(file->dependency(i), protos, added, out);
    }
    out.push_back(protos.at(file->name()));
}

}  // namespace

Result<std::unique_ptr<LinkedSchema>> LinkedSchema::load(
    std::string_view descriptor_set, const std::vector<std::string>& files_to_generate) {
    std::unique_ptr<LinkedSchema> schema(new LinkedSchema());
    if (!schema->set_.ParseFromArray(descriptor_set.data(),
                                     static_cast<int>(descriptor_set.size()))) {
        return Error::internal("the stored descriptor set does not parse");
    }
    schema->database_ = std::make_unique<pb::SimpleDescriptorDatabase>();
    for (const auto& file : schema->set_.file()) {
        if (!schema->database_->Add(file)) {
            return Error::internal("the descriptor set holds " + file.name() + " twice");
        }
    }
    schema->pool_ =
        std::make_unique<pb::DescriptorPool>(schema->database_.get(), &schema->link_errors_);

    std::vector<std::string> wanted = files_to_generate;
    if (wanted.empty()) {
        for (const auto& file : schema->set_.file()) {
            if (!is_reserved_proto_path(file.name())) wanted.push_back(file.name());
        }
    }
    if (wanted.empty()) return Error::internal("no files to generate");
    std::set<std::string> seen;
    for (const auto& name : wanted) {
        if (!seen.insert(name).second) continue;
        const pb::FileDescriptor* file = schema->pool_->FindFileByName(name);
        if (file == nullptr) {
            return Error::internal("file " + name + " of the descriptor set does not link" +
                                   (schema->link_errors_.first.empty()
                                        ? std::string(" (it is missing)")
                                        : ": " + schema->link_errors_.first));
        }
        schema->targets_.push_back(file);
    }
    return schema;
}

std::vector<const pb::FileDescriptorProto*> LinkedSchema::closure() const {
    std::map<std::string, const pb::FileDescriptorProto*> protos;
    for (const auto& file : set_.file()) protos.emplace(file.name(), &file);
    std::set<const pb::FileDescriptor*> added;
    std::vector<const pb::FileDescriptorProto*> out;
    for (const auto* file : targets_) append_dependency_first(file, protos, added, out);
    return out;
}

}  // namespace spoke
