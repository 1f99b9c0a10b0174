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
  // Repeatable options take one value per occurrence (`--rules A --rules B`), so a positional
  // argument after them is never swallowed: `scan --rules DIR FILE` reads FILE.
  std::vector<CLI::App*> pending{&app};
  while (!pending.empty()) {
    CLI::App* a = pending.back();
    pending.pop_back();
    for (CLI::Option* opt : a->get_options()) {
      if (!opt->get_positional() && opt->get_expected_max() > 1) opt->allow_extra_args(false);
    }
    for (CLI::App* sub : a->get_subcommands({})) pending.push_back(sub);
  }

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
