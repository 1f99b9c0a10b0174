// Detection rules in Elastic's detection-rules TOML format (docs/detection-engine.md §12).
//
// A Rule is the fully parsed and validated content of one .toml file: every [metadata] and [rule] key
// the format defines, defaults applied (interval 5m, from now-6m, to now, max_signals 100), durations
// and date math parsed, and the audit rules it needs extracted. Loading never throws: problems come back
// as Diagnostics carrying file:line:column. Rules of types audetect cannot execute yet still load; they
// are marked not runnable with a reason so they are listed, never silently dropped.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace audetect::rules {

using Millis = std::chrono::milliseconds;

// 1-based line and column; 0 means "unknown" (e.g. a key that is missing entirely points at the table).
struct SourcePosition {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};
std::string to_string(const SourcePosition& position);  // "file:line:column"

struct Diagnostic {
  enum class Level : unsigned char { kError, kWarning };
  Level level = Level::kError;
  SourcePosition where;
  std::string message;

  // An error about a file as a whole (cannot open, read or list it): no line or column.
  static Diagnostic file_error(std::string file, std::string message);
};
// "file:line:column: error: message" (the shape compilers use, so editors can jump to it).
std::string to_string(const Diagnostic& diagnostic);

enum class RuleType : unsigned char {
  kQuery,
  kSavedQuery,
  kEql,
  kEsql,
  kThreshold,
  kThreatMatch,
  kNewTerms,
  kMachineLearning,
};
enum class QueryLanguage : unsigned char { kNone, kKuery, kLucene, kEql, kEsql };
enum class Severity : unsigned char { kLow, kMedium, kHigh, kCritical };

// The spelling used in TOML files and in Kibana alert documents ("new_terms", "kuery", "low").
std::string_view to_string(RuleType type);
std::string_view to_string(QueryLanguage language);  // "" for kNone
std::string_view to_string(Severity severity);
std::optional<RuleType> parse_rule_type(std::string_view text);
std::optional<QueryLanguage> parse_query_language(std::string_view text);
std::optional<Severity> parse_severity(std::string_view text);

// Elasticsearch date math relative to the execution instant: "now", "now-9m", "now/d", "now-1d/d".
// Units: y M w d h H m s (y/M use 365/30 days for the offset; rounding uses the calendar, in UTC).
struct DateMath {
  std::string text;       // as written
  Millis offset{0};       // added to now (negative = in the past)
  char round_unit = 0;    // 0 = no rounding, else one of y M w d h H m s (rounds down)

  // now + offset, then rounded down to round_unit. `now` and the result are milliseconds since the epoch.
  std::int64_t resolve(std::int64_t now_ms) const;
};
Result<DateMath> parse_date_math(std::string_view text);
// "5m", "60s", "1h", "2d" (the rule `interval` syntax; also accepts "ms" for convenience).
Result<Millis> parse_duration(std::string_view text);

struct RuleMetadata {
  std::string creation_date;  // "YYYY/MM/DD"
  std::string updated_date;
  std::string deprecation_date;
  std::string maturity;  // development | experimental | beta | production | deprecated ("" if absent)
  std::vector<std::string> integration;  // a single string is normalized to one element
  std::string min_stack_version;
  std::string min_stack_comments;
  std::string comments;
  std::vector<std::string> os_type_list;
  std::optional<bool> query_schema_validation;
  std::vector<std::string> related_endpoint_rules;
  std::optional<bool> promotion;
  std::optional<bool> bypass_bbr_timing;
  std::string extended_json;  // [metadata.extended] as JSON, "" if absent
};

// MITRE ATT&CK (or ATLAS) reference: id "TA0007", name "Discovery", reference URL.
struct ThreatEntry {
  std::string id;
  std::string name;
  std::string reference;
};
struct ThreatTechnique : ThreatEntry {
  std::vector<ThreatEntry> subtechnique;
};
struct Threat {
  std::string framework;  // "MITRE ATT&CK" | "MITRE ATLAS"
  ThreatEntry tactic;
  std::vector<ThreatTechnique> technique;
};

