// Subcommand plumbing. Every src/cli/cmd_<name>.cpp defines
//     audetect::cli::Registration register_<name>(CLI::App& app);
// which adds its subcommand to `app`; CMake generates the list of registrations from the file
// names, so adding a subcommand touches no shared file.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace audetect::cli {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // runtime failure (I/O, kernel, ...)
inline constexpr int kExitUsage = 2;    // bad arguments, bad query, bad rule

struct Registration {
  CLI::App* command = nullptr;  // the subcommand added to the app
  std::function<int()> run;     // called when that subcommand was given
};

}  // namespace audetect::cli
