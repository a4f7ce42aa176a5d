#include "services/push_service.hpp"

#include <array>
#include <memory>
#include <utility>

#include "common/clock.hpp"
#include "reactor/guarded_work.hpp"
#include "reactor/log.hpp"
#include "registry/lint/compiler_warnings.hpp"
#include "registry/lint/lint_schema.hpp"
#include "registry/proto_compiler.hpp"
#include "services/dependency_refs.hpp"
#include "services/work_admissions.hpp"

namespace spoke {

// One push across its stages; owned by whichever completion is next.
struct PushService::Run {
    PushStage stage = PushStage::CheckModule;
    std::string module;  // of the push, for the log (the push itself moves into the draft)
    std::string version;
    ValidatedPush push;
    LifetimeGuard wanted;
    Completion<PushOutcome> done;

    CompatMode level = CompatMode::None;
    // What the gate checks against (nearest first); empty: no gate for this push.
    std::vector<VersionRecord> previous;
    std::vector<VersionSnapshotPtr> dependency_contents;  // the closure, for the compile
    std::vector<std::string> resolved_dependencies;       // exact "module@version" of each ref
    CompiledSchema compiled;                              // with source info
    std::shared_ptr<const std::string> with_source;       // the compiled set, once linted
    std::shared_ptr<const std::string> without_source;    // the same, stripped of source info
    std::vector<LintWarning> warnings;                    // lint and compiler warnings

    // Where the push's time went, per stage: logged at debug level when it ends.
    int64_t stage_started_us = monotonic_us();
    std::array<int64_t, static_cast<size_t>(PushStage::Done)> spent_us{};

    void charge_stage() {
        const int64_t now = monotonic_us();
        if (stage != PushStage::Done)
            spent_us[static_cast<size_t>(stage)] += now - stage_started_us;
        stage_started_us = now;
    }
    int64_t spent(PushStage s) const { return spent_us[static_cast<size_t>(s)]; }

