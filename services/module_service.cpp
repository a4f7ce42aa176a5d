#include "services/module_service.hpp"

#include <utility>

namespace spoke {

void ModuleService::create(std::string name, std::string description,
                           Completion<Module> done) const {
    env_.storage.create_module(std::move(name), std::move(description), std::move(done));
}

void ModuleService::list(ModuleQuery query, Completion<ModulePage> done) const {
    env_.storage.list_modules(std::move(query), std::move(done));
}

void ModuleService::get(std::string name, Completion<ModuleWithVersions> done) const {
    env_.storage.get_module_with_versions(std::move(name), std::move(done));
}

}  // namespace spoke
