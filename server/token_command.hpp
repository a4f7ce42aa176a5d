#pragma once
// The `spoke-server token ...` command: makes the first admin token of a new install (or any
// token) in the same storage a server uses, with the same configuration, while it runs.

namespace spoke {

// argv after "token". Prints the secret alone on stdout (so `TOKEN=$(spoke-server token create
// ...)` works), what was made on stderr. Returns the process exit code.
int run_token_command(int argc, char** argv);

}  // namespace spoke
