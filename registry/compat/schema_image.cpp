#include "registry/compat/schema_image.hpp"

#include <google/protobuf/descriptor.pb.h>

#include <algorithm>
#include <map>
#include <set>

namespace spoke {

namespace pb = google::protobuf;

namespace {

class LinkErrorCollector : public pb::DescriptorPool::ErrorCollector {
  public:
    void AddError(const std::string& filename, const std::string& element_name, const pb::Message*,
                  ErrorLocation, const std::string& message) override {
        if (first_.empty()) {
            first_ =
                filename + (element_name.empty() ? "" : " (" + element_name + ")") + ": " + message;
        }
    }
    const std::string& first() const { return first_; }

  private:
    std::string first_;
};

Error invalid(std::string message) {
    return Error{ErrorCode::InvalidProto, std::move(message), {}};
}

// Links `name` after its imports. Sets not produced by compile_schema may leave out the
// well-known types; those come from the generated pool so such sets still link.
class Linker {
  public:
    Linker(const std::map<std::string, const pb::FileDescriptorProto*>& by_name,
           pb::DescriptorPool& pool)
        : by_name_(by_name), pool_(pool) {}

    Status link(const std::string& name) {
        if (pool_.FindFileByName(name) != nullptr) return ok_status();
        if (!in_progress_.insert(name).second) {
            return invalid("the descriptor set has an import cycle through " + name);
        }
        pb::FileDescriptorProto fallback;
        const pb::FileDescriptorProto* proto = nullptr;
        if (auto it = by_name_.find(name); it != by_name_.end()) {
            proto = it->second;
        } else if (const pb::FileDescriptor* wkt =
                       pb::DescriptorPool::generated_pool()->FindFileByName(name)) {
            wkt->CopyTo(&fallback);
            proto = &fallback;
        } else {
            return invalid("the descriptor set does not contain the import " + name);
        }
        for (const std::string& dep : proto->dependency()) {
            if (Status s = link(dep); !s) return s;
        }
        LinkErrorCollector errors;
        if (pool_.BuildFileCollectingErrors(*proto, &errors) == nullptr) {
            return invalid("the descriptor set does not link: " + errors.first());
        }
        in_progress_.erase(name);
        return ok_status();
    }

  private:
    const std::map<std::string, const pb::FileDescriptorProto*>& by_name_;
    pb::DescriptorPool& pool_;
    std::set<std::string> in_progress_;
};

template <class D>
int line_from(const D* d) {
    if (d == nullptr) return 0;
    pb::SourceLocation location;
    return d->GetSourceLocation(&location) ? location.start_line + 1 : 0;
}

// Map entries are synthesized and have no source location: they sit where their map field is.
const pb::FieldDescriptor* map_field_of(const pb::Descriptor* entry) {
    const pb::Descriptor* owner = entry->containing_type();
    if (!entry->options().map_entry() || owner == nullptr) return nullptr;
    for (int i = 0; i < owner->field_count(); ++i) {
        if (owner->field(i)->message_type() == entry) return owner->field(i);
    }
    return nullptr;
}

}  // namespace

Result<std::unique_ptr<SchemaImage>> SchemaImage::from_descriptor_set(
    std::string_view descriptor_set, std::vector<std::string> own_files) {
    pb::FileDescriptorSet set;
    if (!set.ParseFromArray(descriptor_set.data(), static_cast<int>(descriptor_set.size()))) {
        return invalid("the descriptor set is not a serialized FileDescriptorSet");
    }
    std::map<std::string, const pb::FileDescriptorProto*> by_name;
    for (const auto& file : set.file()) {
        if (!by_name.emplace(file.name(), &file).second) {
            return invalid("the descriptor set contains " + file.name() + " twice");
        }
    }
    std::unique_ptr<SchemaImage> image(new SchemaImage());
    image->pool_ = std::make_unique<pb::DescriptorPool>();
    Linker linker(by_name, *image->pool_);
    for (const auto& file : set.file()) {
        if (Status s = linker.link(file.name()); !s) return std::move(s).error();
    }
    std::sort(own_files.begin(), own_files.end());
    own_files.erase(std::unique(own_files.begin(), own_files.end()), own_files.end());
    for (const std::string& path : own_files) {
        const pb::FileDescriptor* file = image->pool_->FindFileByName(path);
        if (file == nullptr || by_name.count(path) == 0) {
            return invalid("the descriptor set does not contain the file " + path);
        }
        image->files_.push_back(file);
    }
    return image;
}

int SchemaImage::line_of(const pb::Descriptor* d) {
    const int line = line_from(d);
    if (line != 0 || d == nullptr) return line;
    return line_from(map_field_of(d));
}
int SchemaImage::line_of(const pb::FieldDescriptor* d) {
    const int line = line_from(d);
    if (line != 0 || d == nullptr || d->is_extension()) return line;
    return line_from(map_field_of(d->containing_type()));
}
int SchemaImage::line_of(const pb::EnumDescriptor* d) {
    return line_from(d);
}
int SchemaImage::line_of(const pb::EnumValueDescriptor* d) {
    return line_from(d);
}
int SchemaImage::line_of(const pb::ServiceDescriptor* d) {
    return line_from(d);
}
int SchemaImage::line_of(const pb::MethodDescriptor* d) {
    return line_from(d);
}
int SchemaImage::line_of(const pb::OneofDescriptor* d) {
    return line_from(d);
}

}  // namespace spoke
