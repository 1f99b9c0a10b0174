// Which raw strings every event a rule set can match must contain (engine/prefilter.h).
#include "engine/prefilter.h"

#include <gtest/gtest.h>

namespace audetect::engine {
namespace {

TEST(Prefilter, SeedRuleQueryNeedsTheProcModulesPath) {
  auto q = eql_query_literals(R"(file where host.os.type == "linux" and event.action == "opened-file" and
    file.path == "/proc/modules" and not (process.name in ("lsmod", "grep") or process.parent.pid == 1))",
                              false);
  ASSERT_TRUE(q.derivable) << q.why_not;
  EXPECT_EQ(q.literals, std::vector<std::string>{"/proc/modules"});
}

TEST(Prefilter, OrNeedsEverySideAndInListsGiveEachValue) {
  auto q = eql_query_literals(R"(process where process.executable in ("/usr/bin/nc", "/bin/nc") or
    process.name == "ncat")", false);
  ASSERT_TRUE(q.derivable);
  EXPECT_EQ(q.literals, (std::vector<std::string>{"/bin/nc", "/usr/bin/nc", "ncat"}));
  // One side without a literal: nothing can be required.
  EXPECT_FALSE(eql_query_literals(R"(process where process.name == "ncat" or user.id == "0")", false).derivable);
}

TEST(Prefilter, NegationsCaseInsensitiveFormsAndDerivedFieldsGiveNothing) {
  EXPECT_FALSE(eql_query_literals(R"(file where not file.path == "/etc/shadow")", false).derivable);
  EXPECT_FALSE(eql_query_literals(R"(file where file.path : "/etc/shadow")", false).derivable);
  EXPECT_FALSE(eql_query_literals(R"(file where file.path in~ ("/etc/shadow"))", false).derivable);
  EXPECT_FALSE(eql_query_literals(R"(file where event.action == "opened-file")", false).derivable);
  EXPECT_FALSE(eql_query_literals(R"(sequence [file where file.path == "/a"] [file where file.path == "/b"])", false)
                   .derivable);
}

TEST(Prefilter, ResolvedPathsAreNotVerbatim) {
  // With --resolve-paths, `cat modules` in /proc gives file.path /proc/modules from name="modules".
  EXPECT_FALSE(eql_query_literals(R"(file where file.path == "/proc/modules")", true).derivable);
}

rules::Rule eql_rule(std::string name, std::string query) {
  rules::Rule r;
  r.name = std::move(name);
  r.type = rules::RuleType::kEql;
  r.query = std::move(query);
  return r;
}

TEST(Prefilter, RuleSetUnionAndHexForms) {
  rules::Rule a = eql_rule("a", R"(file where file.path == "/proc/modules")");
  rules::Rule b = eql_rule("b", R"(process where process.executable == "/tmp/my tool")");
  RawPrefilter p = RawPrefilter::for_rules({&a, &b}, false);
  ASSERT_TRUE(p.enabled()) << p.disabled_reason();
  // "/tmp/my tool" has a space, so the kernel would log it hex-encoded.
  EXPECT_EQ(p.needles(), (std::vector<std::string>{"/proc/modules", "/tmp/my tool", "2F746D702F6D7920746F6F6C"}));
  EXPECT_TRUE(p.hit(R"(type=PATH msg=audit(1.2:3): item=0 name="/proc/modules" inode=1)"));
  EXPECT_TRUE(p.hit(R"(type=SYSCALL msg=audit(1.2:3): exe=2F746D702F6D7920746F6F6C key=x)"));
  EXPECT_FALSE(p.hit(R"(type=PATH msg=audit(1.2:3): item=0 name="/proc/cpuinfo" inode=1)"));

  rules::Rule c = eql_rule("c", R"(file where event.action == "deleted")");
  RawPrefilter off = RawPrefilter::for_rules({&a, &c}, false);
  EXPECT_FALSE(off.enabled());
  EXPECT_NE(off.disabled_reason().find("\"c\""), std::string::npos);
  EXPECT_FALSE(RawPrefilter::for_rules({}, false).enabled());
}

}  // namespace
}  // namespace audetect::engine

namespace audetect::engine {
namespace {

TEST(PrefilterFeeder, KeepsWholeEventsEvenWhenRecordsInterleave) {
  rules::Rule a = eql_rule("a", R"(file where file.path == "/proc/modules")");
  RawPrefilter p = RawPrefilter::for_rules({&a}, false);
  std::vector<std::string> out;
  PrefilterFeeder feeder(p, [&](std::string_view line, std::string_view, uint64_t) { out.emplace_back(line); });
  const std::vector<std::string> in = {
      "type=SYSCALL msg=audit(100.001:7): syscall=257 comm=\"cat\"",  // event 7 starts
      "type=SYSCALL msg=audit(100.002:8): syscall=257 comm=\"ls\"",   // event 8, interleaved
      "{\"@timestamp\":\"2023-11-14T22:13:20Z\"}",                    // not a record: always passes
      "type=PATH msg=audit(100.002:8): item=0 name=\"/etc/passwd\"",
      "type=PATH msg=audit(100.001:7): item=0 name=\"/proc/modules\"",  // makes all of event 7 kept
      "type=EOE msg=audit(100.001:7): ",
      "type=EOE msg=audit(100.002:8): ",
      "node=h1 type=PATH msg=audit(100.003:9): item=0 name=\"/proc/modules\"",
      "garbage line",
  };
  uint64_t n = 0;
  for (const auto& l : in) feeder.line(l, "test.log", ++n);
  feeder.drain();
  const std::vector<std::string> want = {in[0], in[2], in[4], in[5], in[7], in[8]};
  EXPECT_EQ(out, want);
  EXPECT_EQ(feeder.lines(), in.size());
  EXPECT_EQ(feeder.lines_skipped(), 3u);
  EXPECT_EQ(feeder.events_skipped(), 1u);
  EXPECT_EQ(feeder.split_events(), 0u);
}

TEST(PrefilterFeeder, ARecordBeyondTheLookAheadIsCountedAsASplitEvent) {
  rules::Rule a = eql_rule("a", R"(file where file.path == "/proc/modules")");
  RawPrefilter p = RawPrefilter::for_rules({&a}, false);
  uint64_t forwarded = 0;
  PrefilterFeeder feeder(p, [&](std::string_view, std::string_view, uint64_t) { ++forwarded; });
  uint64_t n = 0;
  feeder.line("type=SYSCALL msg=audit(1.000:1): syscall=257", "t", ++n);
  for (size_t i = 0; i < PrefilterFeeder::kLookahead + 10; ++i)
    feeder.line("type=SYSCALL msg=audit(2.000:" + std::to_string(100 + i) + "): syscall=1", "t", ++n);
  feeder.line("type=PATH msg=audit(1.000:1): name=\"/proc/modules\"", "t", ++n);
  feeder.drain();
  EXPECT_EQ(feeder.split_events(), 1u);
  EXPECT_EQ(forwarded, 1u);  // the late record itself still goes through
}

}  // namespace
}  // namespace audetect::engine
