// audetect rules list|show|validate: what the detection rules are, and whether they load and run.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/files.h"
#include "rules/query_check.h"
#include "rules/rules.h"

namespace audetect::cli {
namespace {

namespace fs = std::filesystem;
using rules::Diagnostic;
using rules::Rule;
using rules::RuleSet;

struct RulesArgs {
  std::vector<std::string> rule_paths;  // --rules, repeatable
  std::string id_or_name;               // show
  std::vector<std::string> validate_paths;
  bool verbose = false;
};

// Writes every diagnostic to stderr (warnings only when `warnings` is set).
void print_diagnostics(const RuleSet& set, bool warnings) {
  for (const auto& d : set.diagnostics) {
    if (d.level == Diagnostic::Level::kError || warnings) {
      std::fprintf(stderr, "%s\n", rules::to_string(d).c_str());
    }
  }
}

// Loads --rules paths, or the bundled folder when none is given. Returns false (after saying why) when
// there is nothing to load from.
bool load(const std::vector<std::string>& paths, RuleSet& set) {
  auto resolved = rule_paths_or_bundled(paths);
  if (!resolved) return false;
  set = rules::load_rules(*resolved);
  rules::check_queries(set);
  return true;
}

std::string format_duration(rules::Millis d) {
  auto ms = d.count();
  const char* sign = ms < 0 ? "-" : "";
  ms = ms < 0 ? -ms : ms;
  if (ms % 86'400'000 == 0 && ms != 0) return fmt::format("{}{}d", sign, ms / 86'400'000);
  if (ms % 3'600'000 == 0 && ms != 0) return fmt::format("{}{}h", sign, ms / 3'600'000);
  if (ms % 60'000 == 0) return fmt::format("{}{}m", sign, ms / 60'000);
  if (ms % 1000 == 0) return fmt::format("{}{}s", sign, ms / 1000);
  return fmt::format("{}{}ms", sign, ms);
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// Removes surrounding blank lines and the indentation common to every non-blank line: TOML multi-line
// strings inside arrays (false_positives) carry the file's indentation.
std::string dedent(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  auto blank = [](std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; };
  while (!lines.empty() && blank(lines.front())) lines.erase(lines.begin());
  while (!lines.empty() && blank(lines.back())) lines.pop_back();
  std::size_t common = std::string_view::npos;
  for (auto line : lines) {
    if (!blank(line)) common = std::min(common, line.find_first_not_of(" \t"));
  }
  std::string out;
  for (auto line : lines) {
    if (!blank(line)) out += line.substr(common);
    out += '\n';
  }
  return out;
}

// Indents every line of a multi-line text block.
std::string indent(std::string_view text_in, std::string_view prefix = "  ") {
  std::string dedented = dedent(text_in);
  std::string_view text = dedented;
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty()) out += prefix;
    out += line;
    out += '\n';
    start = end + 1;
  }
  return out;
}

std::string runnable_text(const Rule& rule) {
  return rule.runnable ? "yes" : "no: " + rule.not_runnable_reason;
}

int run_list(const RulesArgs& args) {
  RuleSet set;
  if (!load(args.rule_paths, set)) return kExitFailure;
  print_diagnostics(set, args.verbose);

  struct Row {
    std::vector<std::string> cells;
  };
  const std::vector<std::string> header{"NAME", "ID", "TYPE", "LANGUAGE", "SEVERITY", "RISK", "INTERVAL", "RUNNABLE"};
  std::vector<Row> rows;
  for (const auto& rule : set.rules) {
    rows.push_back({{rule.name, rule.rule_id, std::string(rules::to_string(rule.type)),
                     rule.language == rules::QueryLanguage::kNone ? "-" : std::string(rules::to_string(rule.language)),
                     std::string(rules::to_string(rule.severity)), std::to_string(rule.risk_score),
                     format_duration(rule.interval), runnable_text(rule)}});
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.cells[0] < b.cells[0]; });
  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) widths[c] = header[c].size();
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < row.cells.size(); ++c) widths[c] = std::max(widths[c], row.cells[c].size());
  }
  auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      line += cells[c];
      if (c + 1 < cells.size()) line.append(widths[c] - cells[c].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  };
  print_row(header);
  for (const auto& row : rows) print_row(row.cells);
  std::size_t runnable = std::count_if(set.rules.begin(), set.rules.end(), [](const Rule& r) { return r.runnable; });
  std::fprintf(stderr, "%zu rules (%zu runnable) from %zu files; %zu files failed to load\n", set.rules.size(),
               runnable, set.files_read, set.files_failed);
  return set.has_errors() ? kExitFailure : kExitOk;
}

void print_field(std::string_view label, std::string_view value) {
  if (value.empty()) return;
  std::printf("  %-22s %.*s\n", fmt::format("{}:", label).c_str(), static_cast<int>(value.size()), value.data());
}

