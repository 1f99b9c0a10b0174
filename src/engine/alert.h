// Elastic Security alert documents (detection-engine.md §7, §8, §13, decisions §14.5).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/alert_id.h"
#include "event/event.h"
#include "rules/rules.h"

namespace audetect::engine {

// Everything about a rule that goes into its alerts, prepared once when the engine starts.
class RuleAlertTemplate {
 public:
  struct Options {
    std::string uuid;                 // rule instance id; "" = the rule's rule_id
    std::string space = std::string(kDefaultSpace);
    std::string kibana_version = "8.17.0";
    int64_t loaded_at_ms = 0;         // created_at / updated_at
    bool immutable = true;            // bundled (prebuilt) rules
  };

  RuleAlertTemplate(const rules::Rule& rule, Options options);

  const rules::Rule& rule() const { return *rule_; }
  const std::string& uuid() const { return uuid_; }
  const std::string& space() const { return options_.space; }
  const std::string& kibana_version() const { return options_.kibana_version; }
  // `"kibana.alert.rule.<name>": value` members, comma-separated, without braces.
  const std::string& rule_members() const { return rule_members_; }

  // Severity, risk score and name after severity_mapping / risk_score_mapping / rule_name_override.
  std::string_view severity_for(const Event& source) const;
  int64_t risk_score_for(const Event& source) const;
  std::string name_for(const Event& source) const;

 private:
  const rules::Rule* rule_;
  Options options_;
  std::string uuid_;
  std::string rule_members_;
  std::vector<FieldPath> severity_paths_, risk_paths_;
  FieldPath name_override_path_;
};

// The few fields a person reads first (the table format), taken from the alert's source.
struct AlertView {
  std::string id;
  std::string_view json;  // the complete alert document (no newline)
  int64_t detection_ms = 0;
  int64_t original_ms = 0;
  std::string rule_name;
  std::string severity;
  std::string host, user, process, file;
  std::string reason;
  bool building_block = false;
};

struct ExecutionInfo {
  int64_t detection_ms = 0;      // @timestamp of the alert
  std::string execution_uuid;    // per rule execution
};

// Deterministic UUID-formatted id of one rule execution (same input, same id).
std::string execution_uuid(std::string_view rule_uuid, int64_t exec_time_ms);

// Kibana's reason sentence for `source`.
std::string alert_reason(const Event& source, std::string_view severity, std::string_view rule_name);

// Options that change how the source is copied.
struct SourceRewrite {
  // Replay with the event clock: event.ingested (when the source has it) becomes this instant, rendered
  // as whole seconds like Fleet's final pipeline. Negative = keep the source's value.
  int64_t ingested_override_ms = -1;
};

// One single-event alert (query / EQL event query): `out` receives the JSON document, `view` the summary.
void render_event_alert(const RuleAlertTemplate& rule, const Event& source, const SourceIdentity& identity,
                        const std::string& alert_id, const ExecutionInfo& exec, const SourceRewrite& rewrite,
                        std::string& out, AlertView& view);

// An EQL sequence: N building-block alerts then the shell alert, each document in `docs` and `views`.
// `rewrites` has one entry per source event. Returns the shell's id.
std::string render_sequence_alerts(const RuleAlertTemplate& rule, std::span<const Event> sources,
                                   std::span<const SourceIdentity> identities, const ExecutionInfo& exec,
                                   std::span<const SourceRewrite> rewrites, std::vector<std::string>& docs,
                                   std::vector<AlertView>& views);

// The shell's id without rendering anything (the de-duplication key of a sequence match).
std::string sequence_shell_id(std::span<const SourceIdentity> identities, std::string_view rule_uuid);

}  // namespace audetect::engine
