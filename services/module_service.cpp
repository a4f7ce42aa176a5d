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
    Storage& storage = env_.storage;
    storage.get_module(
        std::move(name), [&storage, done = std::move(done)](Result<Module> module) mutable {
            if (!module) return done(std::move(module).error());
            std::string found = module->name;
            storage.list_versions(
                std::move(found), [module = std::move(*module), done = std::move(done)](
                                      Result<std::vector<VersionRecord>> versions) mutable {
                    if (!versions) return done(std::move(versions).error());
                    done(ModuleWithVersions{std::move(module), std::move(*versions)});
                });
        });
}

}  // namespace spoke