void print_section(std::string_view title, std::string_view body) {
  if (body.empty()) return;
  std::printf("\n%.*s:\n%s", static_cast<int>(title.size()), title.data(), indent(body).c_str());
}

int run_show(const RulesArgs& args) {
  RuleSet set;
  if (!load(args.rule_paths, set)) return kExitFailure;
  print_diagnostics(set, args.verbose);
  const Rule* found = set.find(args.id_or_name);
  if (!found) {
    std::fprintf(stderr, "audetect: error: no rule with id or name \"%s\" (%zu rules loaded)\n",
                 args.id_or_name.c_str(), set.rules.size());
    return kExitFailure;
  }
  const Rule& r = *found;
  std::printf("%s\n", r.name.c_str());
  print_field("rule_id", r.rule_id);
  print_field("file", rules::to_string(r.source));
  print_field("version", std::to_string(r.version));
  if (r.revision) print_field("revision", std::to_string(*r.revision));
  print_field("type", std::string(rules::to_string(r.type)));
  print_field("language", rules::to_string(r.language));
  print_field("runnable", runnable_text(r));
  print_field("severity", rules::to_string(r.severity));
  print_field("risk_score", std::to_string(r.risk_score));
  print_field("index", join(r.index, ", "));
  print_field("data_view_id", r.data_view_id);
  print_field("interval", format_duration(r.interval));
  print_field("from", fmt::format("{} (additional look-back {})", r.from.text, format_duration(r.additional_look_back())));
  print_field("to", r.to.text);
  print_field("max_signals", std::to_string(r.max_signals));
  print_field("timestamp_override",
              r.timestamp_override.empty()
                  ? ""
                  : fmt::format("{}{}", r.timestamp_override,
                                r.timestamp_override_fallback_disabled ? "" : " (falls back to @timestamp)"));
  print_field("timestamp_field", r.timestamp_field);
  print_field("event_category_override", r.event_category_override);
  print_field("tiebreaker_field", r.tiebreaker_field);
  print_field("building_block_type", r.building_block_type);
  if (r.enabled) print_field("enabled", *r.enabled ? "true" : "false");
  print_field("tags", join(r.tags, ", "));
  print_field("author", join(r.author, ", "));
  print_field("license", r.license);
  print_field("rule_name_override", r.rule_name_override);
  print_field("timeline", r.timeline_title.empty() ? "" : fmt::format("{} ({})", r.timeline_title, r.timeline_id));
  print_field("created", r.metadata.creation_date);
  print_field("updated", r.metadata.updated_date);
  print_field("maturity", r.metadata.maturity);
  print_field("integration", join(r.metadata.integration, ", "));
  print_field("min_stack_version", r.metadata.min_stack_version);
  if (r.new_terms) {
    print_field("new_terms_fields", join(r.new_terms->fields, ", "));
    print_field("history_window_start", r.new_terms->history_window_start.text);
  }
  if (r.threshold) {
    std::string text = fmt::format("count >= {}", r.threshold->value);
    if (!r.threshold->fields.empty()) text += " by " + join(r.threshold->fields, ", ");
    for (const auto& c : r.threshold->cardinality) text += fmt::format(", distinct {} >= {}", c.field, c.value);
    print_field("threshold", text);
  }
  if (r.machine_learning) {
    print_field("machine_learning_job_id", join(r.machine_learning->job_ids, ", "));
    print_field("anomaly_threshold", std::to_string(r.machine_learning->anomaly_threshold));
  }
  if (r.alert_suppression) {
    std::string text = "by " + join(r.alert_suppression->group_by, ", ");
    if (r.alert_suppression->duration) text += " for " + format_duration(*r.alert_suppression->duration);
    if (!r.alert_suppression->missing_fields_strategy.empty()) {
      text += ", missing fields: " + r.alert_suppression->missing_fields_strategy;
    }
    print_field("alert_suppression", text);
  }
  for (const auto& m : r.severity_mapping) {
    print_field("severity_mapping", fmt::format("{} == \"{}\" -> {}", m.field, m.value, rules::to_string(m.severity)));
  }
  for (const auto& m : r.risk_score_mapping) print_field("risk_score_mapping", m.field);
  if (r.filter_count) print_field("filters", r.filters_json);
  for (const auto& e : r.exceptions_list) {
    print_field("exceptions_list", fmt::format("{} ({}, {}, {})", e.list_id, e.id, e.type, e.namespace_type));
  }

  std::string mitre;
  for (const auto& threat : r.threat) {
    mitre += fmt::format("{}\n  tactic {} {} {}\n", threat.framework, threat.tactic.id, threat.tactic.name,
                         threat.tactic.reference);
    for (const auto& technique : threat.technique) {
      mitre += fmt::format("  technique {} {} {}\n", technique.id, technique.name, technique.reference);
      for (const auto& sub : technique.subtechnique) {
        mitre += fmt::format("    subtechnique {} {} {}\n", sub.id, sub.name, sub.reference);
      }
    }
  }
  print_section("Description", r.description);
  print_section("Query", r.query);
  print_section("Threat (MITRE)", mitre);
  print_section("Audit rules needed", join(r.audit_rules, "\n"));
  std::string false_positives;
  for (const auto& item : r.false_positives) false_positives += dedent(item);
  print_section("False positives", false_positives);
  print_section("References", join(r.references, "\n"));
  std::string fields;
  for (const auto& f : r.required_fields) fields += fmt::format("{} ({}{})\n", f.name, f.type, f.ecs ? ", ECS" : "");
  print_section("Required fields", fields);
  std::string integrations;
  for (const auto& i : r.related_integrations) {
    integrations += fmt::format("{}{} {}\n", i.package, i.integration.empty() ? "" : "/" + i.integration, i.version);
  }
  print_section("Related integrations", integrations);
  print_section("Investigation fields", join(r.investigation_fields, "\n"));
  print_section("Setup guide", r.setup);
  print_section("Investigation guide", r.note);
  return kExitOk;
}

