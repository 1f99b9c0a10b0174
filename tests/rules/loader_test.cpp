// Rule loading: every key of the detection-rules format, defaults, and bad files with exact positions.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "rules/rules.h"

namespace fs = std::filesystem;
using namespace audetect::rules;
using namespace std::chrono_literals;

namespace {

const fs::path kShippedRule =
    fs::path(AUDETECT_SOURCE_DIR) / "rules/linux/discovery_kernel_module_enumeration_via_proc.toml";

constexpr std::string_view kMetadata = R"([metadata]
creation_date = "2024/01/15"
updated_date = "2024/01/15"
maturity = "production"
)";

// A valid minimal EQL rule; tests append or replace lines to break it.
std::string minimal_rule(std::string_view extra_rule_lines = "") {
  return std::string(kMetadata) + R"(
[rule]
rule_id = "0b7e5c2a-1f4d-4e8a-9c3b-6d2f1a0e9b47"
name = "Shadow File Read"
description = "Reads of /etc/shadow."
author = ["Example"]
type = "eql"
language = "eql"
index = ["logs-auditd_manager.auditd-*"]
risk_score = 47
severity = "medium"
query = '''
file where file.path == "/etc/shadow"
'''
)" + std::string(extra_rule_lines);
}

// Parses text that must fail; returns the first error message ("file:line:col: reason").
std::string first_error(std::string_view text, std::vector<Diagnostic>* diagnostics = nullptr) {
  auto rule = parse_rule(text, "t.toml", diagnostics);
  EXPECT_FALSE(rule.is_ok()) << "expected an error";
  return rule.is_ok() ? std::string() : rule.status().message();
}

TEST(RuleLoader, ShippedRuleHasTheIssueMetadata) {
  std::vector<Diagnostic> diagnostics;
  auto loaded = load_rule_file(kShippedRule, &diagnostics);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  EXPECT_TRUE(diagnostics.empty()) << to_string(diagnostics.front());
  const Rule& r = *loaded;
  EXPECT_EQ(r.name, "Enumeration of Kernel Modules via Proc");
  EXPECT_EQ(r.rule_id, "80084fa9-8677-4453-8680-b891d3c0c778");
  EXPECT_EQ(r.version, 2);
  EXPECT_EQ(r.type, RuleType::kEql);
  EXPECT_EQ(r.language, QueryLanguage::kEql);
  EXPECT_EQ(r.index, (std::vector<std::string>{"auditbeat-*", "logs-auditd_manager.auditd-*"}));
  EXPECT_EQ(r.severity, Severity::kLow);
  EXPECT_EQ(r.risk_score, 21);
  EXPECT_EQ(r.interval, 5min);
  EXPECT_EQ(r.from.text, "now-9m");
  EXPECT_EQ(r.from.offset, -9min);
  EXPECT_EQ(r.to.offset, 0min);
  EXPECT_EQ(r.window_width(), 9min);
  EXPECT_EQ(r.additional_look_back(), 4min);
  EXPECT_EQ(r.max_signals, 100);
  EXPECT_EQ(r.timestamp_override, "event.ingested");
  EXPECT_EQ(r.window_timestamp_field(), "event.ingested");
  EXPECT_EQ(r.tags, (std::vector<std::string>{"Domain: Endpoint", "OS: Linux", "Use Case: Threat Detection",
                                              "Tactic: Discovery"}));
  ASSERT_EQ(r.threat.size(), 1u);
  EXPECT_EQ(r.threat[0].framework, "MITRE ATT&CK");
  EXPECT_EQ(r.threat[0].tactic.id, "TA0007");
  EXPECT_EQ(r.threat[0].tactic.name, "Discovery");
  EXPECT_EQ(r.threat[0].tactic.reference, "https://attack.mitre.org/tactics/TA0007/");
  ASSERT_EQ(r.threat[0].technique.size(), 1u);
  EXPECT_EQ(r.threat[0].technique[0].id, "T1082");
  EXPECT_EQ(r.threat[0].technique[0].name, "System Information Discovery");
  EXPECT_TRUE(r.threat[0].technique[0].subtechnique.empty());
  EXPECT_EQ(r.author, std::vector<std::string>{"Elastic"});
  EXPECT_EQ(r.license, "Elastic License v2");
  EXPECT_EQ(r.audit_rules, std::vector<std::string>{"-w /proc/ -p r -k audit_proc"});
  EXPECT_NE(r.setup.find("-w /proc/ -p r -k audit_proc"), std::string::npos);
  EXPECT_FALSE(r.note.empty());
  EXPECT_FALSE(r.description.empty());
  EXPECT_EQ(r.false_positives.size(), 1u);
  EXPECT_TRUE(r.targets_audit_data());
  EXPECT_FALSE(r.is_building_block());
  EXPECT_TRUE(r.runnable) << r.not_runnable_reason;
  EXPECT_EQ(r.query,
            "file where host.os.type == \"linux\" and event.action == \"opened-file\" and file.path == "
            "\"/proc/modules\" and not\n(\n  process.name in (\"auditbeat\", \"kmod\", \"modprobe\", \"lsmod\", "
            "\"insmod\", \"modinfo\", \"rmmod\", \"SchedulerRunner\", \"grep\") or\n  process.parent.pid == 1 or "
            "process.title : \"*grep*\"\n)\n");
  // The query's first character is on the line after `query = '''`.
  std::ifstream in(kShippedRule);
  std::string line;
  std::uint32_t query_line = 0;
  for (std::uint32_t n = 1; std::getline(in, line); ++n) {
    if (line == "query = '''") query_line = n;
  }
  ASSERT_GT(query_line, 0u);
  EXPECT_EQ(r.query_origin.line, query_line + 1);
  EXPECT_EQ(r.query_origin.column, 1u);
  EXPECT_EQ(r.query_position(3, 5).line, query_line + 3);
  EXPECT_EQ(r.query_position(3, 5).column, 5u);
}

