// The shipped seed rule end to end on real audit logs captured on this machine (tests/engine/testdata/real/):
// the engine must alert on exactly the labelled audit serials, and on none of the near misses.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/engine.h"
#include "event/json.h"
#include "io/pipeline.h"

namespace audetect::engine {
namespace {

namespace fs = std::filesystem;
const fs::path kDir = fs::path(AUDETECT_SOURCE_DIR) / "tests/engine/testdata/real";

std::set<int64_t> serials(const Value* array) {
  std::set<int64_t> out;
  if (array && array->is_array())
    for (const Value& v : array->as_array())
      if (v.is_int()) out.insert(v.as_int());
  return out;
}

struct ScanResult {
  std::set<int64_t> alerted;
  uint64_t alerts = 0;
  uint64_t events = 0;
};

ScanResult scan(const fs::path& log, bool resolve_paths) {
  auto loaded = rules::load_rule_file(fs::path(AUDETECT_SOURCE_DIR) /
                                      "rules/linux/discovery_kernel_module_enumeration_via_proc.toml");
  EXPECT_TRUE(loaded.is_ok()) << loaded.status().message();
  std::vector<rules::Rule> rule_list;
  rule_list.push_back(std::move(loaded.value()));
  CollectingSink sink;
  EngineOptions eo;
  eo.loaded_at_ms = 0;
  DetectionEngine engine(DetectionEngine::prepare(std::move(rule_list)), sink, eo);
  io::PipelineOptions po;
  po.normalizer.resolve_paths = resolve_paths;
  po.warning_stream = nullptr;
  io::EventPipeline pipeline(po, [&](const Event& e) { engine.process(e); });
  EXPECT_TRUE(pipeline.read_file(log.string()).is_ok());
  pipeline.flush();
  engine.finish();
  ScanResult r;
  r.events = engine.events_processed();
  r.alerts = sink.docs.size();
  for (const std::string& doc : sink.docs) {
    EventBuilder b;
    JsonEventReader reader;
    EXPECT_EQ(reader.parse(doc, b, nullptr), JsonEventReader::Outcome::kEvent);
    Event alert = b.finish();
    const Value* seq = alert.get(FieldPath("kibana.alert.original_event.sequence"));
    if (!seq) seq = alert.get(FieldPath("auditd.sequence"));
    EXPECT_TRUE(seq && seq->is_int()) << doc.substr(0, 300);
    if (seq && seq->is_int()) r.alerted.insert(seq->as_int());
  }
  return r;
}

TEST(RealCaptures, SeedRuleAlertsExactlyTheLabelledSerials) {
  const fs::path expected_path = kDir / "expected.json";
  if (!fs::exists(expected_path)) GTEST_SKIP() << "no labelled captures in " << kDir;
  std::ifstream in(expected_path);
  std::stringstream text;
  text << in.rdbuf();
  std::string json = text.str();
  for (char& c : json)
    if (c == '\n' || c == '\r') c = ' ';  // one JSON document; newlines inside strings are escaped
  EventBuilder b;
  JsonEventReader reader;
  ASSERT_EQ(reader.parse(json, b, nullptr), JsonEventReader::Outcome::kEvent);
  Event expected = b.finish();
  const Value* captures = expected.root().member("captures");
  ASSERT_TRUE(captures && captures->is_array() && !captures->as_array().empty());

  for (const Value& capture : captures->as_array()) {
    const std::string file(capture.member("file")->as_string());
    SCOPED_TRACE(file);
    const std::set<int64_t> want = serials(capture.member("alert_serials"));
    const std::set<int64_t> must_not = serials(capture.member("no_alert_serials"));
    ASSERT_FALSE(want.empty());

    ScanResult got = scan(kDir / file, false);
    EXPECT_EQ(got.alerted, want);
    EXPECT_EQ(got.alerts, want.size()) << "one alert per source event";
    for (int64_t s : must_not) EXPECT_EQ(got.alerted.count(s), 0u) << "near miss " << s << " alerted";
    if (const Value* events = capture.member("events"); events && events->is_int()) {
      EXPECT_EQ(got.events, static_cast<uint64_t>(events->as_int()));
    }

    if (const Value* rp = capture.member("resolve_paths_alert_serials")) {
      ScanResult resolved = scan(kDir / file, true);
      EXPECT_EQ(resolved.alerted, serials(rp)) << "with --resolve-paths";
      EXPECT_GT(resolved.alerted.size(), want.size());
    }
  }
}

}  // namespace
}  // namespace audetect::engine
