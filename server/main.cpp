// spoke-server: the Spoke protobuf schema registry.

#include <cstdio>
#include <cstring>
#include <vector>

#include "server/config.hpp"
#include "server/server.hpp"
#include "server/token_command.hpp"

int main(int argc, char** argv) {
    if (argc > 1 && (std::strcmp(argv[1], "--version") == 0)) {
        std::printf("spoke-server %s\n", SPOKE_VERSION);
        return 0;
    }
    if (argc > 1 && std::strcmp(argv[1], "token") == 0) {
        return spoke::run_token_command(argc - 2, argv + 2);
    }
    if (argc > 1) {
        std::fprintf(stderr,
                     "usage: spoke-server [--version]\n       spoke-server token create --name "
                     "NAME --scope SCOPE ...\n(configuration comes from SPOKE_* "
                     "environment variables)\n");
        return 2;
    }
    std::vector<std::string> errors;
    spoke::Config config = spoke::load_config(spoke::process_env(), errors);
    if (!errors.empty()) {
        for (const auto& e : errors)
            std::fprintf(stderr, "spoke-server: invalid configuration: %s\n", e.c_str());
        return 2;
    }
    return spoke::run_server(std::move(config));
}