TEST(RuleLoader, MinimalRuleGetsKibanaDefaults) {
  auto r = parse_rule(minimal_rule(), "min.toml");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->interval, 5min);
  EXPECT_EQ(r->from.text, "now-6m");
  EXPECT_EQ(r->to.text, "now");
  EXPECT_EQ(r->additional_look_back(), 1min);
  EXPECT_EQ(r->max_signals, 100);
  EXPECT_EQ(r->version, 1);
  EXPECT_EQ(r->window_timestamp_field(), "@timestamp");
  EXPECT_EQ(r->filters_json, "[]");
  EXPECT_TRUE(r->audit_rules.empty());
  EXPECT_EQ(r->source.file, "min.toml");
  EXPECT_EQ(r->source.line, 6u);  // the [rule] header
  EXPECT_EQ(r->metadata.creation_date, "2024/01/15");
  EXPECT_EQ(r->metadata.maturity, "production");
  EXPECT_TRUE(r->runnable);
}

TEST(RuleLoader, EveryOptionalKeyIsRead) {
  std::string text = std::string(R"([metadata]
creation_date = "2020/04/12"
updated_date = "2024/05/21"
deprecation_date = "2025/01/01"
maturity = "beta"
integration = "auditd_manager"
min_stack_version = "8.3.0"
min_stack_comments = "new fields"
comments = "free text"
os_type_list = ["linux"]
query_schema_validation = false
related_endpoint_rules = ["a", "b"]
promotion = false
bypass_bbr_timing = true
[metadata.extended]
x = 1

[rule]
rule_id = "0b7e5c2a-1f4d-4e8a-9c3b-6d2f1a0e9b47"
name = "Everything"
description = "d"
author = ["A", "B"]
type = "eql"
language = "eql"
index = ["auditbeat-*"]
data_view_id = "dv"
risk_score = 73
severity = "high"
interval = "1h"
from = "now-119m"
to = "now-1m"
max_signals = 5
timestamp_override = "event.ingested"
timestamp_override_fallback_disabled = true
timestamp_field = "@timestamp"
event_category_override = "event.type"
tiebreaker_field = "event.sequence"
building_block_type = "default"
enabled = true
license = "Elastic License v2"
tags = ["OS: Linux"]
note = "triage"
setup = "  - `-a always,exit -F arch=b64 -S connect -k netconn`\n"
references = ["https://example.com"]
false_positives = ["fp"]
rule_name_override = "process.name"
timeline_id = "tid"
timeline_title = "title"
throttle = "no_actions"
version = 3
revision = 7
filters = [{ meta = { negate = true, disabled = false }, query = { match_phrase = { "process.name" = "x" } } }]
exceptions_list = [{ id = "e1", list_id = "l1", namespace_type = "single", type = "detection" }]
risk_score_mapping = [{ field = "event.risk", operator = "equals", value = "" }]
severity_mapping = [{ field = "event.severity", operator = "equals", value = "99", severity = "critical" }]
required_fields = [{ name = "process.name", type = "keyword", ecs = true }]
related_integrations = [{ package = "auditd_manager", version = "^1.0.0" }]
investigation_fields = { field_names = ["process.name", "user.name"] }
alert_suppression = { group_by = ["host.name"], duration = { value = 5, unit = "m" }, missing_fields_strategy = "suppress" }
meta = { from = "1m" }
query = "process where true"

[[rule.threat]]
framework = "MITRE ATT&CK"
[rule.threat.tactic]
id = "TA0002"
name = "Execution"
reference = "https://attack.mitre.org/tactics/TA0002/"
[[rule.threat.technique]]
id = "T1059"
name = "Command and Scripting Interpreter"
reference = "https://attack.mitre.org/techniques/T1059/"
[[rule.threat.technique.subtechnique]]
id = "T1059.004"
name = "Unix Shell"
reference = "https://attack.mitre.org/techniques/T1059/004/"

[rule.audetect]
audit_rules = ["-w /etc/shadow -p r -k shadow", "-a always,exit -F arch=b64 -S connect -k netconn"]

[transform]
[[transform.osquery]]
label = "x"
query = "select 1"
)");
  std::vector<Diagnostic> diagnostics;
  auto loaded = parse_rule(text, "all.toml", &diagnostics);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  for (const auto& d : diagnostics) ADD_FAILURE() << to_string(d);
  const Rule& r = *loaded;
  const RuleMetadata& m = r.metadata;
  EXPECT_EQ(m.deprecation_date, "2025/01/01");
  EXPECT_EQ(m.maturity, "beta");
  EXPECT_EQ(m.integration, std::vector<std::string>{"auditd_manager"});
  EXPECT_EQ(m.min_stack_version, "8.3.0");
  EXPECT_EQ(m.min_stack_comments, "new fields");
  EXPECT_EQ(m.comments, "free text");
  EXPECT_EQ(m.os_type_list, std::vector<std::string>{"linux"});
  EXPECT_EQ(m.query_schema_validation, false);
  EXPECT_EQ(m.related_endpoint_rules.size(), 2u);
  EXPECT_EQ(m.promotion, false);
  EXPECT_EQ(m.bypass_bbr_timing, true);
  EXPECT_EQ(m.extended_json, R"({"x":1})");

  EXPECT_EQ(r.author.size(), 2u);
  EXPECT_EQ(r.data_view_id, "dv");
  EXPECT_EQ(r.severity, Severity::kHigh);
  EXPECT_EQ(r.risk_score, 73);
  EXPECT_EQ(r.interval, 1h);
  EXPECT_EQ(r.from.offset, -119min);
  EXPECT_EQ(r.to.offset, -1min);
  EXPECT_EQ(r.window_width(), 118min);
  EXPECT_EQ(r.max_signals, 5);
  EXPECT_TRUE(r.timestamp_override_fallback_disabled);
  EXPECT_EQ(r.timestamp_field, "@timestamp");
  EXPECT_EQ(r.event_category_override, "event.type");
  EXPECT_EQ(r.tiebreaker_field, "event.sequence");
  EXPECT_TRUE(r.is_building_block());
  EXPECT_EQ(r.enabled, true);
  EXPECT_EQ(r.references, std::vector<std::string>{"https://example.com"});
  EXPECT_EQ(r.false_positives, std::vector<std::string>{"fp"});
  EXPECT_EQ(r.rule_name_override, "process.name");
  EXPECT_EQ(r.timeline_id, "tid");
  EXPECT_EQ(r.timeline_title, "title");
  EXPECT_EQ(r.throttle, "no_actions");
  EXPECT_EQ(r.version, 3);
  EXPECT_EQ(r.revision, 7);
  EXPECT_EQ(r.filter_count, 1u);
  EXPECT_NE(r.filters_json.find(R"("negate":true)"), std::string::npos) << r.filters_json;
  EXPECT_NE(r.filters_json.find(R"("process.name":"x")"), std::string::npos) << r.filters_json;
  ASSERT_EQ(r.exceptions_list.size(), 1u);
  EXPECT_EQ(r.exceptions_list[0].list_id, "l1");
  EXPECT_EQ(r.exceptions_list[0].namespace_type, "single");
  EXPECT_EQ(r.exceptions_list[0].type, "detection");
  ASSERT_EQ(r.risk_score_mapping.size(), 1u);
  EXPECT_EQ(r.risk_score_mapping[0].field, "event.risk");
  ASSERT_EQ(r.severity_mapping.size(), 1u);
  EXPECT_EQ(r.severity_mapping[0].severity, Severity::kCritical);
  EXPECT_EQ(r.severity_mapping[0].value, "99");
  ASSERT_EQ(r.required_fields.size(), 1u);
  EXPECT_EQ(r.required_fields[0].name, "process.name");
  EXPECT_TRUE(r.required_fields[0].ecs);
  ASSERT_EQ(r.related_integrations.size(), 1u);
  EXPECT_EQ(r.related_integrations[0].version, "^1.0.0");
  EXPECT_EQ(r.investigation_fields, (std::vector<std::string>{"process.name", "user.name"}));
  ASSERT_TRUE(r.alert_suppression.has_value());
  EXPECT_EQ(r.alert_suppression->group_by, std::vector<std::string>{"host.name"});
  EXPECT_EQ(r.alert_suppression->duration, Millis(5min));
  EXPECT_EQ(r.alert_suppression->missing_fields_strategy, "suppress");
  EXPECT_EQ(r.meta_json, R"({"from":"1m"})");
  ASSERT_EQ(r.threat.size(), 1u);
  ASSERT_EQ(r.threat[0].technique.size(), 1u);
  ASSERT_EQ(r.threat[0].technique[0].subtechnique.size(), 1u);
  EXPECT_EQ(r.threat[0].technique[0].subtechnique[0].id, "T1059.004");
  // Setup guide first, then the explicit key; the duplicate netconn rule appears once.
  EXPECT_EQ(r.audit_rules, (std::vector<std::string>{"-a always,exit -F arch=b64 -S connect -k netconn",
                                                     "-w /etc/shadow -p r -k shadow"}));
  EXPECT_EQ(r.query_is_literal, false);
  EXPECT_EQ(r.query_origin.column, 10u);  // after `query = "`
}

