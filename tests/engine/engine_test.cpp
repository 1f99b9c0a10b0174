// The detection engine end to end with the shipped seed rule: every clause of its query, the alert document
// against a golden file, the cap and its warning, sequences (building blocks + shell).
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "engine/timestamp.h"
#include "event/json.h"

namespace audetect::engine {
namespace {

const std::string kSeedRulePath =
    std::string(AUDETECT_SOURCE_DIR) + "/rules/linux/discovery_kernel_module_enumeration_via_proc.toml";
const std::string kGoldenDir = std::string(AUDETECT_SOURCE_DIR) + "/tests/engine/golden/";

rules::Rule seed_rule() {
  auto r = rules::load_rule_file(kSeedRulePath);
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  return std::move(r.value());
}

// The cat /proc/modules event of audit-to-ecs.md §13 as auditd_manager ships it.
std::string seed_event_json() {
  return R"({"@timestamp":"2023-11-14T22:13:20.123Z",
    "event":{"kind":"event","module":"auditd","category":["file"],"type":["info"],"action":"opened-file",
             "outcome":"success","sequence":48211,"dataset":"auditd_manager.auditd","ingested":"2023-11-14T22:13:21Z"},
    "tags":["audit_proc","auditd_manager-auditd"],
    "auditd":{"message_type":"syscall","result":"success","session":"3",
              "summary":{"actor":{"primary":"alice","secondary":"alice"},"object":{"type":"file","primary":"/proc/modules"},"how":"/usr/bin/cat"}},
    "user":{"id":"1000","name":"alice","group":{"id":"1000","name":"alice"}},
    "process":{"pid":2207,"parent":{"pid":2150},"name":"cat","executable":"/usr/bin/cat","title":"cat /proc/modules",
               "working_directory":"/home/alice"},
    "file":{"path":"/proc/modules","device":"00:00","inode":"4026532067","mode":"0444","uid":"0","gid":"0","owner":"root","group":"root"},
    "service":{"type":"auditd"},
    "host":{"name":"web-01","hostname":"web-01","id":"8f4b0c6e2a5d4b1e9c3f7a6d5e4c3b2a","os":{"type":"linux","family":"debian"}},
    "data_stream":{"type":"logs","dataset":"auditd_manager.auditd","namespace":"default"},
    "ecs":{"version":"8.0.0"}})";
}

// Minimal JSON edits for variations of the seed event: replaces the first occurrence of `from`.
std::string with(std::string json, const std::string& from, const std::string& to) {
  auto pos = json.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) json.replace(pos, from.size(), to);
  return json;
}

struct Parsed {
  EventBuilder builder;
  Event event;
};
std::unique_ptr<Parsed> parse(const std::string& json) {
  auto p = std::make_unique<Parsed>();
  std::string line = json;
  for (char& c : line)
    if (c == '\n') c = ' ';
  JsonEventReader reader;
  JsonError err;
  EXPECT_EQ(reader.parse(line, p->builder, &err), JsonEventReader::Outcome::kEvent) << err.reason;
  p->event = p->builder.finish();
  return p;
}

EngineOptions fixed_options() {
  EngineOptions o;
  o.loaded_at_ms = 1699999000000;
  o.kibana_version = "8.17.0";
  o.wall_clock_ms = [] { return int64_t{1700000400000}; };
  return o;
}

std::vector<std::string> run(std::vector<rules::Rule> rules, const std::vector<std::string>& events,
                             std::string* summary = nullptr, EngineOptions options = fixed_options()) {
  CollectingSink sink;
  DetectionEngine engine(DetectionEngine::prepare(std::move(rules)), sink, options);
  for (const auto& e : events) engine.process(parse(e)->event);
  engine.finish();
  if (summary) *summary = engine.summary(events.size());
  for (const auto& r : engine.report()) EXPECT_TRUE(r.runnable) << r.name << ": " << r.not_runnable_reason;
  return sink.docs;
}