struct ExceptionListReference {
  std::string id;
  std::string list_id;
  std::string namespace_type;  // "single" | "agnostic"
  std::string type;            // "detection" | "rule_default" | "endpoint" | ...
};

struct RequiredField {
  std::string name;
  std::string type;
  bool ecs = false;
};

struct RelatedIntegration {
  std::string package;
  std::string version;
  std::string integration;  // "" if absent
};

struct RiskScoreMapping {
  std::string field;
  std::string op;  // "equals" or ""
  std::string value;
  std::optional<std::int64_t> risk_score;
};

struct SeverityMapping {
  std::string field;
  std::string op;  // "equals"
  std::string value;
  Severity severity = Severity::kLow;
};

struct NewTermsParams {
  std::vector<std::string> fields;  // 1-3
  DateMath history_window_start;
};

struct ThresholdCardinality {
  std::string field;
  std::int64_t value = 0;
};
struct ThresholdParams {
  std::vector<std::string> fields;  // group-by, 0-5
  std::int64_t value = 1;
  std::vector<ThresholdCardinality> cardinality;
};

struct AlertSuppression {
  std::vector<std::string> group_by;
  std::optional<Millis> duration;  // absent = suppress for the rule execution only
  std::string missing_fields_strategy;  // "suppress" | "doNotSuppress" | ""
};

struct MachineLearningParams {
  std::int64_t anomaly_threshold = 0;
  std::vector<std::string> job_ids;
};

struct ThreatMatchParams {
  std::vector<std::string> threat_index;
  std::string threat_query;
  std::string threat_language;
  std::string threat_indicator_path;
  std::string threat_mapping_json;  // array of {entries = [{field, type, value}]}
  std::string threat_filters_json;
  std::optional<std::int64_t> concurrent_searches;
  std::optional<std::int64_t> items_per_search;
};

struct Rule {
  RuleMetadata metadata;

  // Identity and description.
  std::string rule_id;
  std::string name;
  std::string description;
  std::vector<std::string> author;
  std::string license;
  std::int64_t version = 1;  // absent in most files (kept in version.lock.json upstream)
  std::optional<std::int64_t> revision;

  // What it runs.
  RuleType type = RuleType::kQuery;
  QueryLanguage language = QueryLanguage::kNone;
  std::string query;
  std::vector<std::string> index;
  std::string data_view_id;
  std::string filters_json = "[]";  // Kibana filter objects, JSON array
  std::size_t filter_count = 0;

  // When it runs (§2, §3).
  Millis interval{std::chrono::minutes(5)};
  DateMath from;  // default now-6m
  DateMath to;    // default now
  std::int64_t max_signals = 100;
  std::string timestamp_override;  // "" = @timestamp
  bool timestamp_override_fallback_disabled = false;
  std::string timestamp_field;  // eql: "" = @timestamp
  std::string event_category_override;
  std::string tiebreaker_field;

  // Alert shaping.
  Severity severity = Severity::kLow;
  std::int64_t risk_score = 0;
  std::vector<RiskScoreMapping> risk_score_mapping;
  std::vector<SeverityMapping> severity_mapping;
  std::string rule_name_override;
  std::string building_block_type;  // "default" on building-block rules
  std::optional<bool> enabled;
  std::vector<std::string> tags;
  std::vector<Threat> threat;
  std::string threat_mappings_json;  // newer framework-versioned alternative to `threat`, JSON
  std::vector<std::string> references;
  std::vector<std::string> false_positives;
  std::string note;   // investigation guide (Markdown)
  std::string setup;  // setup guide (Markdown)
  std::string timeline_id;
  std::string timeline_title;
  std::vector<std::string> investigation_fields;
  std::string meta_json;
  std::string actions_json;
  std::string response_actions_json;
  std::string throttle;

  // Related data.
  std::vector<ExceptionListReference> exceptions_list;
  std::vector<RequiredField> required_fields;
  std::vector<RelatedIntegration> related_integrations;
  std::optional<AlertSuppression> alert_suppression;