TEST(RuleLoader, TypeSpecificParameters) {
  auto new_terms = parse_rule(std::string(kMetadata) + R"(
[rule]
rule_id = "0b7e5c2a-1f4d-4e8a-9c3b-6d2f1a0e9b47"
name = "n"
description = "d"
author = ["a"]
type = "new_terms"
language = "kuery"
risk_score = 21
severity = "low"
query = "event.category:process"
[rule.new_terms]
field = "new_terms_fields"
value = ["host.id", "user.name"]
[[rule.new_terms.history_window_start]]
field = "history_window_start"
value = "now-14d"
)",
                              "nt.toml");
  ASSERT_TRUE(new_terms.is_ok()) << new_terms.status().message();
  ASSERT_TRUE(new_terms->new_terms.has_value());
  EXPECT_EQ(new_terms->new_terms->fields, (std::vector<std::string>{"host.id", "user.name"}));
  EXPECT_EQ(new_terms->new_terms->history_window_start.offset, Millis(-14 * 24h));
  EXPECT_FALSE(new_terms->runnable);
  EXPECT_EQ(new_terms->not_runnable_reason, "rule type new_terms is not runnable yet");

  auto threshold = parse_rule(std::string(kMetadata) + R"(
[rule]
rule_id = "0b7e5c2a-1f4d-4e8a-9c3b-6d2f1a0e9b47"
name = "n"
description = "d"
author = ["a"]
type = "threshold"
language = "kuery"
risk_score = 21
severity = "low"
query = "event.category:authentication"
[rule.threshold]
field = ["source.ip"]
value = 10
[[rule.threshold.cardinality]]
field = "user.name"
value = 5
)",
                              "th.toml");
  ASSERT_TRUE(threshold.is_ok()) << threshold.status().message();
  ASSERT_TRUE(threshold->threshold.has_value());
  EXPECT_EQ(threshold->threshold->fields, std::vector<std::string>{"source.ip"});
  EXPECT_EQ(threshold->threshold->value, 10);
  ASSERT_EQ(threshold->threshold->cardinality.size(), 1u);
  EXPECT_EQ(threshold->threshold->cardinality[0].value, 5);
  EXPECT_EQ(threshold->not_runnable_reason, "rule type threshold is not runnable yet");

  auto ml = parse_rule(std::string(kMetadata) + R"(
[rule]
rule_id = "0b7e5c2a-1f4d-4e8a-9c3b-6d2f1a0e9b47"
name = "n"
description = "d"
author = ["a"]
type = "machine_learning"
risk_score = 21
severity = "low"
anomaly_threshold = 50
machine_learning_job_id = ["v3_linux_rare_metadata_process"]
)",
                       "ml.toml");
  ASSERT_TRUE(ml.is_ok()) << ml.status().message();
  ASSERT_TRUE(ml->machine_learning.has_value());
  EXPECT_EQ(ml->machine_learning->anomaly_threshold, 50);
  EXPECT_EQ(ml->machine_learning->job_ids, std::vector<std::string>{"v3_linux_rare_metadata_process"});
  EXPECT_FALSE(ml->runnable);

  auto threat_match = parse_rule(std::string(kMetadata) + R"(
[rule]
rule_id = "0b7e5c2a-1f4d-4e8a-9c3b-6d2f1a0e9b47"
name = "n"
description = "d"
author = ["a"]
type = "threat_match"
language = "kuery"
risk_score = 21
severity = "low"
query = "file.hash.sha256:*"
threat_index = ["filebeat-*"]
threat_query = "threat.indicator.type:file"
threat_language = "kuery"
threat_indicator_path = "threat.indicator"
threat_mapping = [{ entries = [{ field = "file.hash.sha256", type = "mapping", value = "threat.indicator.file.hash.sha256" }] }]
)",
                                 "tm.toml");
  ASSERT_TRUE(threat_match.is_ok()) << threat_match.status().message();
  ASSERT_TRUE(threat_match->threat_match.has_value());
  EXPECT_EQ(threat_match->threat_match->threat_index, std::vector<std::string>{"filebeat-*"});
  EXPECT_NE(threat_match->threat_match->threat_mapping_json.find("threat.indicator.file.hash.sha256"),
            std::string::npos);
  EXPECT_EQ(threat_match->not_runnable_reason, "rule type threat_match is not runnable yet");
}