int run_validate(const RulesArgs& args) {
  std::vector<std::string> paths = args.validate_paths;
  paths.insert(paths.end(), args.rule_paths.begin(), args.rule_paths.end());
  RuleSet set;
  if (!load(paths, set)) return kExitFailure;
  print_diagnostics(set, /*warnings=*/true);

  std::size_t errors = 0, warnings = 0;
  for (const auto& d : set.diagnostics) (d.level == Diagnostic::Level::kError ? errors : warnings)++;
  std::map<std::string, std::size_t> by_type;
  std::map<std::string, std::size_t> not_runnable;
  std::size_t runnable = 0, eql = 0, eql_compiled = 0;
  for (const auto& rule : set.rules) {
    by_type[std::string(rules::to_string(rule.type))]++;
    if (rule.type == rules::RuleType::kEql) {
      ++eql;
      if (rule.runnable) ++eql_compiled;
    }
    if (rule.runnable) {
      ++runnable;
    } else {
      not_runnable[rule.not_runnable_reason]++;
    }
  }
  std::string types;
  for (const auto& [type, count] : by_type) types += fmt::format("{}{} {}", types.empty() ? "" : ", ", count, type);
  std::printf("%zu files: %zu rules loaded (%s), %zu failed\n", set.files_read, set.rules.size(),
              types.empty() ? "none" : types.c_str(), set.files_failed);
  std::printf("eql rules: %zu, queries compiled: %zu; runnable: %zu\n", eql, eql_compiled, runnable);
  for (const auto& [reason, count] : not_runnable) std::printf("not runnable: %zu (%s)\n", count, reason.c_str());
  std::printf("%zu errors, %zu warnings\n", errors, warnings);
  return errors > 0 ? kExitFailure : kExitOk;
}

}  // namespace

Registration register_rules(CLI::App& app) {
  auto args = std::make_shared<RulesArgs>();
  CLI::App* cmd = app.add_subcommand("rules", "List, show and validate detection rules");
  cmd->require_subcommand(1);
  auto add_rules_option = [&](CLI::App* sub) {
    sub->add_option("--rules", args->rule_paths,
                    "Rule file or folder (recursive, *.toml); repeatable. Default: the bundled rules folder");
  };

  CLI::App* list = cmd->add_subcommand("list", "Table of the loaded rules: name, id, type, language, severity, "
                                               "risk, interval, runnable");
  add_rules_option(list);
  list->add_flag("-v,--verbose", args->verbose, "Also print warnings about the rule files");

  CLI::App* show = cmd->add_subcommand("show", "Everything about one rule: metadata, query, MITRE mapping, setup "
                                               "and investigation guides");
  show->add_option("rule", args->id_or_name, "rule_id or name (exact, then case-insensitive)")->required();
  add_rules_option(show);
  show->add_flag("-v,--verbose", args->verbose, "Also print warnings about the rule files");

  CLI::App* validate = cmd->add_subcommand(
      "validate", "Parse and analyse rule files (queries included); print diagnostics as file:line:column; exit 1 "
                  "if any is invalid");
  validate->add_option("paths", args->validate_paths, "Rule files or folders (default: the bundled rules folder)");
  add_rules_option(validate);

  return {cmd, [args, list, show, validate] {
            if (list->parsed()) return run_list(*args);
            if (show->parsed()) return run_show(*args);
            if (validate->parsed()) return run_validate(*args);
            return kExitUsage;
          }};
}

}  // namespace audetect::cli
