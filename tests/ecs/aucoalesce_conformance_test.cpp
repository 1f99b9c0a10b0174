// Conformance with go-libaudit's aucoalesce goldens (corpus audit/go-libaudit/aucoalesce/testdata).
//
// Every test case (one audit event per YAML entry) goes through RecordParser -> EcsNormalizer
// (auditbeat profile, ids not resolved, warnings included). The golden holds aucoalesce's
// intermediate event; the test maps it into ECS as auditbeat's buildMetricbeatEvent does
// (docs/audit-to-ecs.md §9) and compares the two documents field by field: every ECS field the
// golden implies must be produced with the same value, and nothing else may be produced under the
// mapped roots. Warnings are compared with the golden's sorted warning list.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>
#include <zlib.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "ecs/ecs.h"
#include "event/event.h"
#include "event/json.h"

namespace audetect::ecs {
namespace {

namespace fs = std::filesystem;

const fs::path kCorpus = fs::path(AUDETECT_CORPUS_DIR) / "audit/go-libaudit/aucoalesce/testdata";
const fs::path kKnownDifferences = fs::path(AUDETECT_SOURCE_DIR) / "tests/ecs/known-differences.txt";

// An AuditRecord with its own storage (the parser's views die at the next line).
struct OwnedRecord {
  std::deque<std::string> strings;
  std::vector<audit::AuditField> fields;
  std::vector<std::string_view> tags;
  audit::AuditRecord record;

  explicit OwnedRecord(const audit::AuditRecord& r) {
    auto keep = [&](std::string_view s) -> std::string_view { return strings.emplace_back(s); };
    for (const audit::AuditField& f : r.fields) fields.push_back({keep(f.name), keep(f.value)});
    for (std::string_view t : r.tags) tags.push_back(keep(t));
    record = r;
    record.node = keep(r.node);
    record.text = keep(r.text);
    record.fields = fields;
    record.tags = tags;
  }
};

// Flattened document: dotted path -> canonical JSON of the leaf (arrays are leaves).
using Flat = std::map<std::string, std::string>;

void canonical_value(const Value& v, std::string& out);

void canonical_object(const Value& v, std::string& out) {
  std::vector<const Member*> members;
  for (const Member& m : v.as_object()) members.push_back(&m);
  std::sort(members.begin(), members.end(), [](const Member* a, const Member* b) { return a->name < b->name; });
  out.push_back('{');
  for (size_t i = 0; i < members.size(); ++i) {
    if (i) out.push_back(',');
    JsonWriter::append_quoted(out, members[i]->name);
    out.push_back(':');
    canonical_value(members[i]->value, out);
  }
  out.push_back('}');
}

void canonical_value(const Value& v, std::string& out) {
  if (v.is_object()) {
    canonical_object(v, out);
  } else if (v.is_array()) {
    out.push_back('[');
    bool first = true;
    for (const Value& e : v.as_array()) {
      if (!first) out.push_back(',');
      first = false;
      canonical_value(e, out);
    }
    out.push_back(']');
  } else {
    JsonWriter w(out);
    w.value(v);
  }
}

void flatten(const Value& v, const std::string& prefix, Flat& out) {
  if (v.is_object()) {
    for (const Member& m : v.as_object()) flatten(m.value, prefix.empty() ? std::string(m.name) : prefix + "." + std::string(m.name), out);
    return;
  }
  std::string s;
  canonical_value(v, s);
  out[prefix] = s;
}

std::string json_quote(std::string_view s) {
  std::string out;
  JsonWriter::append_quoted(out, s);
  return out;
}

// The golden side: simdjson DOM.
using simdjson::dom::element;

std::string str(element e) {
  std::string_view s;
  return e.get(s) == simdjson::SUCCESS ? std::string(s) : std::string();
}

bool has(element obj, std::string_view key) {
  element e;
  return obj.type() == simdjson::dom::element_type::OBJECT && obj.at_key(key).get(e) == simdjson::SUCCESS;
}

// A JSON null standing in for absent members, so lookups can be chained.
element null_element() {
  static simdjson::dom::parser parser;
  static element null_doc = parser.parse(std::string_view("null")).value();
  return null_doc;
}

element at(element obj, std::string_view key) {
  element e;
  if (obj.type() != simdjson::dom::element_type::OBJECT || obj.at_key(key).get(e) != simdjson::SUCCESS) {
    return null_element();
  }
  return e;
}

void canonical_dom(element e, std::string& out) {
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      std::map<std::string, element> sorted;
      for (auto field : simdjson::dom::object(e)) sorted.emplace(std::string(field.key), field.value);
      out.push_back('{');
      bool first = true;
      for (auto& [k, v] : sorted) {
        if (!first) out.push_back(',');
        first = false;
        JsonWriter::append_quoted(out, k);
        out.push_back(':');
        canonical_dom(v, out);
      }
      out.push_back('}');
      break;
    }
    case simdjson::dom::element_type::ARRAY: {
      out.push_back('[');
      bool first = true;
      for (element v : simdjson::dom::array(e)) {
        if (!first) out.push_back(',');
        first = false;
        canonical_dom(v, out);
      }
      out.push_back(']');
      break;
    }
    case simdjson::dom::element_type::STRING: JsonWriter::append_quoted(out, str(e)); break;
    default: out += simdjson::minify(e); break;
  }
}

