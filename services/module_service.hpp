#pragma once
// ModuleService: modules themselves: creating one, a page of them, and one with its versions.

#include <string>
#include <vector>

#include "backends/storage.hpp"
#include "registry/model.hpp"
#include "services/service_env.hpp"

namespace spoke {

// Completions run later on env.loop, never inside the call.
class ModuleService {
  public:
    explicit ModuleService(const ServiceEnv& env) : env_(env) {}

    // ModuleExists if the name is taken (the caller has validated it).
    void create(std::string name, std::string description, Completion<Module> done) const;
    void list(ModuleQuery query, Completion<ModulePage> done) const;
    void get(std::string name, Completion<ModuleWithVersions> done) const;

  private:
    const ServiceEnv& env_;
};

}  // namespace spoke
