#include "io/pipeline.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "event/json.h"

namespace audetect::io {
namespace {

struct Collected {
  std::vector<std::string> docs;
  PipelineStats stats;
};

PipelineOptions quiet_options() {
  PipelineOptions o;
  o.warning_stream = nullptr;
  o.normalizer.resolve_ids = false;
  o.normalizer.add_host_metadata = false;
  o.normalizer.clock_ms = [] { return int64_t{1700000001000}; };
  return o;
}

Collected run(const std::vector<std::string>& lines, PipelineOptions o = quiet_options()) {
  Collected c;
  EventPipeline p(o, [&](const Event& e) {
    std::string s;
    write_ndjson(s, e);
    c.docs.push_back(s);
  });
  uint64_t n = 0;
  for (const auto& l : lines) p.feed_line(l, "test.log", ++n);
  p.flush();
  c.stats = p.stats();
  return c;
}

const std::vector<std::string> kCatProcModules = {
    "type=SYSCALL msg=audit(1700000000.123:48211): arch=c000003e syscall=257 success=yes exit=3 "
    "a0=ffffff9c a1=7ffc8b3e5f2a a2=0 a3=0 items=1 ppid=2150 pid=2207 auid=1000 uid=1000 gid=1000 "
    "euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=\"cat\" "
    "exe=\"/usr/bin/cat\" subj=unconfined key=\"audit_proc\"",
    "type=CWD msg=audit(1700000000.123:48211): cwd=\"/home/alice\"",
    "type=PATH msg=audit(1700000000.123:48211): item=0 name=\"/proc/modules\" inode=4026532067 "
    "dev=00:15 mode=0100444 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 "
    "cap_fver=0 cap_frootid=0",
    "type=PROCTITLE msg=audit(1700000000.123:48211): proctitle=636174002F70726F632F6D6F64756C6573",
    "type=EOE msg=audit(1700000000.123:48211): ",
};

TEST(EventPipeline, AssemblesAndNormalizesAuditLines) {
  auto c = run(kCatProcModules);
  ASSERT_EQ(c.docs.size(), 1u);
  EXPECT_NE(c.docs[0].find("\"action\":\"opened-file\""), std::string::npos) << c.docs[0];
  EXPECT_NE(c.docs[0].find("\"path\":\"/proc/modules\""), std::string::npos) << c.docs[0];
  EXPECT_NE(c.docs[0].find("\"title\":\"cat /proc/modules\""), std::string::npos) << c.docs[0];
  EXPECT_EQ(c.stats.records, 5u);
  EXPECT_EQ(c.stats.audit_events, 1u);
  EXPECT_EQ(c.stats.warnings, 0u);
}

TEST(EventPipeline, MixesEcsLinesAndSkipsBadLinesWithWarnings) {
  std::vector<std::string> lines = {"{\"event\":{\"category\":\"file\"}}", "garbage that is no record",
                                    "{\"broken\":", ""};
  lines.insert(lines.end(), kCatProcModules.begin(), kCatProcModules.end());
  auto c = run(lines);
  ASSERT_EQ(c.docs.size(), 2u);
  EXPECT_EQ(c.docs[0], "{\"event\":{\"category\":\"file\"}}\n");
  EXPECT_EQ(c.stats.json_events, 1u);
  EXPECT_EQ(c.stats.audit_events, 1u);
  EXPECT_EQ(c.stats.warnings, 2u);
}

TEST(EventPipeline, IncompleteEventIsStillEmittedAtEndOfInput) {
  std::vector<std::string> cut(kCatProcModules.begin(), kCatProcModules.begin() + 3);
  auto c = run(cut);
  ASSERT_EQ(c.docs.size(), 1u);
  EXPECT_NE(c.docs[0].find("/proc/modules"), std::string::npos);
}

TEST(EventPipeline, ForcedFormatTreatsEveryLineAlike) {
  PipelineOptions o = quiet_options();
  o.format = InputFormat::kEcs;
  auto c = run(kCatProcModules, o);
  EXPECT_TRUE(c.docs.empty());
  EXPECT_EQ(c.stats.warnings, 5u);
}

TEST(EventPipeline, WarningsNameFileAndLine) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* mem = open_memstream(&buf, &len);
  PipelineOptions o = quiet_options();
  o.warning_stream = mem;
  o.warnings_printed = 1;
  run({"not a record", "also not"}, o);
  std::fclose(mem);
  std::string text(buf, len);
  free(buf);
  EXPECT_NE(text.find("test.log:1: "), std::string::npos) << text;
  EXPECT_EQ(text.find("test.log:2: "), std::string::npos) << text;
  EXPECT_NE(text.find("further warnings are counted"), std::string::npos) << text;
}

}  // namespace
}  // namespace audetect::io