std::string canonical_dom(element e) {
  std::string s;
  canonical_dom(e, s);
  return s;
}

std::string string_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    out += json_quote(items[i]);
  }
  return out + "]";
}

// auditbeat's mapping of an aucoalesce event to ECS (docs/audit-to-ecs.md §9), restated from the
// specification independently of the implementation under test.
Flat expected_ecs(element ev, const std::vector<std::string>& warnings) {
  Flat x;
  auto set_str = [&](const std::string& path, const std::string& v) {
    if (!v.empty()) x[path] = json_quote(v);
  };
  // The golden is Go's RFC 3339 with trailing zeros trimmed ("...19.05Z"); beats writes
  // @timestamp with exactly three fraction digits.
  std::string ts = str(at(ev, "@timestamp"));
  if (size_t dot = ts.find('.'); dot != std::string::npos && ts.back() == 'Z') {
    std::string frac = ts.substr(dot + 1, ts.size() - dot - 2);
    frac.resize(3, '0');
    ts = ts.substr(0, dot + 1) + frac + "Z";
  } else if (ts.size() == 20 && ts.back() == 'Z') {
    ts = ts.substr(0, 19) + ".000Z";
  }
  x["@timestamp"] = json_quote(ts);
  x["event.kind"] = json_quote("event");
  x["event.module"] = json_quote("auditd");
  element ecs = at(ev, "ecs");
  element ecs_event = at(ecs, "event");
  if (has(ecs_event, "category") && simdjson::dom::array(at(ecs_event, "category")).size() > 0) {
    x["event.category"] = canonical_dom(at(ecs_event, "category"));
  } else {
    x["event.category"] = json_quote(str(at(ev, "category")));
  }
  if (has(ecs_event, "type") && simdjson::dom::array(at(ecs_event, "type")).size() > 0) {
    x["event.type"] = canonical_dom(at(ecs_event, "type"));
  }
  element summary = at(ev, "summary");
  x["event.action"] = json_quote(str(at(summary, "action")));
  std::string result = str(at(ev, "result"));
  std::string outcome = result == "fail" ? "failure" : result;
  if (has(ecs_event, "outcome") && !str(at(ecs_event, "outcome")).empty()) outcome = str(at(ecs_event, "outcome"));
  x["event.outcome"] = json_quote(outcome);

  std::string type = str(at(ev, "record_type"));
  x["auditd.message_type"] = json_quote(type);
  x["auditd.sequence"] = simdjson::minify(at(ev, "sequence"));
  x["auditd.result"] = json_quote(result);
  std::string session = str(at(ev, "session"));
  if (session != "unset") x["auditd.session"] = json_quote(session);
  if (has(ev, "data")) {
    for (auto field : simdjson::dom::object(at(ev, "data"))) {
      std::string key(field.key);
      if (key.rfind("socket_", 0) == 0) key = "socket." + key.substr(7);
      x["auditd.data." + key] = json_quote(str(field.value));
    }
  }
  if (has(ev, "paths")) x["auditd.paths"] = canonical_dom(at(ev, "paths"));
  element actor = at(summary, "actor");
  set_str("auditd.summary.actor.primary", str(at(actor, "primary")));
  set_str("auditd.summary.actor.secondary", str(at(actor, "secondary")));
  element object = at(summary, "object");
  set_str("auditd.summary.object.type", str(at(object, "type")));
  set_str("auditd.summary.object.primary", str(at(object, "primary")));
  set_str("auditd.summary.object.secondary", str(at(object, "secondary")));
  set_str("auditd.summary.how", str(at(summary, "how")));
  if (has(ev, "tags")) x["tags"] = canonical_dom(at(ev, "tags"));

  // user.*: ids (unset skipped), selinux when any id was written, then the ECS entities.
  element user = at(ev, "user");
  bool any_id = false;
  if (has(user, "ids")) {
    static const std::map<std::string, std::string> kIdPaths = {
        {"uid", "user.id"},         {"gid", "user.group.id"},         {"euid", "user.effective.id"},
        {"egid", "user.effective.group.id"}, {"suid", "user.saved.id"}, {"sgid", "user.saved.group.id"},
        {"fsuid", "user.filesystem.id"}, {"fsgid", "user.filesystem.group.id"}, {"auid", "user.audit.id"}};
    for (auto field : simdjson::dom::object(at(user, "ids"))) {
      std::string key(field.key), value = str(field.value);
      if (value == "unset") continue;
      any_id = true;
      auto it = kIdPaths.find(key);
      x[it != kIdPaths.end() ? it->second : "user." + key + ".id"] = json_quote(value);
    }
  }
  if (any_id && has(user, "selinux")) {
    for (auto field : simdjson::dom::object(at(user, "selinux"))) {
      x["user.selinux." + std::string(field.key)] = json_quote(str(field.value));
    }
  }
  auto entity = [&](element e, const std::string& path) {
    std::string id = str(at(e, "id")), name = str(at(e, "name"));
    if (id.empty() && name.empty()) return;
    if (id == "unset") id.clear();
    if (id.empty()) x.erase(path + ".id"); else x[path + ".id"] = json_quote(id);
    if (name.empty()) x.erase(path + ".name"); else x[path + ".name"] = json_quote(name);
  };
  element ecs_user = at(ecs, "user");
  entity(ecs_user, "user");
  entity(at(ecs_user, "effective"), "user.effective");
  entity(at(ecs_user, "target"), "user.target");
  entity(at(ecs_user, "changes"), "user.changes");
  entity(at(ecs, "group"), "group");
  for (const char* suffix : {".id", ".name"}) {
    auto u = x.find(std::string("user") + suffix);
    auto e = x.find(std::string("user.effective") + suffix);
    if (u != x.end() && e != x.end() && u->second == e->second) {
      for (auto it = x.begin(); it != x.end();) {
        it = it->first.rfind("user.effective.", 0) == 0 ? x.erase(it) : std::next(it);
      }
      break;
    }
  }

  element process = at(ev, "process");
  if (has(ev, "process")) {
    auto number = [&](const char* key, const std::string& path) {
      std::string v = str(at(process, key));
      if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos) x[path] = v;
    };
    number("pid", "process.pid");
    number("ppid", "process.parent.pid");
    set_str("process.title", str(at(process, "title")));
    set_str("process.name", str(at(process, "name")));
    set_str("process.executable", str(at(process, "exe")));
    set_str("process.working_directory", str(at(process, "cwd")));
    if (has(process, "args")) x["process.args"] = canonical_dom(at(process, "args"));
  }
  if (has(ev, "file")) {
    element file = at(ev, "file");
    for (const char* k : {"path", "device", "inode", "mode", "uid", "gid", "owner", "group"}) {
      set_str(std::string("file.") + k, str(at(file, k)));
    }
    if (has(file, "selinux")) {
      for (auto field : simdjson::dom::object(at(file, "selinux"))) {
        x["file.selinux." + std::string(field.key)] = json_quote(str(field.value));
      }
    }
  }
  for (const char* side : {"source", "destination"}) {
    if (!has(ev, side)) continue;
    element a = at(ev, side);
    set_str(std::string(side) + ".ip", str(at(a, "ip")));
    set_str(std::string(side) + ".port", str(at(a, "port")));
    set_str(std::string(side) + ".path", str(at(a, "path")));
  }
  if (has(ev, "network")) x["network.direction"] = json_quote(str(at(at(ev, "network"), "direction")));
  if (!warnings.empty()) x["error.message"] = string_array(warnings);
  return x;
}

