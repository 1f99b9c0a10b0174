// Elasticsearch EQL QA suite (corpus/eql/elasticsearch), run the way Elasticsearch's harness runs it
// (FORMATS.md §1.3-1.4): each data file indexed with its mapping plus dynamic mapping, @timestamp
// from the FILETIME for test_data.json, results ordered by timestamp then tiebreaker, size 50,
// hit ids and join keys compared exactly. Also: the legacy unsupported list must be rejected (except
// the 18 that today's ES accepts) and every EQL query of the shipped Elastic rules must compile.
//
// Cases that audetect knowingly answers differently are listed with a reason in
// es_conformance_known_differences.txt beside this file; they are reported as skipped.
#include <gtest/gtest.h>
#include <simdjson.h>

#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "eql/eql.h"
#include "eql/mapping.h"
#include "eql/runner.h"
#include "eql/schema.h"
#include "event/json.h"

namespace fs = std::filesystem;
using namespace audetect;
using namespace audetect::eql;

namespace {

const fs::path kCorpus = AUDETECT_CORPUS_DIR;
const fs::path kSuite = kCorpus / "eql" / "elasticsearch";
const fs::path kHere = fs::path(AUDETECT_SOURCE_DIR) / "tests" / "eql";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// FILETIME (100 ns ticks since 1601) -> epoch milliseconds, as the ES loader computes @timestamp.
int64_t filetime_to_millis(int64_t filetime) { return filetime / 10000 - 11644473600000LL; }

// Loads a JSON array of documents (comment lines dropped) into owning events.
std::vector<Event> load_documents(const fs::path& path, bool add_filetime_timestamp) {
  std::vector<Event> events;
  std::string text = strip_comment_lines(read_file(path));
  simdjson::dom::parser parser;
  simdjson::dom::array docs;
  if (parser.parse(text).get_array().get(docs) != simdjson::SUCCESS) {
    ADD_FAILURE() << path << ": not a JSON array";
    return events;
  }
  JsonEventReader reader;
  EventBuilder builder;
  FieldPath timestamp("@timestamp");
  for (simdjson::dom::element doc : docs) {
    std::string line = simdjson::minify(doc);
    JsonError err;
    if (reader.parse(line, builder, &err) != JsonEventReader::Outcome::kEvent) {
      ADD_FAILURE() << path << ": document rejected: " << err.reason;
      continue;
    }
    if (add_filetime_timestamp) {
      int64_t filetime = 0;
      if (doc["timestamp"].get_int64().get(filetime) == simdjson::SUCCESS)
        builder.set_int(timestamp, filetime_to_millis(filetime));
    }
    events.push_back(builder.finish().clone());
  }
  return events;
}

// test_extra.toml writes bare `null` in join_keys arrays (accepted by Java's JToml, rejected by
// standard TOML): turn those into the string "null", which is how the other files spell it.
std::string patch_bare_nulls(const std::string& toml_text) {
  std::istringstream in(toml_text);
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.rfind("join_keys", 0) == 0) {
      std::string fixed;
      bool in_string = false;
      for (size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (c == '"') in_string = !in_string;
        if (!in_string && line.compare(i, 4, "null") == 0) {
          fixed += "\"null\"";
          i += 3;
          continue;
        }
        fixed += c;
      }
      line = fixed;
    }
    out += line;
    out += '\n';
  }
  return out;
}

struct SuiteCase {
  std::string name;
  std::string query;
  std::vector<std::vector<int64_t>> expected;  // alternatives; one for deterministic cases
  std::optional<std::vector<std::string>> join_keys;
  std::optional<int64_t> size;
  std::optional<int64_t> max_samples_per_key;
};

