// The input and normalization flags shared by every subcommand that reads events
// (normalize, query, scan, watch), so they are spelled and behave the same everywhere.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "io/pipeline.h"

namespace audetect::cli {

struct InputFlags {
  std::string input_format = "auto";
  std::string profile = "auditd_manager";
  bool resolve_paths = false;
  bool no_resolve = false;
  std::string passwd_file, group_file;
  std::string host_name;
  bool preserve_original = false;
  bool no_host_metadata = false;
  size_t assembler_window = 50;
  int64_t assembler_timeout_ms = 2000;

  void add_to(CLI::App& cmd) {
    cmd.add_option("--input-format", input_format, "auto (per line), audit or ecs")
        ->check(CLI::IsMember({"auto", "audit", "ecs"}));
    cmd.add_option("--profile", profile, "ECS shape: auditd_manager (default) or auditbeat")
        ->check(CLI::IsMember({"auditd_manager", "auditbeat"}));
    cmd.add_flag("--resolve-paths", resolve_paths,
                 "Join relative PATH names with the cwd (auditbeat keeps them relative)");
    cmd.add_flag("--no-resolve,--no-resolve-ids", no_resolve,
                 "Do not resolve uid/gid to names (logs from other hosts)");
    cmd.add_option("--passwd", passwd_file, "passwd file to resolve uids with (origin host's copy)");
    cmd.add_option("--group", group_file, "group file to resolve gids with (origin host's copy)");
    cmd.add_option("--host-name", host_name, "host.name for events without a node= prefix");
    cmd.add_flag("--preserve-original", preserve_original, "Keep the raw records in event.original");
    cmd.add_flag("--no-host-metadata", no_host_metadata, "Do not add this machine's host.* fields");
    cmd.add_option("--reassembly-window", assembler_window, "Events in flight before the oldest is released")
        ->check(CLI::Range(size_t{1}, size_t{100000}));
    cmd.add_option("--reassembly-timeout", assembler_timeout_ms, "Milliseconds (record time) an event waits for its EOE")
        ->check(CLI::Range(int64_t{0}, int64_t{3600000}));
  }

  // Fills pipeline options; returns kExitUsage (after printing why) on inconsistent flags.
  int apply(io::PipelineOptions& o) const {
    io::parse_input_format(input_format, &o.format);
    ecs::parse_profile(profile, &o.normalizer.profile);
    if (passwd_file.empty() != group_file.empty()) {
      std::fprintf(stderr, "audetect: error: --passwd and --group go together\n");
      return kExitUsage;
    }
    o.normalizer.resolve_paths = resolve_paths;
    o.normalizer.resolve_ids = !no_resolve;
    o.normalizer.passwd_file = passwd_file;
    o.normalizer.group_file = group_file;
    o.normalizer.host_name = host_name;
    o.normalizer.preserve_original = preserve_original;
    o.normalizer.add_host_metadata = !no_host_metadata;
    o.assembler.max_in_flight = assembler_window;
    o.assembler.timeout_ms = assembler_timeout_ms;
    o.progress = true;
    return kExitOk;
  }
};

}  // namespace audetect::cli
