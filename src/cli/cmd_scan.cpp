// audetect scan: detection rules over audit logs and ECS NDJSON, executed as Kibana would on schedule over
// the time the input covers; alerts as Elastic Security alert documents.
#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/files.h"
#include "cli/input_options.h"
#include "engine/engine.h"
#include "engine/prefilter.h"
#include "engine/sink.h"
#include "io/pipeline.h"
#include "io/source.h"
#include "rules/query_check.h"
#include "rules/rules.h"

namespace audetect::cli {
namespace {

namespace fs = std::filesystem;

struct ScanArgs {
  std::vector<std::string> rule_paths;
  std::vector<std::string> files;
  InputFlags input;
  std::string output;
  std::string format = "ndjson";
  std::string replay_clock = "event";
  std::string state_file;
  int64_t state_retention_days = 30;
  std::string space = "default";
  bool quiet = false;
  bool no_prefilter = false;
};

int run_scan(ScanArgs& args) {
  io::PipelineOptions options;
  if (int rc = args.input.apply(options); rc != kExitOk) return rc;
  engine::AlertFormat format;
  if (!engine::parse_alert_format(args.format, &format)) {
    std::fprintf(stderr, "audetect: error: unknown --format %s (ndjson, table, bulk)\n", args.format.c_str());
    return kExitUsage;
  }

  // Rules: --rules paths, else the bundled folder.
  auto rule_paths = rule_paths_or_bundled(args.rule_paths);
  if (!rule_paths) return kExitUsage;
  const std::vector<fs::path>& paths = *rule_paths;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      std::fprintf(stderr, "audetect: error: --rules %s: no such file or directory\n", p.c_str());
      return kExitUsage;
    }
  }
  rules::RuleSet set = rules::load_rules(paths);
  rules::check_queries(set);
  for (const auto& d : set.diagnostics)
    if (d.level == rules::Diagnostic::Level::kError) std::fprintf(stderr, "%s\n", rules::to_string(d).c_str());
  if (set.rules.empty()) {
    std::fprintf(stderr, "audetect: error: no rule could be loaded from the given paths\n");
    return kExitUsage;
  }

  // Output.
  OwnedFile owned(nullptr, &std::fclose);
  FILE* out = open_output(args.output, owned);
  if (!out) return kExitFailure;
  // A file is flushed per alert (followers see each alert at once); a pipe or terminal likewise, since
  // alerts are rare and a reader may be waiting.
  auto sink = engine::make_stream_sink(format, out, true, args.space);

  engine::EngineOptions eo;
  eo.clock = args.replay_clock == "wall" ? engine::EngineOptions::Clock::kWallClock
                                          : engine::EngineOptions::Clock::kEventTime;
  eo.space = args.space;
  if (!args.state_file.empty()) eo.alert_id_retention_ms = args.state_retention_days * 86400000;
  std::vector<engine::EngineRule> prepared = engine::DetectionEngine::prepare(std::move(set.rules));
  // Only rules that search the indices raw audit events go to decide what raw lines may be skipped: the
  // others never see those events (ECS JSON lines are never skipped).
  const std::string audit_index = options.normalizer.profile == ecs::Profile::kAuditbeat
                                      ? "auditbeat-0.0.0"
                                      : "logs-auditd_manager.auditd-" + options.normalizer.data_stream_namespace;
  std::vector<const rules::Rule*> runnable;
  for (const auto& er : prepared)
    if (er.matcher && engine::index_matches(audit_index, er.rule.index)) runnable.push_back(&er.rule);
  engine::RawPrefilter prefilter;
  if (!args.no_prefilter) prefilter = engine::RawPrefilter::for_rules(runnable, options.normalizer.resolve_paths);
  engine::DetectionEngine detection(std::move(prepared), *sink, eo);
  if (!args.state_file.empty()) {
    using namespace std::chrono;
    const int64_t now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    if (Status st = detection.alert_ids().load(args.state_file, eo.clock == engine::EngineOptions::Clock::kWallClock ? now : INT64_MIN); !st) {
      std::fprintf(stderr, "audetect: error: --state %s\n", st.message().c_str());
      return kExitUsage;
    }
  }