TEST(SeedRule, EveryClauseOfTheQuery) {
  auto rule = seed_rule();
  auto matcher = compile_eql_matcher(rule);
  ASSERT_TRUE(matcher.is_ok()) << matcher.status().message();
  const std::string base = seed_event_json();
  auto matches = [&](const std::string& json) { return (*matcher)->matches(parse(json)->event); };

  EXPECT_TRUE(matches(base));
  for (const char* excluded :
       {"auditbeat", "kmod", "modprobe", "lsmod", "insmod", "modinfo", "rmmod", "SchedulerRunner", "grep"}) {
    EXPECT_FALSE(matches(with(base, R"("name":"cat")", std::string(R"("name":")") + excluded + "\"")))
        << excluded;
  }
  // `in` is case-sensitive: GREP and Lsmod are not in the list.
  EXPECT_TRUE(matches(with(base, R"("name":"cat")", R"("name":"GREP")")));
  EXPECT_TRUE(matches(with(base, R"("name":"cat")", R"("name":"Lsmod")")));
  // Parent pid 1 is excluded.
  EXPECT_FALSE(matches(with(base, R"("parent":{"pid":2150})", R"("parent":{"pid":1})")));
  // `:` is case-insensitive: a title containing GREP is excluded, as is any *grep*.
  EXPECT_FALSE(matches(with(base, R"("title":"cat /proc/modules")", R"("title":"cat /proc/modules | GREP x")")));
  EXPECT_FALSE(matches(with(base, R"("title":"cat /proc/modules")", R"("title":"egrep ext4 /proc/modules")")));
  // Other files, actions, categories, hosts.
  EXPECT_FALSE(matches(with(base, R"("path":"/proc/modules")", R"("path":"/proc/cpuinfo")")));
  EXPECT_FALSE(matches(with(base, R"("path":"/proc/modules")", R"("path":"/proc/modules2")")));
  EXPECT_FALSE(matches(with(base, R"("action":"opened-file")", R"("action":"read-file")")));
  EXPECT_FALSE(matches(with(base, R"("category":["file"])", R"("category":["process"])")));
  EXPECT_FALSE(matches(with(base, R"("os":{"type":"linux")", R"("os":{"type":"windows")")));
  EXPECT_FALSE(matches(with(base, R"("os":{"type":"linux","family":"debian"})", R"("os":{"family":"debian"})")));
  // The outcome is not looked at: failed opens alert too.
  EXPECT_TRUE(matches(with(base, R"("outcome":"success")", R"("outcome":"failure")")));
}

TEST(SeedRule, AlertDocumentMatchesTheGoldenFile) {
  std::string summary;
  auto docs = run({seed_rule()}, {seed_event_json()}, &summary);
  ASSERT_EQ(docs.size(), 1u) << summary;
  const std::string& doc = docs[0];
  // The id of detection-engine.md §6 / §13 for exactly this source.
  EXPECT_NE(doc.find(R"("kibana.alert.uuid":"2b6db7e3de4406f3a7bc3ca8fd3127c60800a924e36bb1c31b254499c6a22abf")"),
            std::string::npos);
  EXPECT_NE(doc.find(R"("kibana.alert.reason":"file event with process cat, by alice on web-01 created low alert Enumeration of Kernel Modules via Proc.")"),
            std::string::npos);
  // Replay clock: the execution after the event's (simulated) ingest time.
  EXPECT_NE(doc.find(R"("@timestamp":"2023-11-14T22:15:00.000Z")"), std::string::npos);
  EXPECT_NE(doc.find(R"("kibana.alert.original_time":"2023-11-14T22:13:20.123Z")"), std::string::npos);

  const std::string golden_path = kGoldenDir + "seed_alert.json";
  if (std::getenv("AUDETECT_UPDATE_GOLDEN")) {
    std::ofstream(golden_path) << doc << "\n";
  }
  std::ifstream in(golden_path);
  ASSERT_TRUE(in) << "missing " << golden_path << " (run with AUDETECT_UPDATE_GOLDEN=1 to create it)";
  std::stringstream golden;
  golden << in.rdbuf();
  EXPECT_EQ(doc + "\n", golden.str()) << "alert document differs from " << golden_path;

  // Whatever the golden holds, it must be one valid JSON document that has the §7 fields.
  auto parsed = parse(doc);
  const Event& e = parsed->event;
  auto str = [&](const char* path) {
    const Value* v = e.get(FieldPath(std::vector<std::string>{path}));
    return v && v->is_string() ? std::string(v->as_string()) : std::string("<missing>");
  };
  (void)str;
  EXPECT_EQ(e.get(FieldPath("event.kind"))->as_string(), "signal");
  EXPECT_EQ(e.get(FieldPath("process.name"))->as_string(), "cat");
}

TEST(Engine, OneSourceEventGivesOneAlertAcrossOverlappingExecutions) {
  // Three copies of the same event (a re-read log) and one event per minute for 30 minutes.
  std::vector<std::string> events;
  for (int i = 0; i < 3; ++i) events.push_back(seed_event_json());
  for (int m = 0; m < 30; ++m) {
    std::string t = format_iso8601_ms(1700000000123 + m * 60000);
    std::string e = with(seed_event_json(), "2023-11-14T22:13:20.123Z", t);
    events.push_back(with(e, "\"sequence\":48211", "\"sequence\":" + std::to_string(50000 + m)));
  }
  std::string summary;
  auto docs = run({seed_rule()}, events, &summary);
  // The three copies are one source (same host.id, time and serial): 1 + 30 sources, 31 alerts.
  EXPECT_EQ(docs.size(), 31u) << summary;
  std::set<std::string> ids;
  for (const auto& d : docs) ids.insert(d.substr(d.find("\"kibana.alert.uuid\""), 84));
  EXPECT_EQ(ids.size(), docs.size());
  EXPECT_NE(summary.find("suppressed"), std::string::npos);
}