// Each bad file names the exact file:line:column of the offending value (or of the [rule] header for a
// missing key).
TEST(RuleLoader, ErrorsCarryExactPositions) {
  EXPECT_EQ(first_error(minimal_rule("severity = \"high\"\n")),
            "t.toml:19:12: invalid TOML: Error while parsing key-value pair: cannot redefine existing string "
            "'severity'");
  // Replace values in place so the line numbers are known: [rule] is line 6, rule_id 7, ..., severity
  // 15, query 16-18, and extra lines start at 19.
  auto replace = [](std::string text, std::string_view from, std::string_view to) {
    text.replace(text.find(from), from.size(), to);
    return text;
  };
  const std::string base = minimal_rule();
  EXPECT_EQ(first_error(replace(base, "severity = \"medium\"", "severity = \"severe\"")),
            "t.toml:15:12: rule.severity must be one of low, medium, high, critical; not \"severe\"");
  EXPECT_EQ(first_error(replace(base, "risk_score = 47", "risk_score = 101")),
            "t.toml:14:14: rule.risk_score must be 0-100, not 101");
  EXPECT_EQ(first_error(replace(base, "risk_score = 47", "risk_score = \"47\"")),
            "t.toml:14:14: rule.risk_score must be an integer, not string");
  EXPECT_EQ(first_error(replace(base, "type = \"eql\"", "type = \"sigma\"")),
            "t.toml:11:8: rule.type must be one of query, saved_query, eql, esql, threshold, threat_match, "
            "new_terms, machine_learning; not \"sigma\"");
  EXPECT_EQ(first_error(replace(base, "language = \"eql\"", "language = \"kuery\"")),
            "t.toml:12:12: rule.language \"kuery\" does not fit rule.type \"eql\"");
  EXPECT_EQ(first_error(replace(base, "rule_id = \"0b7e5c2a-1f4d-4e8a-9c3b-6d2f1a0e9b47\"\n", "")),
            "t.toml:6:1: missing required key rule.rule_id");
  EXPECT_EQ(first_error(replace(base, "rule_id = \"0b7e5c2a-1f4d-4e8a-9c3b-6d2f1a0e9b47\"", "rule_id = \"abc\"")),
            "t.toml:7:11: rule.rule_id must be a UUID, not \"abc\"");
  EXPECT_EQ(first_error(replace(base, "author = [\"Example\"]", "author = \"Example\"")),
            "t.toml:10:10: rule.author must be an array of strings, not string");
  EXPECT_EQ(first_error(replace(base, "author = [\"Example\"]", "author = [\"Example\", 3]")),
            "t.toml:10:22: rule.author[1] must be a string, not integer");
  EXPECT_EQ(first_error(minimal_rule("interval = \"5x\"\n")),
            "t.toml:19:12: rule.interval: invalid duration \"5x\": unit must be s, m, h or d");
  EXPECT_EQ(first_error(minimal_rule("from = \"yesterday\"\n")),
            "t.toml:19:8: rule.from: unsupported date math \"yesterday\": expected an expression relative to now, "
            "e.g. now-9m");
  EXPECT_EQ(first_error(minimal_rule("from = \"now+1m\"\n")),
            "t.toml:19:8: rule.from (now+1m) must be earlier than rule.to (now)");
  EXPECT_EQ(first_error(minimal_rule("max_signals = 0\n")), "t.toml:19:15: rule.max_signals must be at least 1");
  EXPECT_EQ(first_error(minimal_rule("building_block_type = \"yes\"\n")),
            "t.toml:19:23: rule.building_block_type must be \"default\", not \"yes\"");
  EXPECT_EQ(first_error(replace(base, "query = '''\nfile where file.path == \"/etc/shadow\"\n'''\n", "")),
            "t.toml:6:1: missing required key rule.query");
  EXPECT_EQ(first_error(replace(base, "creation_date = \"2024/01/15\"", "creation_date = \"2024-01-15\"")),
            "t.toml:2:17: metadata.creation_date must be a date YYYY/MM/DD, not \"2024-01-15\"");
  EXPECT_EQ(first_error(replace(base, "[metadata]", "[meta]")), "t.toml:1:1: missing [metadata] table");
  EXPECT_EQ(first_error("[rule\nname = 1\n"),
            "t.toml:1:6: invalid TOML: Error while parsing table header: expected ']', saw '\\n'");
  EXPECT_EQ(first_error(minimal_rule("[[rule.threat]]\nframework = \"MITRE ATT&CK\"\n")),
            "t.toml:19:1: missing required key rule.threat[0].tactic");
}