  // Type-specific parameters (set when present in the file).
  std::optional<NewTermsParams> new_terms;
  std::optional<ThresholdParams> threshold;
  std::optional<MachineLearningParams> machine_learning;
  std::optional<ThreatMatchParams> threat_match;

  // Audit rules (auditctl syntax, e.g. "-w /proc/ -p r -k audit_proc") the rule needs in the kernel:
  // the `-w`/`-a` lines of the setup guide plus [rule.audetect] audit_rules; deduplicated, in order.
  std::vector<std::string> audit_rules;

  // Whether audetect can execute it. False for types other than eql (and for eql queries that do not
  // compile, once checked); the reason says why, e.g. "rule type new_terms is not runnable yet".
  bool runnable = false;
  std::string not_runnable_reason;

  // Where it came from. query_origin is the file position of the first character of `query`'s value
  // (after a trimmed leading newline of a multi-line string), for mapping query errors to the file.
  SourcePosition source;  // file, and position of the [rule] table
  SourcePosition query_origin;
  bool query_is_literal = true;  // '...' / '''...''' string: positions map exactly (no escapes)
  // For a basic ("..." / """...""") query: the file position after each escape sequence or line-ending
  // backslash, keyed by offset in `query`; between anchors query and file text advance together.
  struct QueryAnchor {
    std::uint32_t offset = 0;
    std::uint32_t line = 0;
    std::uint32_t column = 0;
  };
  std::vector<QueryAnchor> query_anchors;

  bool is_building_block() const { return !building_block_type.empty(); }
  // The rule's timestamp field for window membership (§3): timestamp_override or "@timestamp".
  std::string_view window_timestamp_field() const;
  // Width of each execution's window (to − from) and the additional look-back (width − interval).
  Millis window_width() const;
  Millis additional_look_back() const;
  // True when `index` includes auditbeat-* or logs-auditd_manager.auditd-* (data audetect produces).
  bool targets_audit_data() const;
  // File position of (line, column) inside `query` (both 1-based).
  SourcePosition query_position(std::uint32_t line, std::uint32_t column) const;
};

// Parses one rule from TOML text. `source_name` is used in positions. On failure the Status message is
// the first error as "file:line:column: reason"; every error and warning (unknown keys, ...) is appended
// to `diagnostics` when given.
Result<Rule> parse_rule(std::string_view toml_text, std::string_view source_name,
                        std::vector<Diagnostic>* diagnostics = nullptr);
Result<Rule> load_rule_file(const std::filesystem::path& path,
                            std::vector<Diagnostic>* diagnostics = nullptr);

struct RuleSet {
  std::vector<Rule> rules;  // in path order; within a folder sorted by path
  std::vector<Diagnostic> diagnostics;
  std::size_t files_read = 0;
  std::size_t files_failed = 0;  // files with at least one error (their rule is not in `rules`)

  bool has_errors() const;
  // Finds by rule_id, else by exact name, else by case-insensitive name.
  const Rule* find(std::string_view id_or_name) const;
  // Every rule's audit_rules, deduplicated across rules (first occurrence order).
  std::vector<std::string> required_audit_rules() const;
};

// Loads files and folders (folders recursively, every *.toml). One bad file does not stop the others.
// A rule_id seen a second time is an error on the later file (Kibana keeps rule_ids unique).
RuleSet load_rules(std::span<const std::filesystem::path> paths);

// `-w ...` / `-a ...` audit rules mentioned in a setup guide, normalized to single spaces.
std::vector<std::string> extract_audit_rules(std::string_view setup_markdown);

// The bundled rules/ folder: next to or above the executable (installed and build-tree layouts), then
// the source tree this binary was built from. `argv0_or_exe` may be empty (then /proc/self/exe is used).
std::optional<std::filesystem::path> bundled_rules_dir(const std::filesystem::path& argv0_or_exe = {});

}  // namespace audetect::rules
