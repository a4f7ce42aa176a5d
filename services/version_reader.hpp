#pragma once
// VersionReader: a stored version with its dependency closure (records, contents on demand); the
// one loader of closures for push, validate, descriptors, compatibility and the dependency
// routes. ClosureContents: a closure and its contents. VersionClosure: a root version with the
// closure of its dependencies; VersionWithDependencies: the same with records only (what code
// generation needs to name its inputs). DependencyListing / DependentsListing: the answers of the
// dependency routes.

#include <string>
#include <vector>

#include "backends/storage.hpp"
#include "common/result.hpp"
#include "registry/model.hpp"
#include "services/service_env.hpp"

namespace spoke {

struct ClosureContents {
    std::vector<VersionRecord> records;         // dependency-first
    std::vector<VersionSnapshotPtr> snapshots;  // same order as records
};

struct VersionClosure {
    VersionSnapshotPtr root;       // the version itself, with its files
    ClosureContents dependencies;  // its transitive dependencies (not the root)
};

struct VersionWithDependencies {
    VersionSnapshotPtr root;                  // the version itself, with its files
    std::vector<VersionRecord> dependencies;  // its closure's records, dependency-first
};

struct ListedDependency {
    std::string module;
    std::string version;
    bool direct = false;
};
struct DependencyListing {
    VersionRecord root;  // without files
    std::vector<ListedDependency> dependencies;
};
struct DependentsListing {
    VersionRecord root;  // without files
    std::vector<VersionRef> dependents;
};

// Every completion runs later on env.loop, never inside the call.
class VersionReader {
  public:
    explicit VersionReader(const ServiceEnv& env) : env_(env) {}

    // A module's versions, newest first (NotFound for a missing module).
    void list(std::string module, Completion<std::vector<VersionRecord>> done) const;
    // One version with its files (any spelling, "latest").
    void get(std::string module, std::string version, Completion<VersionSnapshotPtr> done) const;

    // The closure of `roots` with contents. Empty roots complete empty.
    void closure_contents(std::vector<VersionRef> roots, Completion<ClosureContents> done) const;
    // A stored version (any spelling, "latest") and its dependency closure with contents: what a
    // compile of the version (descriptor, compatibility, code generation) needs.
    void with_closure(std::string module, std::string version,
                      Completion<VersionClosure> done) const;
    // The same for a version already loaded.
    void closure_of(VersionSnapshotPtr root, Completion<VersionClosure> done) const;
    // A stored version and its dependency closure's records (no contents).
    void with_dependency_records(std::string module, std::string version,
                                 Completion<VersionWithDependencies> done) const;

    // A version's direct dependencies, or with `transitive` its whole closure (each marked
    // direct or not).
    void dependencies(std::string module, std::string version, bool transitive,
                      Completion<DependencyListing> done) const;
    // The versions whose direct dependencies include this one.
    void dependents(std::string module, std::string version,
                    Completion<DependentsListing> done) const;

  private:
    const ServiceEnv& env_;
};

}  // namespace spoke