TEST(RuleLoader, EveryErrorIsReportedNotOnlyTheFirst) {
  std::vector<Diagnostic> diagnostics;
  std::string text = minimal_rule("interval = \"5x\"\nmax_signals = -1\n");
  (void)first_error(text, &diagnostics);
  ASSERT_EQ(diagnostics.size(), 2u);
  EXPECT_EQ(to_string(diagnostics[0]), "t.toml:19:12: error: rule.interval: invalid duration \"5x\": unit must be s, m, h or d");
  EXPECT_EQ(to_string(diagnostics[1]), "t.toml:20:15: error: rule.max_signals must be at least 1");
}

TEST(RuleLoader, UnknownKeysAreWarningsAndTheRuleLoads) {
  std::vector<Diagnostic> diagnostics;
  auto r = parse_rule(minimal_rule("colour = \"blue\"\n"), "t.toml", &diagnostics);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(to_string(diagnostics[0]), "t.toml:19:1: warning: unknown key rule.colour (ignored)");
}

TEST(RuleLoader, MaxSignalsAboveTheAlertingLimitIsCappedWithAWarning) {
  std::vector<Diagnostic> diagnostics;
  auto r = parse_rule(minimal_rule("max_signals = 5000\n"), "t.toml", &diagnostics);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->max_signals, 1000);
  ASSERT_EQ(diagnostics.size(), 1u);
  EXPECT_EQ(diagnostics[0].level, Diagnostic::Level::kWarning);
}

