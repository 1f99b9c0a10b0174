// detection-rules TOML -> Rule, with validation (docs/detection-engine.md §12, §14.8).
//
// toml++ parses; this file walks the tables with a small reader that knows which keys each table may
// hold, checks types and enumerations, and records every problem with the position toml++ reports.
// Unknown keys are warnings (newer detection-rules releases add keys); wrong types and missing required
// keys are errors.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <toml++/toml.h>

#include "rules/rules.h"

namespace audetect::rules {
namespace {

std::string_view node_type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    default: return "nothing";
  }
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);  // toml++ has already validated UTF-8
        }
    }
  }
  out += '"';
}

// Compact JSON (toml++'s json_formatter always pretty-prints). Dates and times become strings.
void append_json(std::string& out, const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: {
      out += '{';
      bool first = true;
      for (auto&& [key, value] : *node.as_table()) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, key.str());
        out += ':';
        append_json(out, value);
      }
      out += '}';
      break;
    }
    case toml::node_type::array: {
      out += '[';
      const toml::array& array = *node.as_array();
      for (std::size_t i = 0; i < array.size(); ++i) {
        if (i) out += ',';
        append_json(out, *array.get(i));
      }
      out += ']';
      break;
    }
    case toml::node_type::string: append_json_string(out, node.as_string()->get()); break;
    case toml::node_type::integer: out += fmt::format("{}", node.as_integer()->get()); break;
    case toml::node_type::floating_point: {
      double d = node.as_floating_point()->get();
      if (std::isfinite(d)) {
        out += fmt::format("{}", d);
      } else {
        out += "null";  // JSON has no NaN/Infinity
      }
      break;
    }
    case toml::node_type::boolean: out += node.as_boolean()->get() ? "true" : "false"; break;
    default: {
      std::ostringstream text;
      node.visit([&](auto&& v) { text << v; });
      append_json_string(out, text.str());
    }
  }
}

