#pragma once
// ValidateService: compiles and lints a schema against stored dependencies without storing
// anything. ValidateInput: the files (already validated) and the dependency refs.

#include <vector>

#include "backends/storage.hpp"
#include "reactor/lifetime.hpp"
#include "registry/lint/lint_warning.hpp"
#include "registry/model.hpp"
#include "services/service_env.hpp"
#include "services/version_reader.hpp"

namespace spoke {

struct ValidateInput {
    std::vector<ProtoFile> files;
    std::vector<VersionRef> dependencies;  // may say "latest"
    LifetimeGuard wanted;                  // ended: the caller no longer waits
};

class ValidateService {
  public:
    ValidateService(const ServiceEnv& env, const VersionReader& reader)
        : env_(env), reader_(reader) {}

    // The compiler's and the lint's warnings when the schema compiles; otherwise the compile
    // error (InvalidProto, UnresolvedImport) or UnknownDependency. `done` runs later on env.loop.
    void validate(ValidateInput input, Completion<std::vector<LintWarning>> done) const;

  private:
    const ServiceEnv& env_;
    const VersionReader& reader_;
};

}  // namespace spoke
