#include "engine/alert.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "engine/timestamp.h"
#include "event/json.h"

namespace audetect::engine {
namespace {

std::string_view rule_type_id(rules::RuleType t) {
  switch (t) {
    case rules::RuleType::kEql: return "siem.eqlRule";
    case rules::RuleType::kQuery: return "siem.queryRule";
    case rules::RuleType::kSavedQuery: return "siem.savedQueryRule";
    case rules::RuleType::kNewTerms: return "siem.newTermsRule";
    case rules::RuleType::kThreshold: return "siem.thresholdRule";
    case rules::RuleType::kThreatMatch: return "siem.indicatorRule";
    case rules::RuleType::kMachineLearning: return "siem.mlRule";
    case rules::RuleType::kEsql: return "siem.esqlRule";
  }
  return "";
}

std::string_view rule_category(rules::RuleType t) {
  switch (t) {
    case rules::RuleType::kEql: return "Event Correlation Rule";
    case rules::RuleType::kQuery: return "Custom Query Rule";
    case rules::RuleType::kSavedQuery: return "Saved Query Rule";
    case rules::RuleType::kNewTerms: return "New Terms Rule";
    case rules::RuleType::kThreshold: return "Threshold Rule";
    case rules::RuleType::kThreatMatch: return "Indicator Match Rule";
    case rules::RuleType::kMachineLearning: return "Machine Learning Rule";
    case rules::RuleType::kEsql: return "ES|QL Rule";
  }
  return "";
}

void strings(JsonWriter& w, const std::vector<std::string>& items) {
  w.begin_array();
  for (const auto& s : items) w.string(s);
  w.end_array();
}

// A JSON text kept by the rule loader (filters, meta): parsed once so it is written as a value.
void raw_json(JsonWriter& w, const std::string& json, std::string_view fallback) {
  EventBuilder builder;
  JsonEventReader reader;
  std::string wrapped = "{\"v\":" + json + "}";
  if (!json.empty() && reader.parse(wrapped, builder, nullptr) == JsonEventReader::Outcome::kEvent) {
    Event e = builder.finish();
    if (const Value* v = e.root().member("v")) {
      w.value(*v);
      return;
    }
  }
  EventBuilder fb;
  std::string fallback_doc = "{\"v\":" + std::string(fallback) + "}";
  (void)reader.parse(fallback_doc, fb, nullptr);
  Event e = fb.finish();
  w.value(*e.root().member("v"));
}

void threat_entry(JsonWriter& w, const rules::ThreatEntry& e) {
  w.begin_object();
  w.key("id"), w.string(e.id);
  w.key("name"), w.string(e.name);
  w.key("reference"), w.string(e.reference);
}

void threats(JsonWriter& w, const std::vector<rules::Threat>& list) {
  w.begin_array();
  for (const auto& t : list) {
    w.begin_object();
    w.key("framework"), w.string(t.framework);
    w.key("tactic"), threat_entry(w, t.tactic), w.end_object();
    if (!t.technique.empty()) {
      w.key("technique");
      w.begin_array();
      for (const auto& tech : t.technique) {
        threat_entry(w, tech);
        if (!tech.subtechnique.empty()) {
          w.key("subtechnique");
          w.begin_array();
          for (const auto& sub : tech.subtechnique) threat_entry(w, sub), w.end_object();
          w.end_array();
        }
        w.end_object();
      }
      w.end_array();
    }
    w.end_object();
  }
  w.end_array();
}

void exceptions(JsonWriter& w, const std::vector<rules::ExceptionListReference>& list) {
  w.begin_array();
  for (const auto& e : list) {
    w.begin_object();
    w.key("id"), w.string(e.id);
    w.key("list_id"), w.string(e.list_id);
    w.key("namespace_type"), w.string(e.namespace_type);
    w.key("type"), w.string(e.type);
    w.end_object();
  }
  w.end_array();
}

void risk_mapping(JsonWriter& w, const std::vector<rules::RiskScoreMapping>& list) {
  w.begin_array();
  for (const auto& m : list) {
    w.begin_object();
    w.key("field"), w.string(m.field);
    w.key("operator"), w.string(m.op.empty() ? "equals" : m.op);
    w.key("value"), w.string(m.value);
    if (m.risk_score) w.key("risk_score"), w.integer(*m.risk_score);
    w.end_object();
  }
  w.end_array();
}

void severity_mapping(JsonWriter& w, const std::vector<rules::SeverityMapping>& list) {
  w.begin_array();
  for (const auto& m : list) {
    w.begin_object();
    w.key("field"), w.string(m.field);
    w.key("operator"), w.string(m.op.empty() ? "equals" : m.op);
    w.key("value"), w.string(m.value);
    w.key("severity"), w.string(rules::to_string(m.severity));
    w.end_object();
  }
  w.end_array();
}

// Scalar rendered as Kibana's reason message and the table show it.
void append_scalar(std::string& out, const Value& v) {
  char buf[40];
  switch (v.kind()) {
    case ValueKind::kString: out.append(v.as_string()); break;
    case ValueKind::kInt: out.append(std::to_string(v.as_int())); break;
    case ValueKind::kDouble: {
      int n = std::snprintf(buf, sizeof buf, "%.15g", v.as_double());
      if (n > 0) out.append(buf, static_cast<size_t>(n));
      break;
    }
    case ValueKind::kBool: out.append(v.as_bool() ? "true" : "false"); break;
    default: break;
  }
}

// Every value at `path` joined with ", " (how a multi-valued field reads in the reason sentence).
std::string joined(const Event& e, const FieldPath& path) {
  std::string out;
  e.for_each_value(path, [&](const Value& v) {
    if (!out.empty()) out.append(", ");
    append_scalar(out, v);
  });
  return out;
}

struct ReasonPaths {
  FieldPath category{"event.category"}, process{"process.name"}, parent{"process.parent.name"},
      file{"file.name"}, src_ip{"source.ip"}, src_port{"source.port"}, dst_ip{"destination.ip"},
      dst_port{"destination.port"}, user{"user.name"}, host{"host.name"}, file_path{"file.path"},
      timestamp{"@timestamp"}, event{"event"}, data_stream{"data_stream"};
};
const ReasonPaths& paths() {
  static const ReasonPaths p;
  return p;
}

void flatten_into(JsonWriter& w, std::string& prefix, const Value& obj) {
  for (const Member& m : obj.as_object()) {
    const size_t len = prefix.size();
    prefix.append(m.name);
    if (m.value.is_object()) {
      prefix.push_back('.');
      flatten_into(w, prefix, m.value);
    } else {
      w.key(prefix);
      w.value(m.value);
    }
    prefix.resize(len);
  }
}

// The event object with kind = signal and, when replaying on event time, the simulated ingest time.
void write_event_object(JsonWriter& w, const Value* event, const SourceRewrite& rewrite, bool kind_only) {
  w.begin_object();
  if (event && event->is_object() && !kind_only) {
    for (const Member& m : event->as_object()) {
      if (m.name == "kind") continue;
      w.key(m.name);
      if (m.name == "ingested" && rewrite.ingested_override_ms >= 0) {
        std::string t = format_iso8601_ms(rewrite.ingested_override_ms / 1000 * 1000);
        t.replace(t.size() - 5, 5, "Z");  // whole seconds, as Fleet writes it
        w.string(t);
      } else {
        w.value(m.value);
      }
    }
  }
  w.key("kind");
  w.string("signal");
  w.end_object();
}

void write_original_event(JsonWriter& w, const Value* event, const SourceRewrite& rewrite) {
  if (!event || !event->is_object()) return;
  std::string prefix = "kibana.alert.original_event.";
  for (const Member& m : event->as_object()) {
    const size_t len = prefix.size();
    prefix.append(m.name);
    if (m.value.is_object()) {
      prefix.push_back('.');
      flatten_into(w, prefix, m.value);
    } else {
      w.key(prefix);
      if (m.name == "ingested" && rewrite.ingested_override_ms >= 0) {
        std::string t = format_iso8601_ms(rewrite.ingested_override_ms / 1000 * 1000);
        t.replace(t.size() - 5, 5, "Z");
        w.string(t);
      } else {
        w.value(m.value);
      }
    }
    prefix.resize(len);
  }
}

struct AlertParts {
  const Event* source = nullptr;
  std::span<const Ancestor> ancestors;
  int depth = 1;
  std::string_view id;
  std::string_view group_id;
  int group_index = -1;
  bool building_block = false;
  bool use_overrides = true;
  bool shell = false;
};

void render(const RuleAlertTemplate& rule, const AlertParts& parts, const ExecutionInfo& exec,
            const SourceRewrite& rewrite, std::string& out, AlertView& view) {
  const Event& source = *parts.source;
  const Value& root = source.root();
  const rules::Rule& r = rule.rule();
  const std::string name = parts.use_overrides ? rule.name_for(source) : r.name;
  const std::string_view severity = parts.use_overrides ? rule.severity_for(source) : rules::to_string(r.severity);
  const int64_t risk = parts.use_overrides ? rule.risk_score_for(source) : r.risk_score;
  const std::string reason = alert_reason(source, severity, name);
  const std::string when = format_iso8601_ms(exec.detection_ms);
  std::optional<int64_t> original_ms = event_time_ms(source, paths().timestamp);

  out.clear();
  JsonWriter w(out);
  w.begin_object();
  w.key("@timestamp"), w.string(when);
  const Value* event_obj = root.is_object() ? root.member("event") : nullptr;
  const Value* data_stream = root.is_object() ? root.member("data_stream") : nullptr;
  bool wrote_event = false;
  if (root.is_object()) {
    for (const Member& m : root.as_object()) {
      if (m.name == "@timestamp" || m.name == "kibana" || m.name == "signal" || m.name == "threshold_result")
        continue;
      if (m.name.starts_with("kibana.") || m.name.starts_with("signal.")) continue;
      w.key(m.name);
      if (m.name == "event") {
        write_event_object(w, &m.value, rewrite, parts.shell);
        wrote_event = true;
      } else {
        w.value(m.value);
      }
    }
  }
  if (!wrote_event) w.key("event"), write_event_object(w, nullptr, rewrite, true);

  w.key("kibana.alert.uuid"), w.string(parts.id);
  w.key("kibana.alert.status"), w.string("active");
  w.key("kibana.alert.workflow_status"), w.string("open");
  w.key("kibana.alert.workflow_tags"), w.begin_array(), w.end_array();
  w.key("kibana.alert.workflow_assignee_ids"), w.begin_array(), w.end_array();
  w.key("kibana.alert.depth"), w.integer(parts.depth);
  w.key("kibana.alert.ancestors");
  w.begin_array();
  for (const Ancestor& a : parts.ancestors) {
    w.begin_object();
    w.key("id"), w.string(a.id);
    w.key("type"), w.string(a.type);
    w.key("index"), w.string(a.index);
    w.key("depth"), w.integer(a.depth);
    if (!a.rule.empty()) w.key("rule"), w.string(a.rule);
    w.end_object();
  }
  w.end_array();
  if (!parts.shell && original_ms) w.key("kibana.alert.original_time"), w.string(format_iso8601_ms(*original_ms));
  write_original_event(w, event_obj, rewrite);
  if (data_stream && data_stream->is_object()) {
    std::string prefix = "kibana.alert.original_data_stream.";
    flatten_into(w, prefix, *data_stream);
  }
  w.key("kibana.alert.reason"), w.string(reason);
  w.key("kibana.alert.severity"), w.string(severity);
  w.key("kibana.alert.risk_score"), w.integer(risk);
  if (parts.building_block) w.key("kibana.alert.building_block_type"), w.string("default");
  if (!parts.group_id.empty()) {
    w.key("kibana.alert.group.id"), w.string(parts.group_id);
    if (parts.group_index >= 0) w.key("kibana.alert.group.index"), w.integer(parts.group_index);
  }
  w.key("kibana.alert.intended_timestamp"), w.string(when);
  w.key("kibana.alert.start"), w.string(when);
  w.key("kibana.alert.last_detected"), w.string(when);
  w.key("kibana.alert.rule.execution.type"), w.string("scheduled");
  w.key("kibana.alert.rule.execution.uuid"), w.string(exec.execution_uuid);
  w.key("kibana.alert.rule.execution.timestamp"), w.string(when);
  w.key("kibana.alert.rule.name"), w.string(name);
  w.key("kibana.space_ids"), w.begin_array(), w.string(rule.space()), w.end_array();
  w.key("kibana.version"), w.string(rule.kibana_version());
  // The writer is done: the rule's constant members are spliced in as prepared text.
  out.push_back(',');
  out.append(rule.rule_members());
  out.push_back('}');

  view.id = std::string(parts.id);
  view.json = out;
  view.detection_ms = exec.detection_ms;
  view.original_ms = original_ms.value_or(0);
  view.rule_name = name;
  view.severity = std::string(severity);
  view.host = joined(source, paths().host);
  view.user = joined(source, paths().user);
  view.process = joined(source, paths().process);
  view.file = joined(source, paths().file_path);
  view.reason = reason;
  view.building_block = parts.building_block;
}

Ancestor event_ancestor(const SourceIdentity& id) { return Ancestor{id.id, "event", id.index, 0, ""}; }

// --- Intersection of the building blocks' sources (the shell's source fields, §8) ---------------------

bool same_scalar(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case ValueKind::kNull: return true;
    case ValueKind::kBool: return a.as_bool() == b.as_bool();
    case ValueKind::kInt: return a.as_int() == b.as_int();
    case ValueKind::kDouble: return a.as_double() == b.as_double();
    case ValueKind::kString: return a.as_string() == b.as_string();
    default: return false;
  }
}

const Value* member_like(const Value& obj, const Member& m) {
  return m.key != kNoKey ? obj.member(m.key) : obj.member(m.name);
}

bool in_array(const Value& arr, const Value& v) {
  for (const Value& e : arr.as_array())
    if (same_scalar(e, v)) return true;
  return false;
}

// Whether the objects have anything in common (so an object member is written only when non-empty).
bool has_common(std::span<const Value* const> objs) {
  for (const Member& m : objs[0]->as_object()) {
    std::vector<const Value*> vals{&m.value};
    for (size_t i = 1; i < objs.size(); ++i) {
      const Value* v = member_like(*objs[i], m);
      if (!v) break;
      vals.push_back(v);
    }
    if (vals.size() != objs.size()) continue;
    const ValueKind k = m.value.kind();
    if (!std::all_of(vals.begin(), vals.end(), [k](const Value* v) { return v->kind() == k; })) continue;
    if (k == ValueKind::kObject) {
      if (has_common(vals)) return true;
    } else if (k == ValueKind::kArray) {
      for (const Value& e : m.value.as_array())
        if (std::all_of(vals.begin() + 1, vals.end(), [&](const Value* a) { return in_array(*a, e); })) return true;
    } else if (std::all_of(vals.begin() + 1, vals.end(), [&](const Value* v) { return same_scalar(m.value, *v); })) {
      return true;
    }
  }
  return false;
}

void push_scalar(EventBuilder& b, EventBuilder::Node arr, const Value& v) {
  switch (v.kind()) {
    case ValueKind::kString: b.push_string(arr, v.as_string()); break;
    case ValueKind::kInt: b.push_int(arr, v.as_int()); break;
    case ValueKind::kDouble: b.push_double(arr, v.as_double()); break;
    case ValueKind::kBool: b.push_bool(arr, v.as_bool()); break;
    case ValueKind::kNull: b.push_null(arr); break;
    default: break;
  }
}

void build_common(EventBuilder& b, EventBuilder::Node node, std::span<const Value* const> objs) {
  for (const Member& m : objs[0]->as_object()) {
    std::vector<const Value*> vals{&m.value};
    for (size_t i = 1; i < objs.size(); ++i) {
      const Value* v = member_like(*objs[i], m);
      if (!v) break;
      vals.push_back(v);
    }
    if (vals.size() != objs.size()) continue;
    const ValueKind k = m.value.kind();
    if (!std::all_of(vals.begin(), vals.end(), [k](const Value* v) { return v->kind() == k; })) continue;
    if (k == ValueKind::kObject) {
      if (has_common(vals)) build_common(b, b.append_object(node, m.name), vals);
    } else if (k == ValueKind::kArray) {
      std::vector<const Value*> common;
      for (const Value& e : m.value.as_array())
        if (!e.is_object() && !e.is_array() &&
            std::all_of(vals.begin() + 1, vals.end(), [&](const Value* a) { return in_array(*a, e); }))
          common.push_back(&e);
      if (common.empty()) continue;
      auto arr = b.append_array(node, m.name);
      for (const Value* e : common) push_scalar(b, arr, *e);
    } else if (std::all_of(vals.begin() + 1, vals.end(), [&](const Value* v) { return same_scalar(m.value, *v); })) {
      switch (k) {
        case ValueKind::kString: b.append_string(node, m.name, m.value.as_string()); break;
        case ValueKind::kInt: b.append_int(node, m.name, m.value.as_int()); break;
        case ValueKind::kDouble: b.append_double(node, m.name, m.value.as_double()); break;
        case ValueKind::kBool: b.append_bool(node, m.name, m.value.as_bool()); break;
        case ValueKind::kNull: b.append_null(node, m.name); break;
        default: break;
      }
    }
  }
}

}  // namespace

