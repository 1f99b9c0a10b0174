// Runs every go-libaudit auparse test log through RecordParser and compares each record with the
// golden JSON (one element per line: null when the line does not parse).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>

#include "audit/audit.h"
#include "conformance_util.h"

namespace audetect::audit {
namespace {

namespace fs = std::filesystem;
using testing::go_timestamp;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Compares one parsed line with its golden element; returns the differences (empty = pass).
std::string compare(bool parsed, const AuditRecord& rec, simdjson::dom::element golden) {
  std::string diff;
  if (golden.is_null()) return parsed ? "parsed, golden says unparseable" : "";
  if (!parsed) return "not parsed, golden has a record";
  auto str = [&](const char* key) -> std::string {
    std::string_view v;
    if (golden[key].get(v) != simdjson::SUCCESS) return "<missing>";
    return std::string(v);
  };
  if (str("@timestamp") != go_timestamp(rec.time_ms)) {
    diff += " @timestamp " + go_timestamp(rec.time_ms) + " != " + str("@timestamp");
  }
  if (str("record_type") != lower(record_type_name(rec.type))) {
    diff += " record_type " + lower(record_type_name(rec.type)) + " != " + str("record_type");
  }
  uint64_t seq = 0;
  if (golden["sequence"].get(seq) != simdjson::SUCCESS || seq != rec.serial) diff += " sequence";
  if (str("raw_msg") != rec.text) diff += " raw_msg";
  std::vector<std::string> keys, tags(rec.tags.begin(), rec.tags.end());
  simdjson::dom::array key_array;
  if (golden["keys"].get(key_array) == simdjson::SUCCESS) {
    for (auto k : key_array) keys.emplace_back(std::string_view(k));
  }
  if (keys != tags) diff += " keys";
  std::map<std::string, std::string> want, got;
  simdjson::dom::object data;
  if (golden["data"].get(data) == simdjson::SUCCESS) {
    for (auto [k, v] : data) want[std::string(k)] = std::string(std::string_view(v));
  }
  for (const AuditField& f : rec.fields) got[std::string(f.name)] = std::string(f.value);
  std::string_view golden_error;
  bool golden_has_error = golden["error"].get(golden_error) == simdjson::SUCCESS;
  if (golden_has_error != !rec.error.empty()) {
    diff += " error(" + std::string(rec.error) + " vs " + std::string(golden_error) + ")";
  }
  for (const auto& [k, v] : want) {
    auto it = got.find(k);
    if (it == got.end()) {
      diff += " missing " + k + "=" + v;
    } else if (it->second != v) {
      diff += " " + k + ": got '" + it->second + "' want '" + v + "'";
    }
  }
  for (const auto& [k, v] : got) {
    if (!want.count(k)) diff += " extra " + k + "=" + v;
  }
  return diff;
}

TEST(AuparseConformance, GoldenFiles) {
  const fs::path dir = fs::path(AUDETECT_CORPUS_DIR) / "audit/go-libaudit/auparse/testdata";
  if (!fs::is_directory(dir)) {
    GTEST_SKIP() << "corpus not found at " << dir << " (set AUDETECT_CORPUS_DIR); skipping";
  }
  const auto known = testing::read_known_differences(
      fs::path(AUDETECT_SOURCE_DIR) / "tests/audit/auparse_known_differences.txt");
  std::vector<fs::path> logs;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".log") logs.push_back(e.path());
  }
  std::sort(logs.begin(), logs.end());
  ASSERT_FALSE(logs.empty());

  RecordParser parser;
  simdjson::dom::parser json;
  int passed = 0, failed = 0, skipped = 0;
  for (const fs::path& log : logs) {
    auto lines = testing::split_lines(testing::read_file(log));
    simdjson::dom::array golden;
    auto golden_text = simdjson::padded_string::load((log.string() + ".golden"));
    ASSERT_EQ(golden_text.error(), simdjson::SUCCESS) << log;
    ASSERT_EQ(json.parse(golden_text.value()).get(golden), simdjson::SUCCESS) << log;
    ASSERT_EQ(golden.size(), lines.size()) << log << ": one golden element per line";
    size_t i = 0;
    for (auto element : golden) {
      const std::string id = log.filename().string() + ":" + std::to_string(i + 1);
      AuditRecord rec;
      std::string reason;
      bool parsed = parser.parse_line(lines[i], rec, &reason);
      std::string diff = compare(parsed, rec, element);
      ++i;
      auto k = known.find(id);
      if (k != known.end()) {
        ++skipped;
        std::cout << "  known difference " << id << ": " << k->second
                  << (diff.empty() ? " (now passes: remove it from the list)" : "") << "\n";
        continue;
      }
      if (diff.empty()) {
        ++passed;
      } else {
        ++failed;
        ADD_FAILURE() << id << ":" << diff << (parsed ? "" : " (" + reason + ")");
      }
    }
  }
  std::cout << "auparse conformance: " << passed << " passed, " << failed << " failed, " << skipped
            << " skipped\n";
}

}  // namespace
}  // namespace audetect::audit