TEST(RuleLoader, ExplicitAuditRulesMustBeAuditctlRules) {
  EXPECT_EQ(first_error(minimal_rule("[rule.audetect]\naudit_rules = [\"watch /proc\"]\n")),
            "t.toml:20:15: rule.audetect.audit_rules: \"watch /proc\" is not an auditctl -w or -a rule");
}

TEST(RuleLoader, HostileInputDoesNotCrash) {
  for (std::string_view text : {std::string_view(""), std::string_view("\0\0\xff", 3), std::string_view("[[rule]]"),
                                std::string_view("rule = 3\nmetadata = []"), std::string_view("[rule]\nquery = '''")}) {
    auto r = parse_rule(text, "h.toml");
    EXPECT_FALSE(r.is_ok());
  }
}

TEST(RuleLoader, MutatedShippedRuleNeverCrashes) {
  std::ifstream in(kShippedRule, std::ios::binary);
  const std::string original((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(original.empty());
  // Deterministic xorshift so failures reproduce.
  std::uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  static constexpr char kInteresting[] = {'"', '\'', '[', ']', '=', '\n', '\\', '{', '}', ',', '#', '\0', '\xff', '\xc3'};
  int loaded = 0;
  for (int round = 0; round < 1500; ++round) {
    std::string text = original;
    int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits; ++e) {
      std::size_t at = next() % text.size();
      switch (next() % 3) {
        case 0: text[at] = kInteresting[next() % sizeof(kInteresting)]; break;
        case 1: text.erase(at, 1 + next() % 16); break;
        default: text.insert(at, 1, kInteresting[next() % sizeof(kInteresting)]);
      }
      if (text.empty()) text = "x";
    }
    std::vector<Diagnostic> diagnostics;
    auto rule = parse_rule(text, "m.toml", &diagnostics);
    if (rule) {
      ++loaded;
      // Whatever loads must be internally consistent.
      EXPECT_FALSE(rule->rule_id.empty());
      EXPECT_GE(rule->max_signals, 1);
      (void)rule->query_position(2, 3);
    } else {
      EXPECT_FALSE(diagnostics.empty());
      EXPECT_EQ(rule.status().message().rfind("m.toml", 0), 0u) << rule.status().message();
    }
  }
  EXPECT_GT(loaded, 0);
}

TEST(RuleLoader, OversizedOrUnreadableFilesAreRefused) {
  std::vector<Diagnostic> diagnostics;
  auto endless = load_rule_file("/dev/zero", &diagnostics);
  ASSERT_FALSE(endless.is_ok());
  EXPECT_EQ(endless.status().code(), audetect::StatusCode::kResourceExhausted);
  EXPECT_EQ(endless.status().message(), "/dev/zero: rule file is larger than the 4194304 byte limit");
  auto missing = load_rule_file("/nonexistent/rule.toml");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().message(), "/nonexistent/rule.toml: cannot open rule file");
}