    std::vector<std::string> own_paths() const {
        std::vector<std::string> paths;
        paths.reserve(push.files.size());
        for (const auto& f : push.files) paths.push_back(f.path);
        return paths;
    }
};

namespace {

// What the lint's pool job hands back: the warnings and the descriptor set without source info.
struct LintedSchema {
    std::vector<LintWarning> warnings;
    std::string stripped_set;
};

}  // namespace

std::string_view push_stage_name(PushStage stage) {
    switch (stage) {
        case PushStage::CheckModule:
            return "check_module";
        case PushStage::LoadDependencies:
            return "load_dependencies";
        case PushStage::Compile:
            return "compile";
        case PushStage::Lint:
            return "lint";
        case PushStage::Gate:
            return "gate";
        case PushStage::Store:
            return "store";
        case PushStage::Done:
            return "done";
    }
    return "unknown";
}

void PushService::push(PushInput input, Completion<PushOutcome> done) const {
    if (!input.wanted.alive()) {
        // Nobody waits: nothing to do, but the completion still never runs inside the call.
        env_.loop.defer([done = std::move(done)]() mutable {
            done(Error::unavailable("the push was abandoned"));
        });
        return;
    }
    auto run = std::make_unique<Run>();
    run->module = input.push.module;
    run->version = input.push.version;
    run->push = std::move(input.push);
    run->wanted = std::move(input.wanted);
    run->done = std::move(done);
    advance(std::move(run), PushStage::CheckModule);
}

void PushService::advance(RunPtr run, PushStage next) const {
    if (!run->wanted.alive()) {
        return finish(std::move(run), Error::unavailable("the push was abandoned"));
    }
    run->charge_stage();
    run->stage = next;
    switch (next) {
        case PushStage::CheckModule:
            return check_module(std::move(run));
        case PushStage::LoadDependencies:
            return load_dependencies(std::move(run));
        case PushStage::Compile:
            return compile(std::move(run));
        case PushStage::Lint:
            return lint(std::move(run));
        case PushStage::Gate:
            return gate(std::move(run));
        case PushStage::Store:
            return store(std::move(run));
        case PushStage::Done:
            return;  // only finish() completes a push
    }
}

// One line per push with the microseconds of each stage: where a slow push spent its time.
void PushService::log_stages(const Run& run, const Result<PushOutcome>& outcome) {
    std::string_view result = "stored";
    std::string_view error;
    if (!outcome) {
        result = "failed";
        error = outcome.error().message;
    } else if (std::holds_alternative<PushIncompatible>(*outcome)) {
        result = "incompatible";
    }
    int64_t total = 0;
    for (int64_t us : run.spent_us) total += us;
    Log::write(LogLevel::Debug, "push stages",
               {{"module", std::string_view(run.module)},
                {"version", std::string_view(run.version)},
                {"result", result},
                {"error", error},
                {"total_us", total},
                {"check_module_us", run.spent(PushStage::CheckModule)},
                {"load_dependencies_us", run.spent(PushStage::LoadDependencies)},
                {"compile_us", run.spent(PushStage::Compile)},
                {"lint_us", run.spent(PushStage::Lint)},
                {"gate_us", run.spent(PushStage::Gate)},
                {"store_us", run.spent(PushStage::Store)}});
}

void PushService::finish(RunPtr run, Result<PushOutcome> outcome) const {
    if (!run->wanted.alive()) {
        // The request's deadline (or its client) went first: say where the push was.
        Log::write(LogLevel::Warn, "push abandoned",
                   {{"module", std::string_view(run->module)},
                    {"version", std::string_view(run->version)},
                    {"stage", push_stage_name(run->stage)}});
    }
    run->charge_stage();
    if (Log::enabled(LogLevel::Debug)) log_stages(*run, outcome);
    run->stage = PushStage::Done;
    Completion<PushOutcome> done = std::move(run->done);
    run.reset();
    done(std::move(outcome));
}

// The module must exist before any dependency is loaded or anything is compiled; its level
// and versions (one read) say what the gate checks against. A version that is already stored is
// not gated: storing it again is an identical re-push or a conflict.
void PushService::check_module(RunPtr run) const {
    std::string module = run->push.module;
    env_.gate_storage().get_module_with_versions(
        std::move(module), [this, run = std::move(run)](Result<ModuleWithVersions> found) mutable {
            if (!found) return finish(std::move(run), std::move(found).error());
            auto level = parse_compat_mode(found->module.compatibility);
            if (!level) {
                return finish(std::move(run),
                              Error::internal("module " + found->module.name +
                                              " has an unknown compatibility level stored"));
            }
            run->level = *level;
            if (*level != CompatMode::None && !holds_version(found->versions, run->push.version)) {
                run->previous =
                    previous_versions(found->versions, run->push.version, is_transitive(*level));
            }
            advance(std::move(run), PushStage::LoadDependencies);
        });
}

void PushService::load_dependencies(RunPtr run) const {
    std::vector<VersionRef> roots = run->push.dependencies;
    reader_.closure_contents(
        std::move(roots), [this, run = std::move(run)](Result<ClosureContents> closure) mutable {
            if (!closure) return finish(std::move(run), std::move(closure).error());
            auto resolved = resolve_direct(run->push.dependencies, closure->records);
            if (!resolved) return finish(std::move(run), std::move(resolved).error());
            run->resolved_dependencies = std::move(*resolved);
            run->dependency_contents = std::move(closure->snapshots);
            advance(std::move(run), PushStage::Compile);
        });
}

// Compiled once, with source info (lint and violations carry lines); the descriptor cache gets
// the set stripped of it too.
void PushService::compile(RunPtr run) const {
    CompileRequest request{run->push.files, std::move(run->dependency_contents), true};
    LifetimeGuard wanted = run->wanted;
    run_admitted<CompiledSchema>(
        env_.pool, env_.loop, env_.admissions.compile, std::move(wanted), "compile",
        [request = std::move(request), limits = env_.limits] {
            return compile_schema(request, limits);
        },
        [this, run = std::move(run)](Result<CompiledSchema> compiled) mutable {
            if (!compiled) return finish(std::move(run), std::move(compiled).error());
            run->compiled = std::move(*compiled);
            advance(std::move(run), PushStage::Lint);
        });
}

// Lint findings never block a push (a lint failure is logged).
void PushService::lint(RunPtr run) const {
    auto with_source = std::make_shared<const std::string>(std::move(run->compiled.descriptor_set));
    std::vector<std::string> own = run->own_paths();
    std::vector<ProtoDiagnostic> compiler = std::move(run->compiled.warnings);
    LifetimeGuard wanted = run->wanted;
    // Everything the work needs is taken from `run` above: the completion below owns it.
    run_admitted<LintedSchema>(
        env_.pool, env_.loop, env_.admissions.lint, std::move(wanted), "lint",
        [with_source, own = std::move(own),
         compiler = std::move(compiler)]() -> Result<LintedSchema> {
            auto lint = lint_schema(*with_source, own);
            if (!lint) {
                Log::write(LogLevel::Error, "lint failed", {{"error", lint.error().message}});
            }
            auto stripped = strip_source_info(*with_source);
            if (!stripped) return std::move(stripped).error();
            return LintedSchema{merge_compiler_warnings(
                                    compiler, lint ? std::move(*lint) : std::vector<LintWarning>{}),
                                std::move(*stripped)};
        },
        [this, with_source, run = std::move(run)](Result<LintedSchema> linted) mutable {
            if (!linted) return finish(std::move(run), std::move(linted).error());
            run->warnings = std::move(linted->warnings);
            run->without_source =
                std::make_shared<const std::string>(std::move(linted->stripped_set));
            run->with_source = std::move(with_source);
            const bool gated = !run->previous.empty();
            advance(std::move(run), gated ? PushStage::Gate : PushStage::Store);
        });
}

// The pushed version against the previous version(s): nothing is stored on an error-level
// violation.
void PushService::gate(RunPtr run) const {
    CompiledVersion newer{run->push.version, run->with_source, run->own_paths()};
    std::vector<VersionRecord> previous = run->previous;
    const CompatMode level = run->level;
    LifetimeGuard wanted = run->wanted;
    compatibility_.check_against(
        level, std::move(newer), std::move(previous), is_transitive(level), std::move(wanted),
        [this, run = std::move(run)](Result<CompatOutcome> verdict) mutable {
            if (!verdict) return finish(std::move(run), std::move(verdict).error());
            if (!verdict->compatible()) {
                return finish(std::move(run), PushOutcome(PushIncompatible{std::move(*verdict)}));
            }
            advance(std::move(run), PushStage::Store);
        });
}

void PushService::store(RunPtr run) const {
    VersionDraft draft =
        make_draft(std::move(run->push), std::move(run->resolved_dependencies), wall_ms());
    env_.storage.put_version(
        std::move(draft), [this, run = std::move(run)](Result<PutVersionResult> put) mutable {
            if (!put) return finish(std::move(run), std::move(put).error());
            // The compile that admitted the version produced its descriptor sets: keep them
            // (the next push's gate checks against the one with source info).
            descriptors_.remember(put->record, SetDetail::Plain, std::move(run->without_source));
            descriptors_.remember(put->record, SetDetail::SourceInfo, std::move(run->with_source));
            std::vector<LintWarning> warnings = std::move(run->warnings);
            finish(std::move(run), PushOutcome(PushStored{std::move(*put), std::move(warnings)}));
        });
}

}  // namespace spoke