std::string to_json(const toml::node& node) {
  std::string out;
  append_json(out, node);
  return out;
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

bool is_date(std::string_view s) {  // YYYY/MM/DD
  if (s.size() != 10 || s[4] != '/' || s[7] != '/') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  int month = (s[5] - '0') * 10 + (s[6] - '0');
  int day = (s[8] - '0') * 10 + (s[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// Reads tables of one document, recording diagnostics. `path` arguments are dotted key paths used in
// messages ("rule.threat[0].tactic").
class Reader {
 public:
  Reader(std::string_view file, std::string_view text) : file_(file), text_(text) {}

  std::vector<Diagnostic>& diagnostics() { return diagnostics_; }
  bool has_errors() const {
    return std::any_of(diagnostics_.begin(), diagnostics_.end(),
                       [](const Diagnostic& d) { return d.level == Diagnostic::Level::kError; });
  }

  SourcePosition position(const toml::source_region& region) const {
    return {std::string(file_), static_cast<std::uint32_t>(region.begin.line),
            static_cast<std::uint32_t>(region.begin.column)};
  }
  SourcePosition position(const toml::node& node) const { return position(node.source()); }

  void error(SourcePosition where, std::string message) {
    diagnostics_.push_back({Diagnostic::Level::kError, std::move(where), std::move(message)});
  }
  void warning(SourcePosition where, std::string message) {
    diagnostics_.push_back({Diagnostic::Level::kWarning, std::move(where), std::move(message)});
  }

  // Warns about keys of `table` not in `known`.
  void check_keys(const toml::table& table, std::string_view path,
                  std::initializer_list<std::string_view> known) {
    for (auto&& [key, value] : table) {
      if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
        warning(position(key.source()), fmt::format("unknown key {}.{} (ignored)", path, key.str()));
      }
    }
  }

  const toml::node* find(const toml::table& table, std::string_view key) const {
    return table.get(key);
  }

  void missing(const toml::table& table, std::string_view path, std::string_view key) {
    error(position(table), fmt::format("missing required key {}.{}", path, key));
  }

  void wrong_type(const toml::node& node, std::string_view path, std::string_view expected) {
    error(position(node), fmt::format("{} must be {}, not {}", path, expected, node_type_name(node)));
  }

  std::optional<std::string> string(const toml::table& table, std::string_view path, std::string_view key,
                                    bool required = false) {
    const toml::node* node = find(table, key);
    if (!node) {
      if (required) missing(table, path, key);
      return std::nullopt;
    }
    if (auto* s = node->as_string()) {
      if (required && s->get().empty()) {
        error(position(*node), fmt::format("{}.{} must not be empty", path, key));
      }
      return s->get();
    }
    wrong_type(*node, fmt::format("{}.{}", path, key), "a string");
    return std::nullopt;
  }

  std::optional<std::int64_t> integer(const toml::table& table, std::string_view path, std::string_view key,
                                      bool required = false) {
    const toml::node* node = find(table, key);
    if (!node) {
      if (required) missing(table, path, key);
      return std::nullopt;
    }
    if (auto* i = node->as_integer()) return i->get();
    wrong_type(*node, fmt::format("{}.{}", path, key), "an integer");
    return std::nullopt;
  }

  std::optional<bool> boolean(const toml::table& table, std::string_view path, std::string_view key) {
    const toml::node* node = find(table, key);
    if (!node) return std::nullopt;
    if (auto* b = node->as_boolean()) return b->get();
    wrong_type(*node, fmt::format("{}.{}", path, key), "a boolean");
    return std::nullopt;
  }

  // Array of strings; with `allow_single`, a lone string is accepted as a one-element list.
  std::vector<std::string> strings(const toml::table& table, std::string_view path, std::string_view key,
                                   bool required = false, bool allow_single = false) {
    std::vector<std::string> out;
    const toml::node* node = find(table, key);
    if (!node) {
      if (required) missing(table, path, key);
      return out;
    }
    if (allow_single && node->is_string()) {
      out.push_back(node->as_string()->get());
      return out;
    }
    const toml::array* array = node->as_array();
    if (!array) {
      wrong_type(*node, fmt::format("{}.{}", path, key),
                 allow_single ? "a string or an array of strings" : "an array of strings");
      return out;
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      if (auto* s = element.as_string()) {
        out.push_back(s->get());
      } else {
        wrong_type(element, fmt::format("{}.{}[{}]", path, key, i), "a string");
      }
    }
    if (required && array->empty()) error(position(*node), fmt::format("{}.{} must not be empty", path, key));
    return out;
  }

  const toml::table* table(const toml::table& parent, std::string_view path, std::string_view key) {
    const toml::node* node = find(parent, key);
    if (!node) return nullptr;
    if (auto* t = node->as_table()) return t;
    wrong_type(*node, fmt::format("{}.{}", path, key), "a table");
    return nullptr;
  }

  // Array of tables (`[[x]]` or an inline array of inline tables). Calls f(table, "path[i]") for each.
  template <class F>
  void tables(const toml::table& parent, std::string_view path, std::string_view key, F&& f) {
    const toml::node* node = find(parent, key);
    if (!node) return;
    const toml::array* array = node->as_array();
    if (!array) {
      wrong_type(*node, fmt::format("{}.{}", path, key), "an array of tables");
      return;
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& element = *array->get(i);
      std::string element_path = fmt::format("{}.{}[{}]", path, key, i);
      if (auto* t = element.as_table()) {
        f(*t, element_path);
      } else {
        wrong_type(element, element_path, "a table");
      }
    }
  }

  std::optional<std::string> json(const toml::table& parent, std::string_view key) {
    const toml::node* node = find(parent, key);
    if (!node) return std::nullopt;
    return to_json(*node);
  }

  // Position of the first character of a string value's content: toml++ points at the opening quote;
  // a multi-line string drops a newline that directly follows its opening delimiter.
  SourcePosition string_content_origin(const toml::node& node, bool& literal) const {
    SourcePosition origin = position(node);
    literal = true;
    std::size_t offset = offset_of(origin.line, origin.column);
    if (offset >= text_.size()) return origin;
    std::string_view rest = text_.substr(offset);
    std::size_t delimiter = 1;
    if (rest.starts_with("'''") || rest.starts_with("\"\"\"")) delimiter = 3;
    literal = rest.front() == '\'';
    rest.remove_prefix(std::min(delimiter, rest.size()));
    if (delimiter == 3 && (rest.starts_with("\n") || rest.starts_with("\r\n"))) {
      origin.line += 1;
      origin.column = 1;
    } else {
      origin.column += static_cast<std::uint32_t>(delimiter);
    }
    return origin;
  }

  // Anchors mapping offsets in a basic string's decoded content back to the file (Rule::query_anchors).
  // `origin` is string_content_origin's; toml++ accepted the string, so its escapes are well formed.
  std::vector<Rule::QueryAnchor> basic_string_anchors(const SourcePosition& origin, std::string_view decoded) const {
    std::vector<Rule::QueryAnchor> anchors;
    std::size_t raw = offset_of(origin.line, origin.column);
    std::size_t counted = raw;  // (line, column) is the file position of text_[counted]
    std::uint32_t line = origin.line, column = origin.column;
    std::size_t q = 0;
    auto blank = [&](std::size_t i) {
      return i < text_.size() && (text_[i] == ' ' || text_[i] == '\t' || text_[i] == '\r' || text_[i] == '\n');
    };
    while (q < decoded.size() && raw < text_.size()) {
      if (text_[raw] != '\\') {
        // A CRLF inside a multi-line string may be read as one LF.
        if (text_[raw] == '\r' && decoded[q] == '\n' && raw + 1 < text_.size() && text_[raw + 1] == '\n') ++raw;
        ++raw;
        ++q;
        continue;
      }
      char kind = raw + 1 < text_.size() ? text_[raw + 1] : '\0';
      std::size_t decoded_length = 1;
      if (kind == 'u' || kind == 'U') {
        std::size_t digits = kind == 'u' ? 4 : 8;
        std::uint32_t code_point = 0;
        for (std::size_t i = raw + 2; i < std::min(raw + 2 + digits, text_.size()); ++i) {
          char h = text_[i];
          int v = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h - 'A' + 10;
          code_point = (code_point << 4) | static_cast<std::uint32_t>(v & 0xF);
        }
        decoded_length = code_point < 0x80 ? 1 : code_point < 0x800 ? 2 : code_point < 0x10000 ? 3 : 4;
        raw += 2 + digits;
      } else if (blank(raw + 1)) {
        // Line-ending backslash: it and all whitespace and newlines up to the next other character vanish.
        decoded_length = 0;
        ++raw;
        while (blank(raw)) ++raw;
      } else {
        raw += 2;
      }
      q += decoded_length;
      raw = std::min(raw, text_.size());
      for (; counted < raw; ++counted) {
        if (text_[counted] == '\n') {
          ++line;
          column = 1;
        } else {
          ++column;
        }
      }
      anchors.push_back({static_cast<std::uint32_t>(std::min(q, decoded.size())), line, column});
    }
    return anchors;
  }

 private:
  // Byte offset of a toml++ (line, column); toml++ counts columns in code points.
  std::size_t offset_of(std::uint32_t line, std::uint32_t column) const {
    std::size_t offset = 0;
    for (std::uint32_t l = 1; l < line; ++l) {
      std::size_t nl = text_.find('\n', offset);
      if (nl == std::string_view::npos) return text_.size();
      offset = nl + 1;
    }
    for (std::uint32_t c = 1; c < column && offset < text_.size(); ++c) {
      ++offset;  // past the lead byte, then past its continuation bytes
      while (offset < text_.size() && (static_cast<unsigned char>(text_[offset]) & 0xC0) == 0x80) ++offset;
    }
    return offset;
  }

  std::string_view file_;
  std::string_view text_;
  std::vector<Diagnostic> diagnostics_;
};

void read_metadata(Reader& r, const toml::table& t, RuleMetadata& m) {
  constexpr std::string_view p = "metadata";
  r.check_keys(t, p,
               {"creation_date", "updated_date", "deprecation_date", "maturity", "integration",
                "min_stack_version", "min_stack_comments", "comments", "os_type_list",
                "query_schema_validation", "related_endpoint_rules", "promotion", "bypass_bbr_timing",
                "extended"});
  auto date = [&](std::string_view key, bool required) {
    auto value = r.string(t, p, key, required);
    if (value && !value->empty() && !is_date(*value)) {
      r.error(r.position(*t.get(key)), fmt::format("{}.{} must be a date YYYY/MM/DD, not \"{}\"", p, key, *value));
    }
    return value.value_or("");
  };
  m.creation_date = date("creation_date", true);
  m.updated_date = date("updated_date", true);
  m.deprecation_date = date("deprecation_date", false);
  m.maturity = r.string(t, p, "maturity").value_or("");
  if (!m.maturity.empty()) {
    static constexpr std::string_view kMaturities[] = {"development", "experimental", "beta", "production",
                                                        "deprecated"};
    if (std::find(std::begin(kMaturities), std::end(kMaturities), m.maturity) == std::end(kMaturities)) {
      r.error(r.position(*t.get("maturity")),
              fmt::format("metadata.maturity must be one of development, experimental, beta, production, "
                          "deprecated; not \"{}\"",
                          m.maturity));
    }
  }
  m.integration = r.strings(t, p, "integration", false, true);
  m.min_stack_version = r.string(t, p, "min_stack_version").value_or("");
  m.min_stack_comments = r.string(t, p, "min_stack_comments").value_or("");
  m.comments = r.string(t, p, "comments").value_or("");
  m.os_type_list = r.strings(t, p, "os_type_list");
  for (const auto& os : m.os_type_list) {
    if (os != "linux" && os != "windows" && os != "macos") {
      r.error(r.position(*t.get("os_type_list")),
              fmt::format("metadata.os_type_list entries must be linux, windows or macos, not \"{}\"", os));
    }
  }
  m.query_schema_validation = r.boolean(t, p, "query_schema_validation");
  m.related_endpoint_rules = r.strings(t, p, "related_endpoint_rules");
  m.promotion = r.boolean(t, p, "promotion");
  m.bypass_bbr_timing = r.boolean(t, p, "bypass_bbr_timing");
  if (r.table(t, p, "extended")) m.extended_json = *r.json(t, "extended");
}

ThreatEntry read_threat_entry(Reader& r, const toml::table& t, std::string_view path) {
  r.check_keys(t, path, {"id", "name", "reference", "subtechnique"});
  ThreatEntry e;
  e.id = r.string(t, path, "id", true).value_or("");
  e.name = r.string(t, path, "name", true).value_or("");
  e.reference = r.string(t, path, "reference", true).value_or("");
  return e;
}

void read_threat(Reader& r, const toml::table& rule, std::vector<Threat>& out) {
  r.tables(rule, "rule", "threat", [&](const toml::table& t, const std::string& path) {
    r.check_keys(t, path, {"framework", "tactic", "technique"});
    Threat threat;
    threat.framework = r.string(t, path, "framework", true).value_or("");
    if (!threat.framework.empty() && threat.framework != "MITRE ATT&CK" && threat.framework != "MITRE ATLAS") {
      r.warning(r.position(*t.get("framework")),
                fmt::format("{}.framework \"{}\" is not MITRE ATT&CK or MITRE ATLAS", path, threat.framework));
    }
    if (const toml::table* tactic = r.table(t, path, "tactic")) {
      threat.tactic = read_threat_entry(r, *tactic, path + ".tactic");
    } else if (!t.get("tactic")) {
      r.missing(t, path, "tactic");
    }
    r.tables(t, path, "technique", [&](const toml::table& tt, const std::string& tpath) {
      ThreatTechnique technique;
      static_cast<ThreatEntry&>(technique) = read_threat_entry(r, tt, tpath);
      r.tables(tt, tpath, "subtechnique", [&](const toml::table& st, const std::string& spath) {
        technique.subtechnique.push_back(read_threat_entry(r, st, spath));
      });
      threat.technique.push_back(std::move(technique));
    });
    out.push_back(std::move(threat));
  });
}

void read_type_specific(Reader& r, const toml::table& t, Rule& rule) {
  constexpr std::string_view p = "rule";
  if (const toml::table* nt = r.table(t, p, "new_terms")) {
    constexpr std::string_view np = "rule.new_terms";
    r.check_keys(*nt, np, {"field", "value", "history_window_start"});
    NewTermsParams params;
    auto field = r.string(*nt, np, "field", true);
    if (field && *field != "new_terms_fields") {
      r.error(r.position(*nt->get("field")), "rule.new_terms.field must be \"new_terms_fields\"");
    }
    params.fields = r.strings(*nt, np, "value", true);
    if (params.fields.size() > 3) {
      r.error(r.position(*nt->get("value")),
              fmt::format("rule.new_terms.value holds {} fields; at most 3 are allowed", params.fields.size()));
    }
    bool have_history = false;
    r.tables(*nt, np, "history_window_start", [&](const toml::table& h, const std::string& hp) {
      r.check_keys(h, hp, {"field", "value"});
      auto hfield = r.string(h, hp, "field", true);
      if (hfield && *hfield != "history_window_start") {
        r.error(r.position(*h.get("field")), fmt::format("{}.field must be \"history_window_start\"", hp));
      }
      if (auto value = r.string(h, hp, "value", true)) {
        // Upstream files also write "-7d" (no "now"); Kibana reads it as relative to now.
        std::string text = value->starts_with("now") ? *value : "now" + *value;
        auto math = parse_date_math(text);
        if (math) {
          params.history_window_start = std::move(*math);
          params.history_window_start.text = *value;
          have_history = true;
        } else {
          r.error(r.position(*h.get("value")), fmt::format("{}.value: {}", hp, math.status().message()));
        }
      }
    });
    if (!have_history && !nt->get("history_window_start")) r.missing(*nt, np, "history_window_start");
    rule.new_terms = std::move(params);
  }
  if (const toml::table* th = r.table(t, p, "threshold")) {
    constexpr std::string_view tp = "rule.threshold";
    r.check_keys(*th, tp, {"field", "value", "cardinality"});
    ThresholdParams params;
    params.fields = r.strings(*th, tp, "field", false, true);
    if (params.fields.size() > 5) {
      r.error(r.position(*th->get("field")),
              fmt::format("rule.threshold.field holds {} fields; at most 5 are allowed", params.fields.size()));
    }
    if (auto value = r.integer(*th, tp, "value", true)) {
      if (*value < 1) r.error(r.position(*th->get("value")), "rule.threshold.value must be at least 1");
      params.value = *value;
    }
    r.tables(*th, tp, "cardinality", [&](const toml::table& c, const std::string& cp) {
      r.check_keys(c, cp, {"field", "value"});
      ThresholdCardinality card;
      card.field = r.string(c, cp, "field", true).value_or("");
      card.value = r.integer(c, cp, "value", true).value_or(0);
      params.cardinality.push_back(std::move(card));
    });
    rule.threshold = std::move(params);
  }
  if (t.get("machine_learning_job_id") || t.get("anomaly_threshold")) {
    MachineLearningParams params;
    params.job_ids = r.strings(t, p, "machine_learning_job_id", true, true);
    params.anomaly_threshold = r.integer(t, p, "anomaly_threshold", true).value_or(0);
    rule.machine_learning = std::move(params);
  }
  if (t.get("threat_index") || t.get("threat_query") || t.get("threat_mapping")) {
    ThreatMatchParams params;
    params.threat_index = r.strings(t, p, "threat_index", true);
    params.threat_query = r.string(t, p, "threat_query").value_or("");
    params.threat_language = r.string(t, p, "threat_language").value_or("");
    params.threat_indicator_path = r.string(t, p, "threat_indicator_path").value_or("");
    params.threat_mapping_json = r.json(t, "threat_mapping").value_or("");
    params.threat_filters_json = r.json(t, "threat_filters").value_or("");
    params.concurrent_searches = r.integer(t, p, "concurrent_searches");
    params.items_per_search = r.integer(t, p, "items_per_search");
    rule.threat_match = std::move(params);
  }
}

void read_rule(Reader& r, const toml::table& t, Rule& rule, std::vector<std::string>& explicit_audit_rules) {
  constexpr std::string_view p = "rule";
  r.check_keys(
      t, p,
      {"rule_id", "name", "description", "author", "type", "risk_score", "severity", "language", "query",
       "index", "data_view_id", "filters", "from", "to", "interval", "max_signals", "timestamp_override",
       "timestamp_override_fallback_disabled", "building_block_type", "enabled", "license", "tags", "note",
       "setup", "references", "false_positives", "exceptions_list", "risk_score_mapping",
       "severity_mapping", "rule_name_override", "timeline_id", "timeline_title", "meta", "actions",
       "response_actions", "throttle", "version", "revision", "related_integrations", "required_fields",
       "investigation_fields", "alert_suppression", "threat", "threat_mappings", "timestamp_field",
       "event_category_override", "tiebreaker_field", "new_terms", "threshold", "anomaly_threshold",
       "machine_learning_job_id", "threat_index", "threat_query", "threat_language", "threat_mapping",
       "threat_filters", "threat_indicator_path", "concurrent_searches", "items_per_search", "output_index",
       "outcome", "namespace", "audetect"});

  rule.rule_id = r.string(t, p, "rule_id", true).value_or("");
  if (!rule.rule_id.empty() && !is_uuid(rule.rule_id)) {
    r.error(r.position(*t.get("rule_id")), fmt::format("rule.rule_id must be a UUID, not \"{}\"", rule.rule_id));
  }
  rule.name = r.string(t, p, "name", true).value_or("");
  rule.description = r.string(t, p, "description", true).value_or("");
  rule.author = r.strings(t, p, "author", true);
  rule.license = r.string(t, p, "license").value_or("");

  bool type_known = false;
  if (auto type = r.string(t, p, "type", true)) {
    if (auto parsed = parse_rule_type(*type)) {
      rule.type = *parsed;
      type_known = true;
    } else {
      r.error(r.position(*t.get("type")),
              fmt::format("rule.type must be one of query, saved_query, eql, esql, threshold, threat_match, "
                          "new_terms, machine_learning; not \"{}\"",
                          *type));
    }
  }
  if (auto language = r.string(t, p, "language")) {
    if (auto parsed = parse_query_language(*language)) {
      rule.language = *parsed;
    } else {
      r.error(r.position(*t.get("language")),
              fmt::format("rule.language must be one of kuery, lucene, eql, esql; not \"{}\"", *language));
    }
  }
  if (auto risk = r.integer(t, p, "risk_score", true)) {
    if (*risk < 0 || *risk > 100) {
      r.error(r.position(*t.get("risk_score")), fmt::format("rule.risk_score must be 0-100, not {}", *risk));
    }
    rule.risk_score = *risk;
  }
  if (auto severity = r.string(t, p, "severity", true)) {
    if (auto parsed = parse_severity(*severity)) {
      rule.severity = *parsed;
    } else {
      r.error(r.position(*t.get("severity")),
              fmt::format("rule.severity must be one of low, medium, high, critical; not \"{}\"", *severity));
    }
  }

  if (const toml::node* query = t.get("query")) {
    if (auto* s = query->as_string()) {
      rule.query = s->get();
      rule.query_origin = r.string_content_origin(*query, rule.query_is_literal);
      if (!rule.query_is_literal) rule.query_anchors = r.basic_string_anchors(rule.query_origin, rule.query);
    } else {
      r.wrong_type(*query, "rule.query", "a string");
    }
  }
  rule.index = r.strings(t, p, "index");
  rule.data_view_id = r.string(t, p, "data_view_id").value_or("");
  if (const toml::node* filters = t.get("filters")) {
    if (auto* array = filters->as_array()) {
      rule.filters_json = to_json(*array);
      rule.filter_count = array->size();
    } else {
      r.wrong_type(*filters, "rule.filters", "an array of filter tables");
    }
  }

  // Consistency of type, language and query.
  if (type_known) {
    const bool needs_query = rule.type != RuleType::kMachineLearning && rule.type != RuleType::kSavedQuery;
    if (needs_query && !t.get("query")) r.missing(t, p, "query");
    if (needs_query && t.get("query") && t.get("query")->is_string() &&
        rule.query.find_first_not_of(" \t\r\n") == std::string::npos) {
      r.error(r.position(*t.get("query")), "rule.query must not be empty");
    }
    if (rule.type != RuleType::kMachineLearning && !t.get("language")) r.missing(t, p, "language");
    if (rule.language != QueryLanguage::kNone && t.get("language")) {
      bool consistent = true;
      switch (rule.type) {
        case RuleType::kEql: consistent = rule.language == QueryLanguage::kEql; break;
        case RuleType::kEsql: consistent = rule.language == QueryLanguage::kEsql; break;
        case RuleType::kMachineLearning: consistent = true; break;
        default:
          consistent = rule.language == QueryLanguage::kKuery || rule.language == QueryLanguage::kLucene;
      }
      if (!consistent) {
        r.error(r.position(*t.get("language")),
                fmt::format("rule.language \"{}\" does not fit rule.type \"{}\"", to_string(rule.language),
                            to_string(rule.type)));
      }
    }
  }

  // Schedule.
  if (auto interval = r.string(t, p, "interval")) {
    if (auto parsed = parse_duration(*interval)) {
      rule.interval = *parsed;
    } else {
      r.error(r.position(*t.get("interval")), fmt::format("rule.interval: {}", parsed.status().message()));
    }
  }
  auto date_math = [&](std::string_view key, std::string_view fallback) {
    std::string text = std::string(fallback);
    if (auto value = r.string(t, p, key)) text = *value;
    auto parsed = parse_date_math(text);
    if (!parsed) {
      r.error(r.position(*t.get(key)), fmt::format("rule.{}: {}", key, parsed.status().message()));
      return *parse_date_math(fallback);
    }
    return std::move(*parsed);
  };
  rule.from = date_math("from", "now-6m");
  rule.to = date_math("to", "now");
  if (rule.from.round_unit == 0 && rule.to.round_unit == 0 && rule.from.offset >= rule.to.offset) {
    const toml::node* at = t.get("from") ? t.get("from") : t.get("to");
    r.error(at ? r.position(*at) : r.position(t),
            fmt::format("rule.from ({}) must be earlier than rule.to ({})", rule.from.text, rule.to.text));
  }
  if (auto max_signals = r.integer(t, p, "max_signals")) {
    if (*max_signals < 1) {
      r.error(r.position(*t.get("max_signals")), "rule.max_signals must be at least 1");
    } else if (*max_signals > 1000) {
      // Kibana caps it at xpack.alerting.rules.run.alerts.max (default 1000) with a warning.
      r.warning(r.position(*t.get("max_signals")),
                fmt::format("rule.max_signals {} exceeds the alerting limit 1000; reduced to 1000", *max_signals));
      rule.max_signals = 1000;
    } else {
      rule.max_signals = *max_signals;
    }
  }
  rule.timestamp_override = r.string(t, p, "timestamp_override").value_or("");
  rule.timestamp_override_fallback_disabled =
      r.boolean(t, p, "timestamp_override_fallback_disabled").value_or(false);
  rule.timestamp_field = r.string(t, p, "timestamp_field").value_or("");
  rule.event_category_override = r.string(t, p, "event_category_override").value_or("");
  rule.tiebreaker_field = r.string(t, p, "tiebreaker_field").value_or("");
  if (type_known && rule.type != RuleType::kEql) {
    for (std::string_view key : {"timestamp_field", "event_category_override", "tiebreaker_field"}) {
      if (t.get(key)) {
        r.warning(r.position(*t.get(key)),
                  fmt::format("rule.{} only applies to eql rules; ignored for type {}", key, to_string(rule.type)));
      }
    }
  }

  // Alert shaping.
  r.tables(t, p, "risk_score_mapping", [&](const toml::table& m, const std::string& mp) {
    r.check_keys(m, mp, {"field", "operator", "value", "risk_score"});
    RiskScoreMapping mapping;
    mapping.field = r.string(m, mp, "field", true).value_or("");
    mapping.op = r.string(m, mp, "operator").value_or("");
    mapping.value = r.string(m, mp, "value").value_or("");
    mapping.risk_score = r.integer(m, mp, "risk_score");
    rule.risk_score_mapping.push_back(std::move(mapping));
  });
  r.tables(t, p, "severity_mapping", [&](const toml::table& m, const std::string& mp) {
    r.check_keys(m, mp, {"field", "operator", "value", "severity"});
    SeverityMapping mapping;
    mapping.field = r.string(m, mp, "field", true).value_or("");
    mapping.op = r.string(m, mp, "operator", true).value_or("");
    if (!mapping.op.empty() && mapping.op != "equals") {
      r.error(r.position(*m.get("operator")), fmt::format("{}.operator must be \"equals\"", mp));
    }
    mapping.value = r.string(m, mp, "value", true).value_or("");
    if (auto severity = r.string(m, mp, "severity", true)) {
      if (auto parsed = parse_severity(*severity)) {
        mapping.severity = *parsed;
      } else {
        r.error(r.position(*m.get("severity")),
                fmt::format("{}.severity must be one of low, medium, high, critical; not \"{}\"", mp, *severity));
      }
    }
    rule.severity_mapping.push_back(std::move(mapping));
  });
  rule.rule_name_override = r.string(t, p, "rule_name_override").value_or("");
  rule.building_block_type = r.string(t, p, "building_block_type").value_or("");
  if (t.get("building_block_type") && rule.building_block_type != "default") {
    r.error(r.position(*t.get("building_block_type")),
            fmt::format("rule.building_block_type must be \"default\", not \"{}\"", rule.building_block_type));
  }
  rule.enabled = r.boolean(t, p, "enabled");
  rule.tags = r.strings(t, p, "tags");
  read_threat(r, t, rule.threat);
  if (t.get("threat_mappings")) rule.threat_mappings_json = *r.json(t, "threat_mappings");
  rule.references = r.strings(t, p, "references");
  rule.false_positives = r.strings(t, p, "false_positives");
  rule.note = r.string(t, p, "note").value_or("");
  rule.setup = r.string(t, p, "setup").value_or("");
  rule.timeline_id = r.string(t, p, "timeline_id").value_or("");
  rule.timeline_title = r.string(t, p, "timeline_title").value_or("");
  if (const toml::table* fields = r.table(t, p, "investigation_fields")) {
    r.check_keys(*fields, "rule.investigation_fields", {"field_names"});
    rule.investigation_fields = r.strings(*fields, "rule.investigation_fields", "field_names", true);
  }
  if (r.table(t, p, "meta")) rule.meta_json = *r.json(t, "meta");
  if (t.get("actions")) rule.actions_json = *r.json(t, "actions");
  if (t.get("response_actions")) rule.response_actions_json = *r.json(t, "response_actions");
  rule.throttle = r.string(t, p, "throttle").value_or("");
  if (auto version = r.integer(t, p, "version")) {
    if (*version < 1) r.error(r.position(*t.get("version")), "rule.version must be at least 1");
    rule.version = *version;
  }
  rule.revision = r.integer(t, p, "revision");

  // Related data.
  r.tables(t, p, "exceptions_list", [&](const toml::table& e, const std::string& ep) {
    r.check_keys(e, ep, {"id", "list_id", "namespace_type", "type"});
    ExceptionListReference ref;
    ref.id = r.string(e, ep, "id", true).value_or("");
    ref.list_id = r.string(e, ep, "list_id", true).value_or("");
    ref.namespace_type = r.string(e, ep, "namespace_type", true).value_or("");
    if (!ref.namespace_type.empty() && ref.namespace_type != "single" && ref.namespace_type != "agnostic") {
      r.error(r.position(*e.get("namespace_type")), fmt::format("{}.namespace_type must be single or agnostic", ep));
    }
    ref.type = r.string(e, ep, "type", true).value_or("");
    rule.exceptions_list.push_back(std::move(ref));
  });
  r.tables(t, p, "required_fields", [&](const toml::table& f, const std::string& fp) {
    r.check_keys(f, fp, {"name", "type", "ecs"});
    RequiredField field;
    field.name = r.string(f, fp, "name", true).value_or("");
    field.type = r.string(f, fp, "type", true).value_or("");
    field.ecs = r.boolean(f, fp, "ecs").value_or(false);
    rule.required_fields.push_back(std::move(field));
  });
  r.tables(t, p, "related_integrations", [&](const toml::table& f, const std::string& fp) {
    r.check_keys(f, fp, {"package", "version", "integration"});
    RelatedIntegration integration;
    integration.package = r.string(f, fp, "package", true).value_or("");
    integration.version = r.string(f, fp, "version", true).value_or("");
    integration.integration = r.string(f, fp, "integration").value_or("");
    rule.related_integrations.push_back(std::move(integration));
  });
  if (const toml::table* s = r.table(t, p, "alert_suppression")) {
    constexpr std::string_view sp = "rule.alert_suppression";
    r.check_keys(*s, sp, {"group_by", "duration", "missing_fields_strategy"});
    AlertSuppression suppression;
    suppression.group_by = r.strings(*s, sp, "group_by");
    if (suppression.group_by.size() > 3) {
      r.error(r.position(*s->get("group_by")), "rule.alert_suppression.group_by holds at most 3 fields");
    }
    if (const toml::table* d = r.table(*s, sp, "duration")) {
      constexpr std::string_view dp = "rule.alert_suppression.duration";
      r.check_keys(*d, dp, {"value", "unit"});
      auto value = r.integer(*d, dp, "value", true);
      auto unit = r.string(*d, dp, "unit", true);
      if (value && unit) {
        auto duration = parse_duration(fmt::format("{}{}", *value, *unit));
        if (duration && *unit != "d" && *unit != "ms") {
          suppression.duration = *duration;
        } else {
          r.error(r.position(*d), fmt::format("{}: value must be positive and unit one of s, m, h", dp));
        }
      }
    }
    suppression.missing_fields_strategy = r.string(*s, sp, "missing_fields_strategy").value_or("");
    if (!suppression.missing_fields_strategy.empty() && suppression.missing_fields_strategy != "suppress" &&
        suppression.missing_fields_strategy != "doNotSuppress") {
      r.error(r.position(*s->get("missing_fields_strategy")),
              "rule.alert_suppression.missing_fields_strategy must be suppress or doNotSuppress");
    }
    rule.alert_suppression = std::move(suppression);
  }

  read_type_specific(r, t, rule);
  if (type_known && rule.type == RuleType::kNewTerms && !rule.new_terms && !t.get("new_terms")) {
    r.missing(t, p, "new_terms");
  }
  if (type_known && rule.type == RuleType::kThreshold && !rule.threshold && !t.get("threshold")) {
    r.missing(t, p, "threshold");
  }
  if (type_known && rule.type == RuleType::kMachineLearning && !rule.machine_learning) {
    r.missing(t, p, "machine_learning_job_id");
  }

  // audetect's own extension: the audit rules, stated explicitly.
  if (const toml::table* ours = r.table(t, p, "audetect")) {
    r.check_keys(*ours, "rule.audetect", {"audit_rules"});
    explicit_audit_rules = r.strings(*ours, "rule.audetect", "audit_rules");
    const toml::node* node = ours->get("audit_rules");
    for (const auto& line : explicit_audit_rules) {
      if (extract_audit_rules(line).empty()) {
        r.error(r.position(*node),
                fmt::format("rule.audetect.audit_rules: \"{}\" is not an auditctl -w or -a rule", line));
      }
    }
  }
}

void decide_runnable(Rule& rule) {
  if (rule.type != RuleType::kEql) {
    rule.runnable = false;
    rule.not_runnable_reason = fmt::format("rule type {} is not runnable yet", to_string(rule.type));
  } else if (rule.language != QueryLanguage::kEql) {
    rule.runnable = false;
    rule.not_runnable_reason = fmt::format("eql rule with language {}", to_string(rule.language));
  } else {
    rule.runnable = true;
    rule.not_runnable_reason.clear();
  }
}

}  // namespace

Result<Rule> parse_rule(std::string_view toml_text, std::string_view source_name,
                        std::vector<Diagnostic>* diagnostics) {
  Reader reader(source_name, toml_text);
  Rule rule;
  rule.source.file = std::string(source_name);
  rule.query_origin.file = rule.source.file;
  rule.from = *parse_date_math("now-6m");
  rule.to = *parse_date_math("now");

  toml::table document;
  try {
    document = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    reader.error(reader.position(e.source()), fmt::format("invalid TOML: {}", e.description()));
  }

  if (!reader.has_errors()) {
    reader.check_keys(document, "(top level)", {"metadata", "rule", "transform"});
    if (const toml::table* metadata = reader.table(document, "", "metadata")) {
      read_metadata(reader, *metadata, rule.metadata);
    } else if (!document.get("metadata")) {
      reader.error({rule.source.file, 1, 1}, "missing [metadata] table");
    }
    std::vector<std::string> explicit_audit_rules;
    if (const toml::table* rule_table = reader.table(document, "", "rule")) {
      rule.source = reader.position(*rule_table);
      read_rule(reader, *rule_table, rule, explicit_audit_rules);
    } else if (!document.get("rule")) {
      reader.error({rule.source.file, 1, 1}, "missing [rule] table");
    }
    // `[transform]` only renders investigation-guide plugins into `note`; it has no effect on detection.
    rule.audit_rules = extract_audit_rules(rule.setup);
    for (auto& line : explicit_audit_rules) {
      for (auto& normalized : extract_audit_rules(line)) {
        if (std::find(rule.audit_rules.begin(), rule.audit_rules.end(), normalized) == rule.audit_rules.end()) {
          rule.audit_rules.push_back(std::move(normalized));
        }
      }
    }
    decide_runnable(rule);
  }

  std::vector<Diagnostic>& found = reader.diagnostics();
  Status first_error;
  for (const auto& d : found) {
    if (d.level == Diagnostic::Level::kError) {
      first_error = Status::invalid(fmt::format("{}: {}", to_string(d.where), d.message));
      break;
    }
  }
  if (diagnostics) diagnostics->insert(diagnostics->end(), found.begin(), found.end());
  if (!first_error.is_ok()) return first_error;
  return rule;
}

// Built member by member: g++ 12 warns falsely (-Wmaybe-uninitialized) about aggregate-initialized ones.
Diagnostic Diagnostic::file_error(std::string file, std::string message) {
  Diagnostic d;
  d.where.file = std::move(file);
  d.message = std::move(message);
  return d;
}

Result<Rule> load_rule_file(const std::filesystem::path& path, std::vector<Diagnostic>* diagnostics) {
  std::ifstream in(path, std::ios::binary);
  std::string name = path.string();
  auto file_error = [&](std::string message) {
    if (diagnostics) diagnostics->push_back(Diagnostic::file_error(name, message));
    return name + ": " + message;
  };
  if (!in) return Status::io_error(file_error("cannot open rule file"));
  // Rule files are small; anything larger is not a rule and is refused without reading it all (the path
  // may be a device or a pipe, so the size is checked while reading, not only from the file system).
  constexpr std::size_t kMaxRuleFileBytes = 4u << 20;
  std::string text;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxRuleFileBytes) {
      return Status::exhausted(
          file_error(fmt::format("rule file is larger than the {} byte limit", kMaxRuleFileBytes)));
    }
  }
  if (in.bad()) return Status::io_error(file_error("read error"));
  return parse_rule(text, name, diagnostics);
}

}  // namespace audetect::rules
