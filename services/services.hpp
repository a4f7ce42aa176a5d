#pragma once
// Services: the application layer of one event loop, between the HTTP handlers (or any other
// API dialect) and storage. Services take typed input and complete with Result<T>; they never
// see HTTP. Owned by the loop; outlives every call and completion on it.

#include "services/auth/authenticator.hpp"
#include "services/auth/token_service.hpp"
#include "services/compatibility_service.hpp"
#include "services/confluent/schema_registration.hpp"
#include "services/confluent/subject_service.hpp"
#include "services/descriptor_service.hpp"
#include "services/module_service.hpp"
#include "services/push_service.hpp"
#include "services/service_env.hpp"
#include "services/validate_service.hpp"
#include "services/version_reader.hpp"

namespace spoke {

struct Services {
    explicit Services(const ServiceEnv& environment)
        : env(environment),
          modules(env),
          reader(env),
          descriptors(env, reader),
          compatibility(env, descriptors),
          push(env, reader, descriptors, compatibility),
          validate(env, reader),
          tokens(env, env.auth),
          auth(env.loop, env.storage, env.auth),
          subjects(env),
          schemas(env, subjects) {}
    Services(const Services&) = delete;
    Services& operator=(const Services&) = delete;

    const ServiceEnv env;  // first: every service below refers to it
    ModuleService modules;
    VersionReader reader;
    DescriptorService descriptors;
    CompatibilityService compatibility;
    PushService push;
    ValidateService validate;
    TokenService tokens;
    Authenticator auth;
    SubjectService subjects;     // the Confluent dialect's subjects and settings
    SchemaRegistration schemas;  // the Confluent dialect's registrations and checks
};

}  // namespace spoke
