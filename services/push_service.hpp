#pragma once
// PushService: stores a new version of a module. The pipeline runs as explicit stages, in this
// order (each may end the push with an error):
//   CheckModule       the module exists; its compatibility level, and (level other than NONE)
//                     the stored versions the push is checked against, in one read
//   LoadDependencies  the dependency closure's contents; the direct refs resolved exactly
//   Compile           the files with their dependencies, with source info (compile work)
//   Lint              lint warnings, and the descriptor set without source info (lint work)
//   Gate              (previous versions) compatibility: Incompatible ends the push unstored
//   Store             the version is stored (or found identical); the descriptor cache seeded
//   Done
// PushInput: a validated push and whether its caller still waits. PushStored / PushIncompatible:
// the two outcomes of a push that ran to its end.

#include <string_view>
#include <variant>
#include <vector>

#include "backends/storage.hpp"
#include "reactor/lifetime.hpp"
#include "registry/lint/lint_warning.hpp"
#include "registry/push_request.hpp"
#include "services/compat_check.hpp"
#include "services/compatibility_service.hpp"
#include "services/descriptor_service.hpp"
#include "services/service_env.hpp"
#include "services/version_reader.hpp"

namespace spoke {

enum class PushStage { CheckModule, LoadDependencies, Compile, Lint, Gate, Store, Done };
std::string_view push_stage_name(PushStage stage);

struct PushInput {
    ValidatedPush push;
    // Ended when nobody waits for the outcome any more (the request's deadline): the push stops
    // at its next stage, logging the stage it was in, and queued pool work is skipped.
    LifetimeGuard wanted;
};

struct PushStored {
    PutVersionResult put;               // Created, or Identical to what was stored already
    std::vector<LintWarning> warnings;  // lint and compiler warnings of the pushed files
};

struct PushIncompatible {
    CompatOutcome verdict;  // has error-level findings; nothing was stored
};

using PushOutcome = std::variant<PushStored, PushIncompatible>;

class PushService {
  public:
    PushService(const ServiceEnv& env, const VersionReader& reader,
                const DescriptorService& descriptors, const CompatibilityService& compatibility)
        : env_(env), reader_(reader), descriptors_(descriptors), compatibility_(compatibility) {}

    // `done` runs later on env.loop, exactly once.
    void push(PushInput input, Completion<PushOutcome> done) const;

  private:
    struct Run;
    using RunPtr = std::unique_ptr<Run>;

    // The one place a push changes stage.
    void advance(RunPtr run, PushStage next) const;
    void finish(RunPtr run, Result<PushOutcome> outcome) const;
    static void log_stages(const Run& run, const Result<PushOutcome>& outcome);

    void check_module(RunPtr run) const;
    void load_dependencies(RunPtr run) const;
    void compile(RunPtr run) const;
    void lint(RunPtr run) const;
    void gate(RunPtr run) const;
    void store(RunPtr run) const;

    const ServiceEnv& env_;
    const VersionReader& reader_;
    const DescriptorService& descriptors_;
    const CompatibilityService& compatibility_;
};

}  // namespace spoke