  io::EventPipeline pipeline(options, [&](const Event& e) { detection.process(e); });
  if (args.files.empty()) args.files.push_back("-");
  int rc = kExitOk;
  engine::PrefilterFeeder feeder(
      prefilter,
      [&pipeline](std::string_view text, std::string_view source, uint64_t no) { pipeline.feed_line(text, source, no); },
      [&pipeline](std::string_view source, uint64_t no) { pipeline.warn(source, no, "line longer than 1 MiB: truncated"); });
  for (const auto& f : args.files) {
    Status st;
    if (prefilter.enabled()) {
      // Whole blocks go straight into the feeder's buffer: it finds lines itself, near the strings' matches.
      auto src = io::LineSource::open(f);
      if (src.is_ok()) {
        io::LineSource& in = **src;
        feeder.start(in.name());
        for (std::span<char> room = feeder.space();; room = feeder.space()) {
          long n = in.read_block(room.data(), room.size());
          if (n <= 0) break;
          feeder.commit(static_cast<size_t>(n));
        }
        feeder.finish();
        st = in.status();
      } else {
        st = src.status();
      }
    } else {
      st = pipeline.read_file(f);
    }
    if (!st) {
      std::fprintf(stderr, "audetect: error: %s\n", st.message().c_str());
      rc = kExitFailure;
    }
  }
  pipeline.flush();
  detection.finish();
  if (!sink->status().is_ok()) {
    std::fprintf(stderr, "audetect: error: %s\n", sink->status().message().c_str());
    rc = kExitFailure;
  }
  if (!args.state_file.empty()) {
    if (Status st = detection.alert_ids().save(args.state_file); !st) {
      std::fprintf(stderr, "audetect: error: --state: %s\n", st.message().c_str());
      rc = kExitFailure;
    }
  }
  if (!args.quiet) {
    std::fprintf(stderr, "audetect scan: %s\n", pipeline.summary().c_str());
    if (prefilter.enabled()) {
      std::fprintf(stderr,
                   "prefilter: %llu of %llu lines (%llu events) left out before parsing: no rule can match them "
                   "(strings searched: %zu; serial gaps they leave are not losses)\n",
                   static_cast<unsigned long long>(feeder.lines_skipped()),
                   static_cast<unsigned long long>(feeder.lines()),
                   static_cast<unsigned long long>(feeder.events_skipped()), prefilter.needles().size());
      if (feeder.split_events())
        std::fprintf(stderr, "  warning: %llu event(s) had records further apart than the look-ahead; they were "
                             "scanned incomplete\n", static_cast<unsigned long long>(feeder.split_events()));
    } else if (!args.no_prefilter) {
      std::fprintf(stderr, "prefilter: off (%s)\n", prefilter.disabled_reason().c_str());
    }
    std::fputs(detection.summary(detection.events_processed() + feeder.events_skipped()).c_str(), stderr);
  }
  return rc;
}

}  // namespace

Registration register_scan(CLI::App& app) {
  auto args = std::make_shared<ScanArgs>();
  CLI::App* cmd = app.add_subcommand(
      "scan", "Run detection rules over audit logs / ECS NDJSON as Kibana would on schedule; write alerts");
  cmd->add_option("files", args->files, "Input files (raw or ENRICHED audit logs, ECS NDJSON, gzip ok; mixed "
                                        "files allowed); '-' or none for standard input");
  cmd->add_option("--rules", args->rule_paths, "Rule file or folder (repeatable); default: the bundled rules/");
  args->input.add_to(*cmd);
  cmd->add_option("-o,--output", args->output, "Append alerts to FILE (flushed per alert) instead of stdout");
  cmd->add_option("--format", args->format, "ndjson (alert documents), table (for people) or bulk (Elasticsearch "
                                            "_bulk lines for .alerts-security.alerts-<space>)")
      ->check(CLI::IsMember({"ndjson", "json", "table", "bulk"}));
  cmd->add_option("--replay-clock", args->replay_clock,
                  "event: executions follow event time, each event counts as ingested at its @timestamp "
                  "(reproducible, default); wall: the wall clock, as if the log were shipped now")
      ->check(CLI::IsMember({"event", "wall"}));
  cmd->add_option("--state", args->state_file,
                  "File of alert ids already written (read at start, written at exit): re-scanning the same "
                  "logs does not repeat alerts");
  cmd->add_option("--state-retention-days", args->state_retention_days, "How long --state remembers an alert id")
      ->check(CLI::Range(int64_t{1}, int64_t{3650}));
  cmd->add_option("--space", args->space, "Kibana space id for alert ids and the _bulk index");
  cmd->add_flag("--no-prefilter", args->no_prefilter,
                "Parse every event, even those no loaded rule can match (slower; same alerts)");
  cmd->add_flag("-q,--quiet", args->quiet, "No summary on stderr");
  return {cmd, [args] { return run_scan(*args); }};
}

}  // namespace audetect::cli