std::vector<SuiteCase> load_cases(const fs::path& path) {
  std::vector<SuiteCase> cases;
  toml::parse_result parsed = toml::parse(patch_bare_nulls(read_file(path)), path.string());
  if (!parsed) {
    ADD_FAILURE() << path << ": " << parsed.error().description() << " at line "
                  << parsed.error().source().begin.line;
    return cases;
  }
  const toml::table& root = parsed.table();
  const toml::array* queries = root["queries"].as_array();
  if (!queries) return cases;
  size_t index = 0;
  for (const toml::node& node : *queries) {
    const toml::table* t = node.as_table();
    if (!t) continue;
    SuiteCase c;
    c.name = (*t)["name"].value_or(std::string("#") + std::to_string(index));
    c.query = (*t)["query"].value_or(std::string());
    if (const toml::array* ids = (*t)["expected_event_ids"].as_array()) {
      bool nested = !ids->empty() && (*ids)[0].is_array();
      if (nested) {
        for (const toml::node& alt : *ids) {
          std::vector<int64_t> v;
          for (const toml::node& id : *alt.as_array()) v.push_back(id.value_or(int64_t{0}));
          c.expected.push_back(std::move(v));
        }
      } else {
        std::vector<int64_t> v;
        for (const toml::node& id : *ids) v.push_back(id.value_or(int64_t{0}));
        c.expected.push_back(std::move(v));
      }
    }
    if (const toml::array* keys = (*t)["join_keys"].as_array()) {
      std::vector<std::string> v;
      for (const toml::node& k : *keys) {
        if (auto s = k.value<std::string>()) v.push_back(*s);
        else if (auto i = k.value<int64_t>()) v.push_back(std::to_string(*i));
        else if (auto b = k.value<bool>()) v.push_back(*b ? "true" : "false");
      }
      c.join_keys = std::move(v);
    }
    if (auto s = (*t)["size"].value<int64_t>()) c.size = *s;
    if (auto m = (*t)["max_samples_per_key"].value<int64_t>()) c.max_samples_per_key = *m;
    cases.push_back(std::move(c));
    ++index;
  }
  return cases;
}

// "<file> <case name> <reason...>" lines; '#' comments.
std::map<std::string, std::string> load_known_differences() {
  std::map<std::string, std::string> known;
  std::istringstream in(read_file(kHere / "es_conformance_known_differences.txt"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string file, name, reason;
    ls >> file >> name;
    std::getline(ls, reason);
    size_t first = reason.find_first_not_of(' ');
    known[file + " " + name] = first == std::string::npos ? "" : reason.substr(first);
  }
  return known;
}

struct SuiteData {
  Schema schema;
  std::vector<Event> events;
  std::string id_field;
  std::optional<std::string> tiebreaker;
};

SuiteData load_suite_data(const std::vector<std::pair<std::string, std::string>>& data_and_mapping,
                          bool filetime, std::string id_field, std::optional<std::string> tiebreaker) {
  SuiteData d;
  d.schema.set_strict(true);
  d.id_field = std::move(id_field);
  d.tiebreaker = std::move(tiebreaker);
  for (const auto& [data, mapping] : data_and_mapping) {
    auto schema = load_mapping_file((kSuite / mapping).string());
    if (!schema) {
      ADD_FAILURE() << schema.status().message();
      continue;
    }
    std::vector<std::string> conflicts;
    d.schema.merge(*schema, &conflicts);
    for (const auto& c : conflicts) ADD_FAILURE() << mapping << ": " << c;
    auto events = load_documents(kSuite / data, filetime);
    for (auto& e : events) d.events.push_back(std::move(e));
  }
  // Dynamic mapping of whatever the mapping files do not list (ES does this while indexing).
  for (const auto& e : d.events) add_dynamic_fields(d.schema, e);
  if (filetime) {
    FieldInfo ts;
    ts.type = FieldType::kDate;
    if (!d.schema.find("@timestamp")) d.schema.add_field("@timestamp", ts);
  }
  return d;
}

std::string join(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}
std::string join(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", \"" : "\"") + v[i] + "\"";
  return s + "]";
}

struct CaseOutcome {
  bool passed = false;
  std::string detail;
};

