// `audetect query`, run as a real process: formats, ES search parameters, mappings, errors.
#include <gtest/gtest.h>

#include "cli_runner.h"
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

using Proc = audetect::testing::CliRun;


using audetect::testing::run_audetect;

bool contains(const std::string& haystack, std::string_view needle) { return haystack.find(needle) != std::string::npos; }

size_t lines(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

class Query : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("audetect_cli_query_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // Out of timestamp order on purpose: results come back ordered by @timestamp.
    events_ = write("events.ndjson",
                    R"({"@timestamp": "2024-01-01T00:00:03Z", "event": {"id": "e3", "category": ["process"], "action": "executed"}, "process": {"name": "lsmod", "pid": 30}, "host": {"id": "h1"}}
{"@timestamp": "2024-01-01T00:00:01Z", "event": {"id": "e1", "category": ["file"], "action": "opened-file"}, "file": {"path": "/proc/modules"}, "process": {"name": "cat", "pid": 10}, "host": {"id": "h1"}}
{"@timestamp": "2024-01-01T00:00:02Z", "event": {"id": "e2", "category": ["process"], "action": "executed"}, "process": {"name": "Cat", "pid": 20}, "host": {"id": "h1"}}
)");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  fs::path dir_;
  std::string events_;
};

}  // namespace

