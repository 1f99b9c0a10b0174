// Record-level cross-check against go-libaudit's aucoalesce goldens: every record of every test
// event parses, and the values the coalesced event copies straight from single records (sequence,
// timestamp, the SYSCALL record's data fields, process exe/name/title/cwd, tags) match the golden.
// The full coalescing comparison is the ECS layer's conformance test.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "conformance_util.h"

namespace audetect::audit {
namespace {

namespace fs = std::filesystem;

struct OwnedRecord {
  uint32_t type;
  uint32_t serial;
  int64_t time_ms;
  std::map<std::string, std::string> fields;
  std::vector<std::string> tags;
};

std::string compare_event(const std::vector<OwnedRecord>& records, simdjson::dom::element event) {
  std::string diff;
  if (records.empty()) return " no records";
  auto str = [](simdjson::dom::element e, const char* key) -> std::string {
    std::string_view v;
    return e[key].get(v) == simdjson::SUCCESS ? std::string(v) : std::string("<missing>");
  };
  uint64_t seq = 0;
  if (event["sequence"].get(seq) != simdjson::SUCCESS || seq != records[0].serial) diff += " sequence";
  if (str(event, "@timestamp") != testing::go_timestamp(records[0].time_ms)) diff += " @timestamp";

  auto first_of = [&](uint32_t type) -> const OwnedRecord* {
    for (const auto& r : records) {
      if (r.type == type) return &r;
    }
    return nullptr;
  };
  const OwnedRecord* syscall = first_of(kSyscall);
  simdjson::dom::object data;
  if (syscall && event["data"].get(data) == simdjson::SUCCESS) {
    for (auto [k, v] : data) {
      std::string key(k);
      auto it = syscall->fields.find(key);
      bool syscall_key = key == "syscall" || key == "arch" || key == "exit" || key == "a0" ||
                         key == "a1" || key == "a2" || key == "a3";
      if (it == syscall->fields.end()) {
        if (syscall_key) diff += " SYSCALL lacks " + key;
        continue;
      }
      if (it->second != std::string_view(v)) {
        diff += " data." + key + ": '" + it->second + "' != '" + std::string(std::string_view(v)) + "'";
      }
    }
  }
  simdjson::dom::element process;
  if (event["process"].get(process) == simdjson::SUCCESS) {
    auto check = [&](const OwnedRecord* r, const char* field, const char* golden_key) {
      std::string want = str(process, golden_key);
      if (!r || want == "<missing>") return;
      auto it = r->fields.find(field);
      if (it == r->fields.end() || it->second != want) {
        diff += std::string(" process.") + golden_key + ": '" +
                (it == r->fields.end() ? "<none>" : it->second) + "' != '" + want + "'";
      }
    };
    check(syscall, "exe", "exe");
    check(syscall, "comm", "name");
    check(first_of(kProctitle), "proctitle", "title");
    check(first_of(kCwd), "cwd", "cwd");
  }
  std::vector<std::string> want_tags, got_tags;
  simdjson::dom::array tags;
  if (event["tags"].get(tags) == simdjson::SUCCESS) {
    for (auto t : tags) want_tags.emplace_back(std::string_view(t));
  }
  for (const auto& r : records) {
    for (const auto& t : r.tags) {
      if (std::find(got_tags.begin(), got_tags.end(), t) == got_tags.end()) got_tags.push_back(t);
    }
  }
  if (want_tags != got_tags) diff += " tags";
  return diff;
}

TEST(AucoalesceRecordsConformance, RecordValuesMatchGoldens) {
  const fs::path dir = fs::path(AUDETECT_CORPUS_DIR) / "audit/go-libaudit/aucoalesce/testdata";
  if (!fs::is_directory(dir)) {
    GTEST_SKIP() << "corpus not found at " << dir << " (set AUDETECT_CORPUS_DIR); skipping";
  }
  std::vector<fs::path> inputs;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".yaml") inputs.push_back(e.path());
  }
  std::sort(inputs.begin(), inputs.end());
  RecordParser parser;
  simdjson::dom::parser json;
  int passed = 0, failed = 0;
  for (const fs::path& input : inputs) {
    fs::path golden_path = input;
    golden_path.replace_extension(".json.golden");
    simdjson::dom::array golden;
    auto text = simdjson::padded_string::load(golden_path.string());
    ASSERT_EQ(text.error(), simdjson::SUCCESS) << golden_path;
    ASSERT_EQ(json.parse(text.value()).get(golden), simdjson::SUCCESS) << golden_path;
    std::map<std::string, simdjson::dom::element> by_name;
    for (auto g : golden) by_name[std::string(std::string_view(g["test_name"]))] = g["event"];

    YAML::Node tests = YAML::LoadFile(input.string())["tests"];
    for (const auto& test : tests) {
      std::string name = test.first.as<std::string>();
      std::string id = input.filename().string() + ":" + name;
      std::vector<OwnedRecord> records;
      std::string problems;
      for (const std::string& line : testing::split_lines(test.second.as<std::string>())) {
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        AuditRecord rec;
        std::string reason;
        if (!parser.parse_line(line, rec, &reason)) {
          problems += " rejected (" + reason + ")";
          continue;
        }
        if (rec.type == kEoe) continue;
        OwnedRecord owned{rec.type, rec.serial, rec.time_ms, {}, {}};
        for (const AuditField& f : rec.fields) owned.fields[std::string(f.name)] = std::string(f.value);
        owned.tags.assign(rec.tags.begin(), rec.tags.end());
        records.push_back(std::move(owned));
      }
      auto g = by_name.find(name);
      if (g == by_name.end()) {
        problems += " no golden";
      } else {
        problems += compare_event(records, g->second);
      }
      if (problems.empty()) {
        ++passed;
      } else {
        ++failed;
        ADD_FAILURE() << id << ":" << problems;
      }
    }
  }
  std::cout << "aucoalesce record values: " << passed << " passed, " << failed << " failed, 0 skipped\n";
}

}  // namespace
}  // namespace audetect::audit