// Fields the comparison ignores: added by the shipper around the event, or raw lines.
bool ignored(const std::string& path) {
  for (const char* prefix : {"host.", "service.", "ecs.", "agent.", "event.original", "event.ingested"}) {
    if (path.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

std::map<std::string, std::string> load_known_differences() {
  std::map<std::string, std::string> known;
  std::ifstream in(kKnownDifferences);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t bar = line.find(" | ");
    if (bar == std::string::npos) continue;
    known[line.substr(0, bar)] = line.substr(bar + 3);
  }
  return known;
}

TEST(AucoalesceConformance, AllCases) {
  if (!fs::exists(kCorpus)) {
    GTEST_SKIP() << "corpus not found at " << kCorpus << " (set AUDETECT_CORPUS_DIR); aucoalesce conformance skipped";
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());

  auto known = load_known_differences();
  size_t passed = 0, failed = 0, skipped = 0;
  std::vector<std::string> failures;
  simdjson::dom::parser json;

  for (const fs::path& yaml_path : files) {
    fs::path golden_path = yaml_path;
    golden_path.replace_extension(".json.golden");
    YAML::Node doc = YAML::LoadFile(yaml_path.string());
    std::vector<std::pair<std::string, std::string>> cases;
    for (auto it = doc["tests"].begin(); it != doc["tests"].end(); ++it) {
      cases.emplace_back(it->first.as<std::string>(), it->second.as<std::string>());
    }
    std::sort(cases.begin(), cases.end());  // the golden is sorted by test name
    simdjson::dom::element golden;
    ASSERT_EQ(json.load(golden_path.string()).get(golden), simdjson::SUCCESS) << golden_path;
    std::map<std::string, element> golden_by_name;
    for (element g : simdjson::dom::array(golden)) golden_by_name[str(at(g, "test_name"))] = g;

    for (const auto& [name, text] : cases) {
      std::string id = yaml_path.filename().string() + ": " + name;
      auto g = golden_by_name.find(name);
      if (g == golden_by_name.end()) {
        ++failed;
        failures.push_back(id + ": no golden entry");
        continue;
      }
      audit::RecordParser parser;
      std::deque<OwnedRecord> owned;
      std::vector<audit::AuditRecord> records;
      std::istringstream in(text);
      std::string line, parse_errors;
      while (std::getline(in, line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        audit::AuditRecord r;
        std::string reason;
        if (!parser.parse_line(line, r, &reason)) {
          parse_errors += " [" + reason + "]";
          continue;
        }
        owned.emplace_back(r);
      }
      for (const OwnedRecord& o : owned) records.push_back(o.record);
      audit::AuditEvent event;
      if (!records.empty()) {
        event.serial = records[0].serial;
        event.time_ms = records[0].time_ms;
      }
      event.records = records;
      event.complete = true;

      NormalizerOptions options;
      options.profile = Profile::kAuditbeat;
      options.resolve_ids = false;
      options.include_warnings = true;
      options.add_host_metadata = false;
      options.clock_ms = [] { return int64_t{0}; };
      EcsNormalizer normalizer(options);
      EventBuilder builder;
      normalizer.normalize(event, builder);
      Flat actual;
      flatten(builder.finish().root(), "", actual);

      std::vector<std::string> warnings;
      if (has(g->second, "warnings")) {
        for (element w : simdjson::dom::array(at(g->second, "warnings"))) warnings.push_back(str(w));
      }
      std::sort(warnings.begin(), warnings.end());
      Flat expected = expected_ecs(at(g->second, "event"), warnings);
      // error.message order: the golden sorts warnings; the normalizer reports arrival order.
      if (auto it = actual.find("error.message"); it != actual.end()) {
        std::vector<std::string> got;
        for (size_t i = 0; i < normalizer.last_warnings().size(); ++i) got.emplace_back(normalizer.last_warnings()[i]);
        std::sort(got.begin(), got.end());
        it->second = string_array(got);
      }

      std::string diff = parse_errors.empty() ? "" : " parse errors:" + parse_errors;
      std::set<std::string> paths;
      for (const auto& [p, v] : expected) paths.insert(p);
      for (const auto& [p, v] : actual) paths.insert(p);
      for (const std::string& p : paths) {
        if (ignored(p)) continue;
        auto e = expected.find(p);
        auto a = actual.find(p);
        std::string ev = e == expected.end() ? "<absent>" : e->second;
        std::string av = a == actual.end() ? "<absent>" : a->second;
        if (ev != av) diff += "\n    " + p + ": expected " + ev + ", got " + av;
      }
      if (diff.empty()) {
        ++passed;
      } else if (auto k = known.find(id); k != known.end()) {
        ++skipped;
        std::printf("known difference: %s -- %s\n", id.c_str(), k->second.c_str());
      } else {
        ++failed;
        failures.push_back(id + ":" + diff);
      }
    }
  }
  for (const std::string& f : failures) std::printf("FAILED %s\n", f.c_str());
  std::printf("aucoalesce conformance: %zu passed, %zu failed, %zu skipped\n", passed, failed, skipped);
  EXPECT_EQ(failed, 0u);
}


// The auditd_manager profile must equal the auditbeat document with the integration's ingest
// pipeline applied (docs/audit-to-ecs.md §12), restated here on flattened documents: dashes to
// underscores in keys, the renames, the numeric conversions, empty values removed, the
// integration's tag and data_stream fields.
Flat apply_pipeline(const Flat& beat) {
  static const std::vector<std::pair<std::string, std::string>> kRenames = {
      {"source.path", "source.address"},       {"destination.path", "destination.address"},
      {"user.audit.", "auditd.user.audit."},   {"user.new_auid.", "auditd.user.new_auid."},
      {"user.old_auid.", "auditd.user.old_auid."}, {"file.selinux.", "auditd.file.selinux."},
      {"user.selinux.", "auditd.user.selinux."}, {"user.saved.", "auditd.user.saved."},
      {"user.filesystem.", "auditd.user.filesystem."}, {"auditd.sequence", "event.sequence"},
      {"auditd.data.id", "event.id"}};
  // The convert processors, in pipeline order.
  static const std::vector<std::string> kConvert = {
      "auditd.data.removed", "auditd.data.items", "auditd.data.lport", "auditd.data.rport", "auditd.data.sport",
      "auditd.data.dport", "auditd.data.entries", "auditd.data.argc", "auditd.data.seqno", "auditd.data.nargs",
      "auditd.data.socket.port", "auditd.data.old_vcpu", "auditd.data.new_vcpu", "auditd.data.changed",
      "auditd.data.added", "destination.port", "source.port", "auditd.data.spid", "auditd.data.opid",
      "auditd.data.nlnk_pid", "auditd.data.vm_pid", "auditd.data.audit_pid", "auditd.data.exit", "process.pid",
      "process.exit_code"};
  Flat out;
  for (const auto& [beat_path, beat_value] : beat) {
    std::string path = beat_path;
    for (char& c : path)
      if (c == '-') c = '_';
    for (const auto& [from, to] : kRenames) {
      if (path == from || (from.back() == '.' && path.rfind(from, 0) == 0)) {
        path = to + path.substr(from.size());
        break;
      }
    }
    out[path] = beat_value;
  }
  bool failed = false;
  for (const std::string& field : kConvert) {
    auto it = out.find(field);
    if (it == out.end() || it->second.front() != '"') continue;  // absent, or already a number
    std::string text = it->second.substr(1, it->second.size() - 2);
    size_t digits = text.rfind('-', 0) == 0 ? 1 : 0;
    if (text.size() > digits && text.find_first_not_of("0123456789", digits) == std::string::npos) {
      it->second = text;
      continue;
    }
    failed = true;  // on_failure: error.message, and the remaining processors do not run
    out["error.message"] = json_quote("unable to convert [" + text + "] to long");
    break;
  }
  if (!failed) {
    for (auto it = out.begin(); it != out.end();) {
      it = (it->second == "\"\"" || it->second == "[]") ? out.erase(it) : std::next(it);
    }
  }
  // tags gain the integration's tag after the rule keys.
  std::string tags = out.count("tags") ? out["tags"] : "[]";
  tags.pop_back();
  out["tags"] = tags + (tags.size() > 1 ? "," : "") + "\"auditd_manager-auditd\"]";
  out["event.dataset"] = json_quote("auditd_manager.auditd");
  out["data_stream.type"] = json_quote("logs");
  out["data_stream.dataset"] = json_quote("auditd_manager.auditd");
  out["data_stream.namespace"] = json_quote("default");
  return out;
}

TEST(AucoalesceConformance, AuditdManagerProfileIsTheIngestPipelineOverAuditbeat) {
  if (!fs::exists(kCorpus)) {
    GTEST_SKIP() << "corpus not found at " << kCorpus << " (set AUDETECT_CORPUS_DIR); profile comparison skipped";
  }
  size_t passed = 0, failed = 0;
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    if (entry.path().extension() != ".yaml") continue;
    YAML::Node doc = YAML::LoadFile(entry.path().string());
    for (auto it = doc["tests"].begin(); it != doc["tests"].end(); ++it) {
      std::string id = entry.path().filename().string() + ": " + it->first.as<std::string>();
      audit::RecordParser parser;
      std::deque<OwnedRecord> owned;
      std::vector<audit::AuditRecord> records;
      std::istringstream in(it->second.as<std::string>());
      std::string line;
      while (std::getline(in, line)) {
        audit::AuditRecord r;
        std::string reason;
        if (parser.parse_line(line, r, &reason)) owned.emplace_back(r);
      }
      for (const OwnedRecord& o : owned) records.push_back(o.record);
      audit::AuditEvent event;
      event.records = records;
      if (!records.empty()) {
        event.serial = records[0].serial;
        event.time_ms = records[0].time_ms;
      }
      Flat docs[2];
      for (int i = 0; i < 2; ++i) {
        NormalizerOptions options;
        options.profile = i == 0 ? Profile::kAuditbeat : Profile::kAuditdManager;
        options.passwd_file = std::string(AUDETECT_SOURCE_DIR) + "/tests/ecs/testdata/passwd";
        options.group_file = std::string(AUDETECT_SOURCE_DIR) + "/tests/ecs/testdata/group";
        options.add_host_metadata = false;
        options.clock_ms = [] { return int64_t{0}; };
        EcsNormalizer normalizer(options);
        EventBuilder builder;
        normalizer.normalize(event, builder);
        flatten(builder.finish().root(), "", docs[i]);
      }
      Flat expected = apply_pipeline(docs[0]);
      std::string diff;
      std::set<std::string> paths;
      for (const auto& [p, v] : expected) paths.insert(p);
      for (const auto& [p, v] : docs[1]) paths.insert(p);
      for (const std::string& p : paths) {
        if (ignored(p)) continue;
        auto e = expected.find(p);
        auto a = docs[1].find(p);
        std::string ev = e == expected.end() ? "<absent>" : e->second;
        std::string av = a == docs[1].end() ? "<absent>" : a->second;
        if (ev != av) diff += "\n    " + p + ": expected " + ev + ", got " + av;
      }
      if (diff.empty()) {
        ++passed;
      } else {
        ++failed;
        std::printf("FAILED %s:%s\n", id.c_str(), diff.c_str());
      }
    }
  }
  std::printf("auditd_manager profile vs pipeline over auditbeat: %zu passed, %zu failed\n", passed, failed);
  EXPECT_GT(passed, 40u);
  EXPECT_EQ(failed, 0u);
}


// Every field of an auditd_manager document must be one the integration declares (its fields.yml)
// or an ECS field, so documents index into logs-auditd_manager.auditd-* as the real ones do.
// auditd.data.* is open-ended (any record field) and is not checked.
TEST(AucoalesceConformance, AuditdManagerFieldsAreDeclared) {
  const fs::path fields_yml = fs::path(AUDETECT_CORPUS_DIR) / "schemas/integrations/auditd_manager/fields.yml";
  const fs::path ecs_flat = fs::path(AUDETECT_CORPUS_DIR) / "schemas/detection-rules/ecs_schemas/8.17.0/ecs_flat.json.gz";
  if (!fs::exists(kCorpus) || !fs::exists(fields_yml) || !fs::exists(ecs_flat)) {
    GTEST_SKIP() << "corpus schemas not found under " << AUDETECT_CORPUS_DIR << "; field declaration check skipped";
  }
  std::set<std::string, std::less<>> declared;
  for (const YAML::Node& f : YAML::LoadFile(fields_yml.string())) declared.insert(f["name"].as<std::string>());
  std::string ecs_json;
  {
    gzFile gz = gzopen(ecs_flat.string().c_str(), "rb");
    ASSERT_NE(gz, nullptr);
    char buf[1 << 16];
    int n;
    while ((n = gzread(gz, buf, sizeof buf)) > 0) ecs_json.append(buf, static_cast<size_t>(n));
    gzclose(gz);
  }
  simdjson::dom::parser json;
  element ecs;
  ASSERT_EQ(json.parse(ecs_json).get(ecs), simdjson::SUCCESS);
  for (auto field : simdjson::dom::object(ecs)) declared.emplace(field.key);
  ASSERT_GT(declared.size(), 1000u);
  // add_host_metadata fields that are not ECS: the package declares them in its agent.yml, which
  // the corpus does not carry.
  declared.insert("host.containerized");
  declared.insert("host.os.codename");

  std::map<std::string, std::string> undeclared;  // field -> first case
  size_t documents = 0;
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    if (entry.path().extension() != ".yaml") continue;
    YAML::Node doc = YAML::LoadFile(entry.path().string());
    for (auto it = doc["tests"].begin(); it != doc["tests"].end(); ++it) {
      audit::RecordParser parser;
      std::deque<OwnedRecord> owned;
      std::vector<audit::AuditRecord> records;
      std::istringstream in(it->second.as<std::string>());
      std::string line;
      while (std::getline(in, line)) {
        audit::AuditRecord r;
        std::string reason;
        if (parser.parse_line(line, r, &reason)) owned.emplace_back(r);
      }
      for (const OwnedRecord& o : owned) records.push_back(o.record);
      audit::AuditEvent event;
      event.records = records;
      NormalizerOptions options;
      options.preserve_original = true;
      options.include_warnings = true;
      options.passwd_file = std::string(AUDETECT_SOURCE_DIR) + "/tests/ecs/testdata/passwd";
      options.group_file = std::string(AUDETECT_SOURCE_DIR) + "/tests/ecs/testdata/group";
      options.clock_ms = [] { return int64_t{0}; };
      EcsNormalizer normalizer(options);
      EventBuilder builder;
      normalizer.normalize(event, builder);
      Flat flat;
      flatten(builder.finish().root(), "", flat);
      ++documents;
      for (const auto& [path, value] : flat) {
        if (path.rfind("auditd.data.", 0) == 0 || declared.count(path)) continue;
        undeclared.emplace(path, it->first.as<std::string>());
      }
    }
  }
  for (const auto& [path, first] : undeclared) std::printf("undeclared field %s (first in %s)\n", path.c_str(), first.c_str());
  std::printf("auditd_manager fields declared: %zu documents, %zu undeclared fields\n", documents, undeclared.size());
  EXPECT_TRUE(undeclared.empty());
}

}  // namespace
}  // namespace audetect::ecs