TEST(Engine, MaxSignalsCapIsReachedAndReportedLikeKibana) {
  rules::Rule rule = seed_rule();
  rule.max_signals = 3;
  std::vector<std::string> events;
  for (int i = 0; i < 5; ++i) {
    std::string t = format_iso8601_ms(1700000000123 + i * 1000);
    std::string e = with(seed_event_json(), "2023-11-14T22:13:20.123Z", t);
    events.push_back(with(e, "\"sequence\":48211", "\"sequence\":" + std::to_string(60000 + i)));
  }
  std::string summary;
  CollectingSink sink;
  std::vector<rules::Rule> rules_list;
  rules_list.push_back(rule);
  DetectionEngine engine(DetectionEngine::prepare(std::move(rules_list)), sink, fixed_options());
  for (const auto& e : events) engine.process(parse(e)->event);
  engine.finish();
  summary = engine.summary(events.size());
  // Window 22:06-22:15 finds 5 and alerts the earliest 3; window 22:11-22:20 finds the same 5, whose
  // first 3 are already alerted and still take the budget: 2 matches are never alerted, as in Kibana.
  EXPECT_EQ(sink.docs.size(), 3u);
  auto report = engine.report();
  ASSERT_EQ(report.size(), 1u);
  EXPECT_EQ(report[0].stats.capped_executions, 2u);
  EXPECT_NE(summary.find(DetectionEngine::kMaxSignalsWarning), std::string::npos) << summary;
}

TEST(Engine, EventsOutsideTheRulesIndicesAreNotSearched) {
  std::string other = with(seed_event_json(), R"("dataset":"auditd_manager.auditd","namespace")",
                           R"("dataset":"system.syslog","namespace")");
  EXPECT_TRUE(run({seed_rule()}, {other}).empty());
}

TEST(Engine, LiveModeAlertsOnArrivalWithTheWallClock) {
  EngineOptions o = fixed_options();
  o.clock = EngineOptions::Clock::kWallClock;
  o.eager = true;
  int64_t wall = 1700000001500;
  o.wall_clock_ms = [&wall] { return wall; };
  CollectingSink sink;
  std::vector<rules::Rule> rules_list;
  rules_list.push_back(seed_rule());
  DetectionEngine engine(DetectionEngine::prepare(std::move(rules_list)), sink, o);
  engine.process(parse(seed_event_json())->event);
  ASSERT_EQ(sink.docs.size(), 1u);  // written at once, not at the next execution
  EXPECT_NE(sink.docs[0].find(R"("@timestamp":"2023-11-14T22:13:21.500Z")"), std::string::npos);
  wall += 20 * 60000;
  engine.tick(wall);
  engine.process(parse(seed_event_json())->event);  // the same source again: no second alert
  engine.finish();
  EXPECT_EQ(sink.docs.size(), 1u);
}

TEST(Engine, SequenceGivesBuildingBlocksAndAShell) {
  auto rule = rules::parse_rule(R"(
[metadata]
creation_date = "2024/01/01"
updated_date = "2024/01/01"
[rule]
rule_id = "11111111-2222-3333-4444-555555555555"
name = "Test sequence"
description = "d"
author = ["t"]
type = "eql"
language = "eql"
index = ["logs-auditd_manager.auditd-*"]
risk_score = 47
severity = "medium"
query = '''
sequence by process.pid with maxspan=1m
  [file where file.path == "/proc/modules"]
  [file where file.path == "/etc/shadow"]
'''
)",
                                "seq.toml");
  ASSERT_TRUE(rule.is_ok()) << rule.status().message();
  std::string first = seed_event_json();
  std::string second = with(with(seed_event_json(), R"("path":"/proc/modules")", R"("path":"/etc/shadow")"),
                            "\"sequence\":48211", "\"sequence\":48212");
  second = with(second, "2023-11-14T22:13:20.123Z", "2023-11-14T22:13:25.000Z");
  std::string summary;
  auto docs = run({*rule}, {first, second}, &summary);
  ASSERT_EQ(docs.size(), 3u) << summary;
  EXPECT_NE(docs[0].find(R"("kibana.alert.building_block_type":"default")"), std::string::npos);
  EXPECT_NE(docs[0].find(R"("kibana.alert.group.index":0)"), std::string::npos);
  EXPECT_NE(docs[1].find(R"("kibana.alert.group.index":1)"), std::string::npos);
  const std::string& shell = docs[2];
  EXPECT_EQ(shell.find("building_block_type"), std::string::npos);
  EXPECT_NE(shell.find(R"("kibana.alert.depth":2)"), std::string::npos);
  EXPECT_NE(shell.find(R"("event":{"kind":"signal"})"), std::string::npos);
  // Common source fields survive in the shell, differing ones do not.
  EXPECT_NE(shell.find(R"("name":"cat")"), std::string::npos);
  EXPECT_EQ(shell.find(R"("path":"/etc/shadow")"), std::string::npos);
  EXPECT_EQ(shell.find(R"("path":"/proc/modules")"), std::string::npos);
  // The shell's group id is its own id; the blocks point at it.
  auto uuid_of = [](const std::string& d) {
    auto p = d.find("\"kibana.alert.uuid\":\"");
    return d.substr(p + 21, 64);
  };
  const std::string shell_id = uuid_of(shell);
  EXPECT_NE(shell.find("\"kibana.alert.group.id\":\"" + shell_id + "\""), std::string::npos);
  EXPECT_NE(docs[0].find("\"kibana.alert.group.id\":\"" + shell_id + "\""), std::string::npos);
}

}  // namespace
}  // namespace audetect::engine