// --- RuleAlertTemplate --------------------------------------------------------------------------------

RuleAlertTemplate::RuleAlertTemplate(const rules::Rule& rule, Options options)
    : rule_(&rule), options_(std::move(options)) {
  uuid_ = options_.uuid.empty() ? rule.rule_id : options_.uuid;
  for (const auto& m : rule.severity_mapping) severity_paths_.emplace_back(m.field);
  for (const auto& m : rule.risk_score_mapping) risk_paths_.emplace_back(m.field);
  if (!rule.rule_name_override.empty()) name_override_path_ = FieldPath(rule.rule_name_override);

  const std::string loaded = format_iso8601_ms(options_.loaded_at_ms);
  std::string doc;
  JsonWriter w(doc);
  w.begin_object();
  auto k = [&](std::string_view name) { w.key(std::string("kibana.alert.rule.").append(name)); };
  k("author"), strings(w, rule.author);
  if (rule.is_building_block()) k("building_block_type"), w.string(rule.building_block_type);
  k("category"), w.string(rule_category(rule.type));
  k("consumer"), w.string("siem");
  k("created_at"), w.string(loaded);
  k("created_by"), w.string("audetect");
  k("description"), w.string(rule.description);
  k("enabled"), w.boolean(rule.enabled.value_or(true));
  k("exceptions_list"), exceptions(w, rule.exceptions_list);
  k("false_positives"), strings(w, rule.false_positives);
  k("from"), w.string(rule.from.text);
  k("immutable"), w.boolean(options_.immutable);
  k("indices"), strings(w, rule.index);
  k("interval"), w.string(std::to_string(rule.interval.count() % 60000 == 0 ? rule.interval.count() / 60000
                                                                              : rule.interval.count() / 1000) +
                          (rule.interval.count() % 60000 == 0 ? "m" : "s"));
  if (!rule.license.empty()) k("license"), w.string(rule.license);
  k("max_signals"), w.integer(std::clamp<int64_t>(rule.max_signals, 1, 1000));
  if (!rule.note.empty()) k("note"), w.string(rule.note);
  k("producer"), w.string("siem");
  k("references"), strings(w, rule.references);
  k("revision"), w.integer(rule.revision.value_or(0));
  k("risk_score"), w.integer(rule.risk_score);
  k("risk_score_mapping"), risk_mapping(w, rule.risk_score_mapping);
  k("rule_id"), w.string(rule.rule_id);
  if (!rule.rule_name_override.empty()) k("rule_name_override"), w.string(rule.rule_name_override);
  k("rule_type_id"), w.string(rule_type_id(rule.type));
  k("severity"), w.string(rules::to_string(rule.severity));
  k("severity_mapping"), severity_mapping(w, rule.severity_mapping);
  k("tags"), strings(w, rule.tags);
  k("threat"), threats(w, rule.threat);
  if (!rule.timeline_id.empty()) k("timeline_id"), w.string(rule.timeline_id);
  if (!rule.timeline_title.empty()) k("timeline_title"), w.string(rule.timeline_title);
  if (!rule.timestamp_override.empty()) k("timestamp_override"), w.string(rule.timestamp_override);
  k("to"), w.string(rule.to.text);
  k("type"), w.string(rules::to_string(rule.type));
  k("updated_at"), w.string(loaded);
  k("updated_by"), w.string("audetect");
  k("uuid"), w.string(uuid_);
  k("version"), w.integer(rule.version);
  k("actions"), w.begin_array(), w.end_array();
  if (!rule.meta_json.empty()) k("meta"), raw_json(w, rule.meta_json, "{}");

  k("parameters");
  w.begin_object();
  w.key("author"), strings(w, rule.author);
  if (rule.is_building_block()) w.key("building_block_type"), w.string(rule.building_block_type);
  w.key("description"), w.string(rule.description);
  w.key("false_positives"), strings(w, rule.false_positives);
  w.key("from"), w.string(rule.from.text);
  w.key("to"), w.string(rule.to.text);
  w.key("immutable"), w.boolean(options_.immutable);
  if (!rule.license.empty()) w.key("license"), w.string(rule.license);
  w.key("max_signals"), w.integer(std::clamp<int64_t>(rule.max_signals, 1, 1000));
  if (!rule.note.empty()) w.key("note"), w.string(rule.note);
  w.key("references"), strings(w, rule.references);
  w.key("risk_score"), w.integer(rule.risk_score);
  w.key("risk_score_mapping"), risk_mapping(w, rule.risk_score_mapping);
  w.key("rule_id"), w.string(rule.rule_id);
  if (!rule.rule_name_override.empty()) w.key("rule_name_override"), w.string(rule.rule_name_override);
  if (!rule.setup.empty()) w.key("setup"), w.string(rule.setup);
  w.key("severity"), w.string(rules::to_string(rule.severity));
  w.key("severity_mapping"), severity_mapping(w, rule.severity_mapping);
  w.key("threat"), threats(w, rule.threat);
  if (!rule.timestamp_override.empty()) {
    w.key("timestamp_override"), w.string(rule.timestamp_override);
    w.key("timestamp_override_fallback_disabled"), w.boolean(rule.timestamp_override_fallback_disabled);
  }
  w.key("version"), w.integer(rule.version);
  w.key("exceptions_list"), exceptions(w, rule.exceptions_list);
  w.key("related_integrations");
  w.begin_array();
  for (const auto& ri : rule.related_integrations) {
    w.begin_object();
    w.key("package"), w.string(ri.package);
    w.key("version"), w.string(ri.version);
    if (!ri.integration.empty()) w.key("integration"), w.string(ri.integration);
    w.end_object();
  }
  w.end_array();
  w.key("required_fields");
  w.begin_array();
  for (const auto& f : rule.required_fields) {
    w.begin_object();
    w.key("name"), w.string(f.name);
    w.key("type"), w.string(f.type);
    w.key("ecs"), w.boolean(f.ecs);
    w.end_object();
  }
  w.end_array();
  w.key("type"), w.string(rules::to_string(rule.type));
  if (rule.language != rules::QueryLanguage::kNone) w.key("language"), w.string(rules::to_string(rule.language));
  if (!rule.query.empty()) w.key("query"), w.string(rule.query);
  w.key("index"), strings(w, rule.index);
  w.key("filters"), raw_json(w, rule.filters_json, "[]");
  if (!rule.event_category_override.empty())
    w.key("event_category_override"), w.string(rule.event_category_override);
  if (!rule.timestamp_field.empty()) w.key("timestamp_field"), w.string(rule.timestamp_field);
  if (!rule.tiebreaker_field.empty()) w.key("tiebreaker_field"), w.string(rule.tiebreaker_field);
  w.end_object();
  w.end_object();
  // Keep the members only: they are spliced into every alert of this rule.
  rule_members_ = doc.substr(1, doc.size() - 2);
}