TEST(RuleLoader, RequiredArraysMustNotBeEmpty) {
  std::string text = minimal_rule();
  text.replace(text.find("author = [\"Example\"]"), 20, "author = []");
  EXPECT_EQ(first_error(text), "t.toml:10:10: rule.author must not be empty");
  std::string blank = minimal_rule();
  blank.replace(blank.find("file where"), 37, "   ");
  EXPECT_EQ(first_error(blank), "t.toml:16:9: rule.query must not be empty");
}

TEST(RuleLoader, WindowsLineEndings) {
  std::string text = minimal_rule();
  for (std::size_t i = 0; (i = text.find('\n', i)) != std::string::npos; i += 2) text.insert(i, 1, '\r');
  auto r = parse_rule(text, "crlf.toml");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->query_origin.line, 17u);
  EXPECT_EQ(r->query_origin.column, 1u);
}

TEST(RuleModel, TargetsAuditDataByIndexPatternOrEsqlFrom) {
  Rule rule;
  rule.index = {"logs-endpoint.events.*"};
  EXPECT_FALSE(rule.targets_audit_data());
  rule.index = {"logs-endpoint.events.*", "logs-*"};
  EXPECT_TRUE(rule.targets_audit_data());
  rule.index = {"auditbeat-*"};
  EXPECT_TRUE(rule.targets_audit_data());
  rule.index.clear();
  rule.type = RuleType::kEsql;
  rule.query = "\nFROM logs-endpoint.events.process-*, logs-auditd_manager.auditd-* METADATA _id | where true";
  EXPECT_TRUE(rule.targets_audit_data());
  rule.query = "from logs-endpoint.events.process-* metadata _id, _index, _version | keep x";
  EXPECT_FALSE(rule.targets_audit_data());
  rule.query = "from auditbeat-*";
  EXPECT_TRUE(rule.targets_audit_data());
}

TEST(DateMath, ParsesAndResolves) {
  auto m = parse_date_math("now-9m");
  ASSERT_TRUE(m.is_ok());
  EXPECT_EQ(m->offset, -9min);
  EXPECT_EQ(m->resolve(1'700'000'000'000), 1'700'000'000'000 - 540'000);
  auto day = parse_date_math("now-1d/d");
  ASSERT_TRUE(day.is_ok());
  EXPECT_EQ(day->round_unit, 'd');
  // 2023-11-14T22:13:20Z minus one day, rounded down to midnight: 2023-11-13T00:00:00Z.
  EXPECT_EQ(day->resolve(1'700'000'000'000), 1'699'833'600'000);
  auto month = parse_date_math("now/M");
  ASSERT_TRUE(month.is_ok());
  EXPECT_EQ(month->resolve(1'700'000'000'000), 1'698'796'800'000);  // 2023-11-01
  auto week = parse_date_math("now/w");
  ASSERT_TRUE(week.is_ok());
  EXPECT_EQ(week->resolve(1'700'000'000'000), 1'699'833'600'000);  // Monday 2023-11-13
  EXPECT_EQ(parse_date_math("now+1h-30m")->offset, 30min);
  EXPECT_FALSE(parse_date_math("now-").is_ok());
  EXPECT_FALSE(parse_date_math("now-5").is_ok());
  EXPECT_FALSE(parse_date_math("now-5q").is_ok());
  EXPECT_FALSE(parse_date_math("now/d-1d").is_ok());
  EXPECT_FALSE(parse_date_math("2024-01-01").is_ok());
  EXPECT_FALSE(parse_date_math("now-99999999999999999999m").is_ok());
}

TEST(Duration, Parses) {
  EXPECT_EQ(*parse_duration("5m"), 5min);
  EXPECT_EQ(*parse_duration("60s"), 60s);
  EXPECT_EQ(*parse_duration("1h"), 1h);
  EXPECT_EQ(*parse_duration("2d"), 48h);
  EXPECT_FALSE(parse_duration("0m").is_ok());
  EXPECT_FALSE(parse_duration("m").is_ok());
  EXPECT_FALSE(parse_duration("5").is_ok());
  EXPECT_FALSE(parse_duration("-5m").is_ok());
  EXPECT_FALSE(parse_duration("5 m").is_ok());
}

TEST(AuditRules, ExtractedFromSetupGuides) {
  std::string_view setup = R"(## Setup
Add the following rules:
```
-w /proc/ -p r -k audit_proc
-a always,exit -F arch=b64 -S execve -S execveat -k exec
```
  -- "-a exit,always -F arch=b64 -S prctl -k prctl_detection"
- `-w   /etc/passwd -p wa -k passwd`
auditctl -w /etc/shadow -p r
Use -a to append a rule, -w to watch a file, and -a always for more.
-w relative/path -p r
-w /proc/ -p r -k audit_proc
)";
  EXPECT_EQ(extract_audit_rules(setup), (std::vector<std::string>{
                                            "-w /proc/ -p r -k audit_proc",
                                            "-a always,exit -F arch=b64 -S execve -S execveat -k exec",
                                            "-a exit,always -F arch=b64 -S prctl -k prctl_detection",
                                            "-w /etc/passwd -p wa -k passwd",
                                            "-w /etc/shadow -p r",
                                        }));
  EXPECT_TRUE(extract_audit_rules("").empty());
  EXPECT_TRUE(extract_audit_rules("-a").empty());
}

class RuleFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("audetect_rules_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "sub");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const fs::path& relative, std::string_view text) {
    std::ofstream(dir_ / relative) << text;
  }
  fs::path dir_;
};

TEST_F(RuleFolder, OneBadFileDoesNotStopTheOthers) {
  write("a.toml", minimal_rule());
  write("sub/b.toml", "[rule\n");
  std::string other = minimal_rule("[rule.audetect]\naudit_rules = [\"-w /etc/shadow -p r -k shadow\"]\n");
  other.replace(other.find("0b7e5c2a"), 8, "1b7e5c2a");
  other.replace(other.find("Shadow File Read"), 16, "Other Rule");
  write("sub/c.toml", other);
  write("sub/notes.txt", "not a rule");
  std::vector<fs::path> paths{dir_, dir_ / "missing.toml"};
  RuleSet set = load_rules(paths);
  ASSERT_EQ(set.rules.size(), 2u);
  EXPECT_EQ(set.rules[0].name, "Shadow File Read");
  EXPECT_EQ(set.rules[1].name, "Other Rule");
  EXPECT_EQ(set.files_read, 3u);
  EXPECT_EQ(set.files_failed, 2u);
  EXPECT_TRUE(set.has_errors());
  ASSERT_EQ(set.diagnostics.size(), 2u);
  EXPECT_EQ(set.diagnostics[0].where.file, (dir_ / "sub/b.toml").string());
  EXPECT_EQ(set.diagnostics[0].where.line, 1u);
  EXPECT_EQ(set.diagnostics[1].where.file, (dir_ / "missing.toml").string());
  EXPECT_EQ(set.required_audit_rules(), std::vector<std::string>{"-w /etc/shadow -p r -k shadow"});

  EXPECT_EQ(set.find("1b7e5c2a-1f4d-4e8a-9c3b-6d2f1a0e9b47"), &set.rules[1]);
  EXPECT_EQ(set.find("Shadow File Read"), &set.rules[0]);
  EXPECT_EQ(set.find("other rule"), &set.rules[1]);
  EXPECT_EQ(set.find("nope"), nullptr);
}

TEST_F(RuleFolder, DuplicateRuleIdIsAnErrorOnTheLaterFile) {
  write("a.toml", minimal_rule());
  write("b.toml", minimal_rule());
  std::vector<fs::path> paths{dir_};
  RuleSet set = load_rules(paths);
  ASSERT_EQ(set.rules.size(), 1u);
  ASSERT_EQ(set.diagnostics.size(), 1u);
  EXPECT_EQ(set.diagnostics[0].where.file, (dir_ / "b.toml").string());
  EXPECT_NE(set.diagnostics[0].message.find("duplicate rule_id"), std::string::npos);
  EXPECT_NE(set.diagnostics[0].message.find((dir_ / "a.toml").string() + ":6:1"), std::string::npos);
}

TEST(BundledRules, FoundFromTheSourceTreeAndLoadCleanly) {
  auto dir = bundled_rules_dir();
  ASSERT_TRUE(dir.has_value());
  EXPECT_TRUE(fs::exists(*dir / "linux/discovery_kernel_module_enumeration_via_proc.toml"));
  std::vector<fs::path> paths{*dir};
  RuleSet set = load_rules(paths);
  for (const auto& d : set.diagnostics) ADD_FAILURE() << to_string(d);
  EXPECT_NE(set.find("80084fa9-8677-4453-8680-b891d3c0c778"), nullptr);
  EXPECT_EQ(set.required_audit_rules(), std::vector<std::string>{"-w /proc/ -p r -k audit_proc"});
}

}  // namespace