CaseOutcome run_case(const SuiteCase& c, const SuiteData& data) {
  CaseOutcome out;
  CompileResult compiled = compile(c.query, data.schema);
  if (!compiled.ok()) {
    out.detail = "compile error:\n" + compiled.diagnostics.render(c.query);
    return out;
  }
  RunnerOptions options;
  options.timestamp_field = "@timestamp";
  options.tiebreaker_field = data.tiebreaker;
  options.size = c.size.value_or(50);
  options.max_samples_per_key = c.max_samples_per_key.value_or(1);
  auto ts = data.schema.find("@timestamp");
  if (ts) options.timestamp_formats = ts->date_formats;
  QueryRunner runner(compiled.query, options);
  for (const Event& e : data.events) runner.push(e);
  std::vector<Hit> hits = runner.finish();
  FieldPath id_path(data.id_field);
  std::vector<int64_t> ids;
  std::vector<std::string> keys;
  for (const Hit& h : hits) {
    for (const HitEvent& e : h.events) {
      if (e.missing) {
        ids.push_back(-1);
        continue;
      }
      const Value* v = e.event.get(id_path);
      ids.push_back(v && v->is_int() ? v->as_int() : v && v->is_double() ? static_cast<int64_t>(v->as_double()) : -2);
    }
    for (const std::string& k : h.join_key_texts) keys.push_back(k);
  }
  bool ids_ok = false;
  for (const auto& alt : c.expected) ids_ok = ids_ok || alt == ids;
  if (c.expected.empty()) ids_ok = ids.empty();
  bool keys_ok = !c.join_keys || *c.join_keys == keys;
  out.passed = ids_ok && keys_ok;
  if (!out.passed) {
    out.detail = "expected ids " + (c.expected.empty() ? std::string("[]") : join(c.expected[0])) +
                 (c.expected.size() > 1 ? " (or another alternative)" : "") + ", got " + join(ids);
    if (!keys_ok) out.detail += "; expected join keys " + join(*c.join_keys) + ", got " + join(keys);
  }
  return out;
}

bool corpus_present() { return fs::exists(kSuite / "test_data.json"); }

// Runs every case of `files` on `data`, prints the summary, fails on unexpected failures.
void run_suite(const std::vector<std::string>& files, const SuiteData& data) {
  auto known = load_known_differences();
  for (const auto& file : files) {
    int passed = 0, failed = 0, skipped = 0;
    std::vector<std::string> failures;
    for (const SuiteCase& c : load_cases(kSuite / file)) {
      auto kd = known.find(file + " " + c.name);
      CaseOutcome o = run_case(c, data);
      if (kd != known.end()) {
        ++skipped;
        std::cout << "  skipped " << file << " " << c.name << ": " << kd->second
                  << (o.passed ? " (note: now passes)" : "") << "\n";
        continue;
      }
      if (o.passed) {
        ++passed;
      } else {
        ++failed;
        failures.push_back(c.name + ": " + o.detail);
      }
    }
    for (const auto& f : failures) std::cout << "  FAILED " << file << " " << f << "\n";
    std::cout << file << ": " << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
    EXPECT_EQ(failed, 0) << file;
  }
}

#define REQUIRE_CORPUS()                                                                    \
  if (!corpus_present()) GTEST_SKIP() << "corpus not found at " << kCorpus.string()       \
                                      << " (set AUDETECT_CORPUS_DIR); conformance skipped"

}  // namespace

TEST(EsConformance, EndgameDataSuites) {
  REQUIRE_CORPUS();
  SuiteData data = load_suite_data({{"test_data.json", "data/endgame-140.mapping"}}, true, "serial_event_id",
                                   std::string("serial_event_id"));
  ASSERT_EQ(data.events.size(), 102u);
  run_suite({"test_queries.toml", "additional_test_queries.toml", "test_queries_date.toml"}, data);
}

TEST(EsConformance, Extra) {
  REQUIRE_CORPUS();
  SuiteData data = load_suite_data({{"data/extra.data", "data/extra.mapping"}}, false, "sequence", std::string("sequence"));
  run_suite({"test_extra.toml"}, data);
}

TEST(EsConformance, MissingEvents) {
  REQUIRE_CORPUS();
  SuiteData data = load_suite_data({{"data/missing-events.data", "data/missing-events.mapping"}}, false, "sequence",
                                   std::string("sequence"));
  run_suite({"test_missing_events.toml"}, data);
}