std::string_view RuleAlertTemplate::severity_for(const Event& source) const {
  rules::Severity best = rule_->severity;
  bool mapped = false;
  for (size_t i = 0; i < severity_paths_.size(); ++i) {
    const auto& m = rule_->severity_mapping[i];
    bool hit = false;
    source.for_each_value(severity_paths_[i], [&](const Value& v) {
      std::string text;
      append_scalar(text, v);
      hit = hit || text == m.value;
    });
    if (hit && (!mapped || m.severity > best)) best = m.severity, mapped = true;
  }
  return rules::to_string(best);
}

int64_t RuleAlertTemplate::risk_score_for(const Event& source) const {
  for (const FieldPath& p : risk_paths_) {
    std::optional<int64_t> score;
    source.for_each_value(p, [&](const Value& v) {
      if (score) return;
      if (v.is_number()) {
        double d = v.as_number();
        if (d >= 0 && d <= 100) score = static_cast<int64_t>(d);
      } else if (v.is_string()) {
        std::string s(v.as_string());
        char* end = nullptr;
        double d = std::strtod(s.c_str(), &end);
        if (end && *end == '\0' && !s.empty() && d >= 0 && d <= 100) score = static_cast<int64_t>(d);
      }
    });
    if (score) return *score;
  }
  return rule_->risk_score;
}

