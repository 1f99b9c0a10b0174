#include <cstdio>
#include <exception>
#include <vector>

#include "cli/command.h"
#include "cli/commands.inc"  // generated: declarations of register_<name>()

#ifndef AUDETECT_VERSION
#define AUDETECT_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  CLI::App app{"audetect: Elastic detection rules on Linux audit events, in one native program"};
  app.set_version_flag("--version", "audetect " AUDETECT_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);

  std::vector<audetect::cli::Registration> registrations;
  AUDETECT_REGISTER_COMMANDS(app, registrations);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return audetect::cli::kExitUsage;
  }

  for (const auto& r : registrations) {
    if (r.command->parsed()) {
      try {
        return r.run();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "audetect: error: %s\n", e.what());
        return audetect::cli::kExitFailure;
      }
    }
  }
  return audetect::cli::kExitUsage;
}