TEST(EsConformance, Sample) {
  REQUIRE_CORPUS();
  SuiteData data = load_suite_data({{"data/sample1.data", "data/sample1.mapping"},
                                    {"data/sample2.data", "data/sample2.mapping"},
                                    {"data/sample3.data", "data/sample3.mapping"}},
                                   false, "id", std::nullopt);
  run_suite({"test_sample.toml"}, data);
}

TEST(EsConformance, SampleMulti) {
  REQUIRE_CORPUS();
  SuiteData data =
      load_suite_data({{"data/sample-multi.data", "data/sample-multi.mapping"}}, false, "id", std::nullopt);
  run_suite({"test_sample_multi.toml"}, data);
}

// legacy/test_queries_unsupported.toml: every query is rejected at compile time, except the 18
// entries of legacy/NOW-SUPPORTED.md, which must compile (and run).
TEST(EsConformance, LegacyUnsupportedRejected) {
  REQUIRE_CORPUS();
  static const std::set<size_t> kNowSupported{0, 7, 8, 9, 25, 34, 37, 38, 39, 40, 41, 43, 84, 85, 86, 110, 131, 132};
  SuiteData data = load_suite_data({{"test_data.json", "data/endgame-140.mapping"}}, true, "serial_event_id",
                                   std::string("serial_event_id"));
  auto cases = load_cases(kSuite / "legacy" / "test_queries_unsupported.toml");
  ASSERT_EQ(cases.size(), 135u);
  int passed = 0, failed = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    CompileResult r = compile(cases[i].query, data.schema);
    bool should_run = kNowSupported.contains(i);
    // A rejection must be a clear error: a diagnostic with a code, a message and a position.
    const Diagnostic* why = r.diagnostics.first_error();
    bool clear = r.ok() || (why && !why->message.empty() && why->span.end <= cases[i].query.size());
    if (r.ok() == should_run && clear) {
      ++passed;
      if (should_run) {
        QueryRunner runner(r.query, RunnerOptions{});
        for (const Event& e : data.events) runner.push(e);
        (void)runner.finish();
      }
      continue;
    }
    ++failed;
    std::cout << "  FAILED legacy/test_queries_unsupported.toml #" << i << ": "
              << (should_run ? "rejected but ES accepts it:\n" + r.diagnostics.render(cases[i].query)
                             : "accepted but ES rejects it: " + cases[i].query)
              << "\n";
  }
  std::cout << "legacy/test_queries_unsupported.toml: " << passed << " passed, " << failed << " failed, 0 skipped ("
            << kNowSupported.size() << " now supported must run, the rest must be rejected)\n";
  EXPECT_EQ(failed, 0);
}

// Every EQL rule of the main rule set compiles against the built-in schema.
TEST(EsConformance, ElasticRulesCompile) {
  REQUIRE_CORPUS();
  const fs::path rules = kCorpus / "rules" / "elastic";
  int eql_rules = 0, compiled = 0, failed = 0;
  for (const char* dir : {"linux", "cross-platform", "building_block"}) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(rules / dir))
      if (entry.path().extension() == ".toml") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
      toml::parse_result parsed = toml::parse_file(file.string());
      if (!parsed) {
        ++failed;
        std::cout << "  FAILED " << file.string() << ": TOML: " << parsed.error().description() << "\n";
        continue;
      }
      const toml::table& t = parsed.table();
      if (t["rule"]["language"].value_or(std::string()) != "eql") continue;
      ++eql_rules;
      std::string query = t["rule"]["query"].value_or(std::string());
      CompileResult r = compile(query, Schema::builtin());
      if (r.ok()) {
        ++compiled;
      } else {
        ++failed;
        std::cout << "  FAILED " << file.lexically_relative(rules).string() << ":\n"
                  << r.diagnostics.render(query, file.filename().string()) << "\n";
      }
    }
  }
  std::cout << "rules/elastic EQL rules: " << eql_rules << " found, " << compiled << " passed, " << failed
            << " failed, 0 skipped\n";
  EXPECT_EQ(eql_rules, 351);
  EXPECT_EQ(failed, 0);
}