std::string RuleAlertTemplate::name_for(const Event& source) const {
  if (!name_override_path_.empty()) {
    std::string v = joined(source, name_override_path_);
    if (!v.empty()) return v;
  }
  return rule_->name;
}

// --- Free functions -----------------------------------------------------------------------------------

std::string execution_uuid(std::string_view rule_uuid, int64_t exec_time_ms) {
  std::string h = sha256_hex(std::string(rule_uuid) + "|" + std::to_string(exec_time_ms));
  h[12] = '4';  // version 4 layout, so tools that validate UUIDs accept it
  static constexpr char kVariant[] = "89ab";
  h[16] = kVariant[(h[16] - '0') & 3];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20, 12);
}

std::string alert_reason(const Event& e, std::string_view severity, std::string_view rule_name) {
  const ReasonPaths& p = paths();
  const std::string category = joined(e, p.category), process = joined(e, p.process),
                    parent = joined(e, p.parent), file = joined(e, p.file), src_ip = joined(e, p.src_ip),
                    src_port = joined(e, p.src_port), dst_ip = joined(e, p.dst_ip),
                    dst_port = joined(e, p.dst_port), user = joined(e, p.user), host = joined(e, p.host);
  std::string r;
  if (!category.empty()) r.append(category).append(" ");
  r.append("event");
  if (!process.empty() || !parent.empty() || !file.empty() || !src_ip.empty() || !src_port.empty() ||
      !dst_ip.empty() || !dst_port.empty())
    r.append(" with");
  if (!process.empty()) r.append(" process ").append(process).append(",");
  if (!parent.empty()) r.append(" parent process ").append(parent).append(",");
  if (!file.empty()) r.append(" file ").append(file).append(",");
  if (!src_ip.empty()) r.append(" source ").append(src_ip);
  if (!src_port.empty()) r.append(":").append(src_port).append(",");
  if (!dst_ip.empty()) r.append(" destination ").append(dst_ip);
  if (!dst_port.empty()) r.append(":").append(dst_port).append(",");
  if (!user.empty()) r.append(" by ").append(user);
  if (!host.empty()) r.append(" on ").append(host);
  r.append(" created ").append(severity).append(" alert ").append(rule_name).append(".");
  return r;
}