TEST_F(Query, EventQueryNdjsonInTimestampOrder) {
  Proc r = run_audetect({"query", "-q", "any where process.pid > 0", events_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(lines(r.out), 3u);
  EXPECT_LT(r.out.find("\"e1\""), r.out.find("\"e2\""));
  EXPECT_LT(r.out.find("\"e2\""), r.out.find("\"e3\""));
  EXPECT_TRUE(contains(r.out, "\"/proc/modules\""));
}

TEST_F(Query, IdsFormatAndCaseRules) {
  Proc r = run_audetect({"query", "-q", "--format", "ids", "process where process.name == \"cat\"", events_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");  // category "process" does not include the file event; == is case-sensitive
  r = run_audetect({"query", "-q", "--format", "ids", "any where process.name : \"cat\"", events_});
  EXPECT_EQ(r.out, "e1\ne2\n");
  r = run_audetect({"query", "-q", "--format", "ids", "--id-field", "process.pid", "any where true", events_});
  EXPECT_EQ(r.out, "10\n20\n30\n");
}

TEST_F(Query, SizeParameter) {
  Proc r = run_audetect({"query", "-q", "--format", "ids", "--size", "1", "any where true", events_});
  EXPECT_EQ(r.out, "e1\n");
  r = run_audetect({"query", "-q", "--format", "ids", "--size", "0", "any where true", events_});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "");
  r = run_audetect({"query", "-q", "--format", "ids", "any where true | tail 1", events_});
  EXPECT_EQ(r.out, "e3\n");
  EXPECT_EQ(run_audetect({"query", "--size", "-1", "any where true", events_}).exit_code, 2);
}

TEST_F(Query, SequenceIdsOnOneLineAndJsonWithJoinKeys) {
  const std::string seq = "sequence by host.id [file where true] [process where true]";
  Proc r = run_audetect({"query", "-q", "--format", "ids", seq, events_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "e1 e2\n");
  r = run_audetect({"query", "-q", seq, events_});
  EXPECT_TRUE(contains(r.out, "\"join_keys\":[\"h1\"]")) << r.out;
  EXPECT_TRUE(contains(r.out, "\"events\":[{"));
  r = run_audetect({"query", "-q", "--format", "ids",
                "sequence by host.id with maxspan=1m [file where true] ![any where process.name == \"nothing\"] [process where true]",
                events_});
  EXPECT_EQ(r.out, "e1 -1 e2\n");
}

TEST_F(Query, TableFormat) {
  Proc r = run_audetect({"query", "-q", "--format", "table", "any where true", events_});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_TRUE(contains(r.out, "TIMESTAMP"));
  EXPECT_TRUE(contains(r.out, "2024-01-01T00:00:01.000Z"));
  EXPECT_TRUE(contains(r.out, "opened-file"));
}

TEST_F(Query, BadQueryExitsTwoWithRenderedDiagnostic) {
  Proc r = run_audetect({"query", "process where lenght(process.name) > 3", events_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "error")) << r.err;
  EXPECT_TRUE(contains(r.err, "-->")) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(run_audetect({"query", "process where", events_}).exit_code, 2);
  EXPECT_EQ(run_audetect({"query", "process where true | count", events_}).exit_code, 2);
}

TEST_F(Query, BadInputLineIsCountedAndSkipped) {
  std::string f = write("mixed.ndjson", std::string(R"({"@timestamp": 1, "event": {"id": "a"}})") +
                                            "\n{not json\n" + R"({"@timestamp": 2, "event": {"id": "b"}})" + "\n");
  Proc r = run_audetect({"query", "--input-format", "ecs", "--format", "ids", "any where true", f});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "a\nb\n");
  EXPECT_TRUE(contains(r.err, "mixed.ndjson:2")) << r.err;
}

TEST_F(Query, MappingFilesAreStrictAndGiveTypes) {
  std::string mapping = write("m.json", R"({"properties": {
    "@timestamp": {"type": "date"}, "event_type": {"type": "keyword"},
    "event": {"properties": {"category": {"type": "alias", "path": "event_type"}}},
    "serial": {"type": "long"}, "ver": {"type": "version"}}})");
  std::string data = write("d.ndjson", R"({"@timestamp": 1, "event_type": "process", "serial": 1, "ver": "1.11.3"}
{"@timestamp": 2, "event_type": "file", "serial": 2, "ver": "1.5.0"}
)");
  Proc r = run_audetect({"query", "-q", "--mapping", mapping, "--format", "ids", "--id-field", "serial",
                    "process where ver > \"1.5.0\"", data});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n");
  r = run_audetect({"query", "-q", "--mapping", mapping, "any where no_such_field == 1", data});
  EXPECT_EQ(r.exit_code, 2);
  r = run_audetect({"query", "-q", "--mapping", mapping, "--format", "ids", "--id-field", "serial",
                "any where ?no_such_field == null", data});
  EXPECT_EQ(r.out, "1\n2\n");
  EXPECT_EQ(run_audetect({"query", "--mapping", (dir_ / "missing.json").string(), "any where true", data}).exit_code, 2);
}

TEST_F(Query, BuiltinSchemaWarnsOnUnknownField) {
  Proc r = run_audetect({"query", "--format", "ids", "any where custom.thing == \"x\"", events_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "custom.thing")) << r.err;
}

TEST_F(Query, TimestampAndTiebreakerFields) {
  std::string data = write("t.ndjson", R"({"ts": "20", "n": 2, "event": {"id": "b"}}
{"ts": "20", "n": 1, "event": {"id": "a"}}
{"ts": "10", "n": 9, "event": {"id": "c"}}
)");
  Proc r = run_audetect({"query", "-q", "--format", "ids", "--timestamp-field", "ts", "--tiebreaker-field", "n",
                    "any where true", data});
  EXPECT_EQ(r.out, "c\na\nb\n");
}

TEST_F(Query, MissingFileIsRuntimeFailure) {
  Proc r = run_audetect({"query", "any where true", (dir_ / "nope.ndjson").string()});
  EXPECT_EQ(r.exit_code, 1);
}

TEST_F(Query, RawAuditLogNormalizedOnTheFly) {
  std::string log = write("a.log",
                          "type=SYSCALL msg=audit(1700000000.123:42): arch=c000003e syscall=59 success=yes exit=0 "
                          "a0=1 a1=2 a2=3 a3=4 items=1 ppid=1 pid=4242 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 "
                          "egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm=\"lsmod\" exe=\"/usr/bin/kmod\" key=(null)\n"
                          "type=EXECVE msg=audit(1700000000.123:42): argc=1 a0=\"lsmod\"\n"
                          "type=EOE msg=audit(1700000000.123:42): \n");
  Proc r = run_audetect({"query", "-q", "--no-resolve", "--format", "ids", "--id-field", "process.pid",
                    "process where event.action == \"executed\"", log});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "4242\n");
}

TEST_F(Query, SmallOrderBufferSameResultsOnOrderedInput) {
  std::string data;
  for (int i = 0; i < 50; ++i)
    data += "{\"@timestamp\": " + std::to_string(i) + ", \"event\": {\"id\": \"" + std::to_string(i) +
            "\", \"category\": \"" + (i % 2 ? "file" : "process") + "\"}, \"host\": {\"id\": \"h\"}}\n";
  std::string f = write("ordered.ndjson", data);
  for (const char* q : {"any where true", "sequence by host.id [process where true] [file where true]"}) {
    Proc big = run_audetect({"query", "-q", "--format", "ids", q, f});
    Proc small = run_audetect({"query", "-q", "--format", "ids", "--order-buffer", "2", q, f});
    EXPECT_EQ(big.exit_code, 0);
    EXPECT_EQ(small.out, big.out) << q;
    EXPECT_EQ(lines(big.out), std::string(q).starts_with("any") ? 50u : 25u);
  }
}
