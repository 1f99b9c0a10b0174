// `audetect setup [--rules PATH]... [--check | --apply | --remove]`: the kernel audit rules the loaded
// detection rules need (from their setup guides), compared with, added to or removed from the kernel's rule
// list. --remove undoes --apply, or cleans up after a `watch --install-audit-rules` that was killed before
// it could remove its rules.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/files.h"
#include "io/audit_rule.h"
#include "io/audit_status.h"
#include "io/netlink.h"
#include "rules/rules.h"

namespace audetect::cli {
namespace {

struct SetupOptions {
  std::vector<std::string> rule_paths;
  bool check = false;
  bool apply = false;
  bool remove = false;
  std::string lock_path = io::KernelAuditLock::kDefaultPath;
};

int run_setup(const SetupOptions& o) {
  auto paths = rule_paths_or_bundled(o.rule_paths);
  if (!paths) return kExitUsage;
  rules::RuleSet set = rules::load_rules(*paths);
  for (const auto& d : set.diagnostics) std::fprintf(stderr, "%s\n", rules::to_string(d).c_str());
  if (set.rules.empty()) {
    std::fprintf(stderr, "audetect setup: no rules loaded\n");
    return kExitUsage;
  }

  // Each detection rule's audit rules, parsed with the rule file as the error source.
  std::vector<std::string> texts;
  std::vector<std::string> parse_errors;
  for (const auto& rule : set.rules) {
    std::string source = rules::to_string(rule.source);
    io::AuditRulePlan one = io::plan_audit_rules(rule.audit_rules, {}, source);
    for (auto& e : one.errors) parse_errors.push_back(fmt::format("{} (rule '{}')", e, rule.name));
    for (auto& e : one.entries) texts.push_back(e.text);
  }
  for (const auto& e : parse_errors) std::fprintf(stderr, "audetect setup: %s\n", e.c_str());

  if (!o.check && !o.apply && !o.remove) {
    std::printf("# audit rules needed by %zu detection rule(s)\n", set.rules.size());
    io::AuditRulePlan plan = io::plan_audit_rules(texts, {});
    for (const auto& e : plan.entries) std::printf("%s\n", e.text.c_str());
    return parse_errors.empty() ? kExitOk : kExitUsage;
  }

  // Changing the kernel's rule list is serialized with every other process that does so.
  std::optional<io::KernelAuditLock> lock;
  if ((o.apply || o.remove) && !o.lock_path.empty()) {
    auto l = io::KernelAuditLock::acquire(o.lock_path);
    if (!l) {
      std::fprintf(stderr, "audetect setup: %s\n", l.status().message().c_str());
      return kExitFailure;
    }
    lock.emplace(std::move(l.value()));
  }
  auto control = io::AuditNetlink::open();
  if (!control) {
    std::fprintf(stderr, "audetect setup: %s\n", control.status().message().c_str());
    return kExitFailure;
  }
  auto kernel_rules = (*control)->list_rules();
  if (!kernel_rules) {
    std::fprintf(stderr, "audetect setup: listing the kernel's audit rules: %s\n",
                 kernel_rules.status().message().c_str());
    return kExitFailure;
  }
  io::AuditRulePlan plan = io::plan_audit_rules(texts, *kernel_rules);
  auto status = (*control)->get_status();

  if (o.check) {
    for (const auto& e : plan.entries) std::printf("%-9s %s\n", e.installed ? "present" : "MISSING", e.text.c_str());
    std::printf("%zu of %zu audit rule(s) present, %zu missing\n", plan.entries.size() - plan.missing(),
                plan.entries.size(), plan.missing());
    if (status && status->enabled == 0)
      std::printf("note: kernel auditing is disabled (enabled=0): rules produce no records until it is enabled\n");
    return plan.missing() == 0 && parse_errors.empty() ? kExitOk : kExitFailure;
  }

  if (status && status->enabled == 2) {
    std::fprintf(stderr, "audetect setup: the kernel's audit configuration is locked (enabled=2) until reboot\n");
    return kExitFailure;
  }
  if (o.remove) {
    // Only rules identical to ones the detection rules need are touched; anything else stays.
    std::vector<io::AuditRuleData> present;
    for (const auto& e : plan.entries) {
      if (e.installed) present.push_back(e.rule);
      else std::printf("not present: %s\n", e.text.c_str());
    }
    Status s = io::remove_audit_rules(**control, present);
    auto after = (*control)->list_rules();
    size_t removed = 0;
    if (after) {
      io::AuditRulePlan left = io::plan_audit_rules(texts, *after);
      for (const auto& e : left.entries) {
        if (e.installed) continue;
        bool was_present = std::any_of(plan.entries.begin(), plan.entries.end(),
                                       [&](const auto& p) { return p.installed && p.text == e.text; });
        if (was_present) {
          std::printf("removed: %s\n", e.text.c_str());
          ++removed;
        }
      }
    }
    std::printf("%zu audit rule(s) removed, %zu not present\n", removed, plan.missing());
    if (!s) {
      std::fprintf(stderr, "audetect setup: %s\n", s.message().c_str());
      return kExitFailure;
    }
    return parse_errors.empty() ? kExitOk : kExitUsage;
  }

  std::vector<io::AuditRuleData> added;
  const size_t present_before = plan.entries.size() - plan.missing();
  for (const auto& e : plan.entries)
    if (e.installed) std::printf("already present: %s\n", e.text.c_str());
  Status s = io::install_missing_audit_rules(**control, plan, added);
  for (const auto& r : added) {
    auto text = io::audit_rule_to_text(r);
    std::printf("added: %s\n", text ? text->c_str() : "?");
  }
  std::printf("%zu audit rule(s) added, %zu already present\n", added.size(), present_before);
  if (!s) {
    std::fprintf(stderr, "audetect setup: %s\n", s.message().c_str());
    return kExitFailure;
  }
  if (status && status->enabled == 0)
    std::printf("note: kernel auditing is disabled (enabled=0): enable it (auditctl -e 1) or run `audetect watch`, "
                "which enables it as the audit daemon\n");
  return parse_errors.empty() ? kExitOk : kExitUsage;
}

}  // namespace

Registration register_setup(CLI::App& app) {
  auto options = std::make_shared<SetupOptions>();
  CLI::App* cmd = app.add_subcommand(
      "setup", "Print the kernel audit rules the detection rules need; --check compares them with the "
               "kernel's, --apply adds the missing ones, --remove deletes them (exit 1 from --check when some are "
               "missing)");
  cmd->add_option("--rules", options->rule_paths, "Rule file or folder (repeatable; default: the bundled rules)");
  auto* check = cmd->add_flag("--check", options->check, "Compare with the kernel's current audit rules");
  auto* apply = cmd->add_flag("--apply", options->apply, "Add the missing audit rules over netlink");
  auto* remove = cmd->add_flag("--remove", options->remove,
                               "Delete the audit rules the detection rules need from the kernel (undoes --apply, "
                               "or cleans up after a killed `watch --install-audit-rules`)");
  check->excludes(apply);
  check->excludes(remove);
  apply->excludes(remove);
  cmd->add_option("--lock", options->lock_path, "Lock file serializing kernel audit changes ('' for none)")->capture_default_str();
  return {cmd, [options] { return run_setup(*options); }};
}

}  // namespace audetect::cli