void render_event_alert(const RuleAlertTemplate& rule, const Event& source, const SourceIdentity& identity,
                        const std::string& alert_id, const ExecutionInfo& exec, const SourceRewrite& rewrite,
                        std::string& out, AlertView& view) {
  Ancestor parent = event_ancestor(identity);
  AlertParts parts;
  parts.source = &source;
  parts.ancestors = std::span<const Ancestor>(&parent, 1);
  parts.id = alert_id;
  parts.building_block = rule.rule().is_building_block();
  render(rule, parts, exec, rewrite, out, view);
}

std::string sequence_shell_id(std::span<const SourceIdentity> identities, std::string_view rule_uuid) {
  std::vector<std::vector<Ancestor>> blocks;
  for (const auto& id : identities) blocks.push_back({event_ancestor(id)});
  std::vector<std::string> bb_ids = building_block_ids(blocks, rule_uuid);
  std::vector<Ancestor> shell;
  for (size_t i = 0; i < identities.size(); ++i) {
    shell.push_back(event_ancestor(identities[i]));
    shell.push_back(Ancestor{bb_ids[i], "signal", "", 1, std::string(rule_uuid)});
  }
  return ancestors_alert_id(shell, rule_uuid);
}

std::string render_sequence_alerts(const RuleAlertTemplate& rule, std::span<const Event> sources,
                                   std::span<const SourceIdentity> identities, const ExecutionInfo& exec,
                                   std::span<const SourceRewrite> rewrites, std::vector<std::string>& docs,
                                   std::vector<AlertView>& views) {
  const size_t n = sources.size();
  std::vector<std::vector<Ancestor>> blocks;
  for (const auto& id : identities) blocks.push_back({event_ancestor(id)});
  std::vector<std::string> bb_ids = building_block_ids(blocks, rule.uuid());
  std::vector<Ancestor> shell_ancestors;
  for (size_t i = 0; i < n; ++i) {
    shell_ancestors.push_back(blocks[i][0]);
    shell_ancestors.push_back(Ancestor{bb_ids[i], "signal", "", 1, rule.uuid()});
  }
  std::string shell_id = ancestors_alert_id(shell_ancestors, rule.uuid());

  docs.assign(n + 1, std::string());
  views.assign(n + 1, AlertView());
  for (size_t i = 0; i < n; ++i) {
    AlertParts parts;
    parts.source = &sources[i];
    parts.ancestors = blocks[i];
    parts.id = bb_ids[i];
    parts.group_id = shell_id;
    parts.group_index = static_cast<int>(i);
    parts.building_block = true;
    parts.use_overrides = false;
    render(rule, parts, exec, i < rewrites.size() ? rewrites[i] : SourceRewrite{}, docs[i], views[i]);
  }

  // The shell's source: what every building block has in common.
  std::vector<const Value*> roots;
  for (const Event& e : sources)
    if (e.valid() && e.root().is_object()) roots.push_back(&e.root());
  EventBuilder builder;
  if (!roots.empty()) build_common(builder, EventBuilder::kRoot, roots);
  Event common = builder.finish().clone();
  AlertParts parts;
  parts.source = &common;
  parts.ancestors = shell_ancestors;
  parts.depth = 2;
  parts.id = shell_id;
  parts.group_id = shell_id;
  parts.building_block = rule.rule().is_building_block();
  parts.shell = true;
  render(rule, parts, exec, SourceRewrite{}, docs[n], views[n]);
  for (size_t i = 0; i <= n; ++i) views[i].json = docs[i];
  return shell_id;
}

}  // namespace audetect::engine
