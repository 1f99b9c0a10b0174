// Unit tests of the ECS normalizer: the worked example of docs/audit-to-ecs.md §13 in both
// profiles (golden files beside this test), path resolution, name resolution from given files,
// hostile bytes.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "audit/audit.h"
#include "ecs/ecs.h"
#include "event/event.h"
#include "event/json.h"

namespace audetect::ecs {
namespace {

const std::string kTestData = std::string(AUDETECT_SOURCE_DIR) + "/tests/ecs/testdata/";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

NormalizerOptions test_options(Profile profile) {
  NormalizerOptions o;
  o.profile = profile;
  o.passwd_file = kTestData + "passwd";
  o.group_file = kTestData + "group";
  o.clock_ms = [] { return int64_t{1700000001456}; };  // event.ingested 2023-11-14T22:13:21Z
  auto host = std::make_shared<HostInfo>();
  host->name = "web-01";
  host->architecture = "x86_64";
  host->os_family = "debian";
  host->os_name = "Debian GNU/Linux";
  host->os_platform = "debian";
  host->os_version = "12 (bookworm)";
  host->os_kernel = "6.1.0-13-amd64";
  o.host = host;
  return o;
}

// Audit text -> one NDJSON line per event.
std::vector<std::string> normalize_text(const std::string& text, NormalizerOptions options) {
  EcsNormalizer normalizer(std::move(options));
  EventBuilder builder;
  std::vector<std::string> out;
  audit::EventAssembler assembler([&](const audit::AuditEvent& ev) {
    normalizer.normalize(ev, builder);
    std::string line;
    write_ndjson(line, builder.finish());
    out.push_back(line);
  });
  audit::RecordParser parser;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    audit::AuditRecord record;
    std::string reason;
    if (parser.parse_line(line, record, &reason)) assembler.add(record);
  }
  assembler.flush();
  return out;
}

// Canonical form of a JSON document: re-serialised with object members sorted, so documents
// compare equal regardless of member order.
void canonical(const Value& v, std::string& out) {
  JsonWriter w(out);
  switch (v.kind()) {
    case ValueKind::kObject: {
      std::vector<const Member*> members;
      for (const Member& m : v.as_object()) members.push_back(&m);
      std::sort(members.begin(), members.end(), [](const Member* a, const Member* b) { return a->name < b->name; });
      out.push_back('{');
      for (size_t i = 0; i < members.size(); ++i) {
        if (i) out.push_back(',');
        JsonWriter::append_quoted(out, members[i]->name);
        out.push_back(':');
        canonical(members[i]->value, out);
      }
      out.push_back('}');
      break;
    }
    case ValueKind::kArray: {
      out.push_back('[');
      bool first = true;
      for (const Value& e : v.as_array()) {
        if (!first) out.push_back(',');
        first = false;
        canonical(e, out);
      }
      out.push_back(']');
      break;
    }
    default: w.value(v); break;
  }
}

std::string canonical_json(const std::string& line) {
  JsonEventReader reader;
  EventBuilder b;
  JsonError error;
  if (reader.parse(line, b, &error) != JsonEventReader::Outcome::kEvent) return "<invalid JSON: " + error.reason + ">";
  std::string out;
  canonical(b.finish().root(), out);
  return out;
}

std::string compact_golden(const std::string& path) {
  std::string text = read_file(path);
  // Golden files are pretty-printed for review; the reader takes one document per line.
  std::string one_line;
  for (char c : text)
    if (c != '\n') one_line.push_back(c);
  return canonical_json(one_line);
}

TEST(EcsNormalizer, WorkedExampleAuditbeatProfile) {
  auto docs = normalize_text(read_file(kTestData + "cat_proc_modules.log"), test_options(Profile::kAuditbeat));
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(canonical_json(docs[0]), compact_golden(kTestData + "cat_proc_modules.auditbeat.json")) << docs[0];
}

TEST(EcsNormalizer, WorkedExampleAuditdManagerProfile) {
  auto docs = normalize_text(read_file(kTestData + "cat_proc_modules.log"), test_options(Profile::kAuditdManager));
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(canonical_json(docs[0]), compact_golden(kTestData + "cat_proc_modules.auditd_manager.json")) << docs[0];
}

}  // namespace
}  // namespace audetect::ecs
