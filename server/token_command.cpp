#include "server/token_command.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "backends/filesystem/token_files.hpp"
#include "backends/postgres/postgres_backend.hpp"
#include "common/clock.hpp"
#include "reactor/event_loop.hpp"
#include "reactor/worker_pool.hpp"
#include "server/config.hpp"
#include "server/server.hpp"
#include "services/auth/token_request.hpp"

namespace spoke {

namespace {

int secret_out = STDOUT_FILENO;  // the process's stdout, before logs were sent to stderr

constexpr const char* kUsage =
    "usage: spoke-server token create --name NAME --scope read|write|admin [--scope ...]\n"
    "                                 [--prefix MODULE_PREFIX ...] [--expires-at RFC3339]\n"
    "(the storage comes from the same SPOKE_* variables as the server's)\n";

int usage(const char* problem) {
    if (problem != nullptr) std::fprintf(stderr, "spoke-server token: %s\n", problem);
    std::fputs(kUsage, stderr);
    return 2;
}

// The postgres storage type: the same backend the server opens (migrations included), driven
// by a private loop until the one insert completes.
Result<ApiToken> store_in_postgres(const Config& config, ApiToken token) {
    auto backend = open_postgres_backend(postgres_options(config, 0));
    if (!backend) return backend.error();
    EventLoop loop(0);
    WorkerPool pool(1);
    auto storage = (*backend)->attach(loop, pool);
    std::optional<Result<ApiToken>> stored;
    storage->create_token(std::move(token), [&](Result<ApiToken> r) {
        stored = std::move(r);
        loop.stop();
    });
    loop.run();
    storage.reset();
    if (!stored) return Error::internal("the storage never answered");
    return std::move(*stored);
}

// The filesystem storage type: only tokens/ is touched, so a server may run on the root.
Result<ApiToken> store_in_filesystem(const Config& config, const ApiToken& token) {
    TokenFiles files(config.filesystem_root);
    if (Status s = files.ensure_dir(); !s) return s.error();
    return files.create(token);
}

int create(int argc, char** argv) {
    TokenRequest request;
    bool named = false;
    for (int i = 0; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) return usage(("missing a value after " + flag).c_str());
        const std::string value = argv[++i];
        if (flag == "--name") {
            request.name = value;
            named = true;
        } else if (flag == "--scope") {
            request.scopes.push_back(value);
        } else if (flag == "--prefix") {
            request.prefixes.push_back(value);
        } else if (flag == "--expires-at") {
            auto at = parse_timestamp(value);
            if (!at) return usage("--expires-at takes an RFC 3339 UTC time (2027-01-31T12:00:00Z)");
            request.expires_at = *at;
        } else {
            return usage(("unknown option " + flag).c_str());
        }
    }
    if (!named) return usage("--name is required");

    std::vector<std::string> errors;
    Config config = load_config(process_env(), errors);
    if (!errors.empty()) {
        for (const auto& e : errors)
            std::fprintf(stderr, "spoke-server: invalid configuration: %s\n", e.c_str());
        return 2;
    }
    auto made = make_token(std::move(request), wall_ms());
    if (!made) {
        std::fprintf(stderr, "spoke-server token: %s\n", made.error().message.c_str());
        return 2;
    }
    auto stored = config.storage_type == "postgres" ? store_in_postgres(config, made->record)
                                                    : store_in_filesystem(config, made->record);
    if (!stored) {
        std::fprintf(stderr, "spoke-server token: cannot store the token: %s\n",
                     stored.error().message.c_str());
        return 1;
    }
    std::string scopes;
    for (const auto& s : stored->scopes) scopes += (scopes.empty() ? "" : ",") + s;
    std::fprintf(stderr,
                 "created token %s (name \"%s\", scopes %s) in the %s storage; the secret below "
                 "is shown only now\n",
                 stored->id.c_str(), stored->name.c_str(), scopes.c_str(),
                 config.storage_type.c_str());
    const std::string line = made->secret + "\n";
    if (write(secret_out, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
        std::perror("spoke-server token: cannot write the secret");
        return 1;
    }
    return 0;
}

}  // namespace

int run_token_command(int argc, char** argv) {
    if (argc < 1) return usage(nullptr);
    // The secret alone goes to the real stdout; everything the storage code logs (as JSON lines on
    // stdout, in the server) goes to stderr, so `TOKEN=$(spoke-server token create ...)` works.
    std::fflush(stdout);
    secret_out = dup(STDOUT_FILENO);
    if (secret_out < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        std::perror("spoke-server token: cannot set up its output");
        return 1;
    }
    if (std::strcmp(argv[0], "create") == 0) return create(argc - 1, argv + 1);
    return usage(("unknown token command " + std::string(argv[0])).c_str());
}

}  // namespace spoke