namespace audetect::engine {
namespace {

TEST(Engine, HostileTimestampsNeitherCrashNorStopDetection) {
  std::vector<std::string> events{seed_event_json()};
  for (const char* ts : {"9223372036854775807", "-9223372036854775807", "1e308", "\"9999-12-31T23:59:59.999Z\"",
                         "\"not a date\"", "null"}) {
    std::string e = with(seed_event_json(), R"("@timestamp":"2023-11-14T22:13:20.123Z")", std::string("\"@timestamp\":") + ts);
    events.push_back(with(e, R"("ingested":"2023-11-14T22:13:21Z")", R"("ingested":"bogus")"));
  }
  // A normal event after them, one minute later: the year-9999 event must not have made it late.
  events.push_back(with(with(seed_event_json(), "2023-11-14T22:13:20.123Z", "2023-11-14T22:14:20.123Z"),
                        "\"sequence\":48211", "\"sequence\":48300"));
  std::string summary;
  auto docs = run({seed_rule()}, events, &summary);
  // The first and last events, and the year-9999 one (it matches; its execution comes at the end).
  EXPECT_EQ(docs.size(), 3u) << summary;
  EXPECT_EQ(summary.find("missed"), std::string::npos) << summary;
}

TEST(Engine, ARealGapInTheLogMovesTheReplayClock) {
  // Two days of silence, then events again: the clock follows (confirmed by the second event), so the
  // executions before the gap run in time and an event from before the gap is late afterwards.
  std::string later1 = with(with(seed_event_json(), "2023-11-14T22:13:20.123Z", "2023-11-16T22:13:20.123Z"),
                            "\"sequence\":48211", "\"sequence\":1");
  std::string later2 = with(with(seed_event_json(), "2023-11-14T22:13:20.123Z", "2023-11-16T22:14:20.123Z"),
                            "\"sequence\":48211", "\"sequence\":2");
  std::string old_again = with(seed_event_json(), "\"sequence\":48211", "\"sequence\":3");
  std::string summary;
  auto docs = run({seed_rule()}, {seed_event_json(), later1, later2, old_again}, &summary);
  EXPECT_EQ(docs.size(), 3u) << summary;
  EXPECT_NE(summary.find("missed"), std::string::npos) << summary;
}

TEST(Engine, RulesThatCannotRunAreListedWithTheReason) {
  rules::Rule query_rule = seed_rule();
  query_rule.type = rules::RuleType::kNewTerms;
  query_rule.rule_id = "q";
  rules::Rule filtered = seed_rule();
  filtered.rule_id = "f";
  filtered.filter_count = 1;
  filtered.filters_json = R"([{"query":{"match_phrase":{"host.name":"x"}}}])";
  std::vector<rules::Rule> list;
  list.push_back(query_rule);
  list.push_back(filtered);
  CollectingSink sink;
  DetectionEngine engine(DetectionEngine::prepare(std::move(list)), sink, fixed_options());
  engine.process(parse(seed_event_json())->event);
  engine.finish();
  EXPECT_TRUE(sink.docs.empty());
  auto report = engine.report();
  ASSERT_EQ(report.size(), 2u);
  EXPECT_FALSE(report[0].runnable);
  EXPECT_NE(report[0].not_runnable_reason.find("new_terms"), std::string::npos) << report[0].not_runnable_reason;
  EXPECT_FALSE(report[1].runnable);
  EXPECT_NE(report[1].not_runnable_reason.find("filters"), std::string::npos);
  std::string summary = engine.summary(1);
  EXPECT_NE(summary.find("not runnable"), std::string::npos) << summary;
}

}  // namespace
}  // namespace audetect::engine
