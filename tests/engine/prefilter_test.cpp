// Which raw strings every event a rule set can match must contain (engine/prefilter.h).
#include "engine/prefilter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <random>
#include <string>
#include <vector>

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

struct Forwarded {
  std::string text;
  uint64_t line_no = 0;
  bool operator==(const Forwarded& o) const { return text == o.text && line_no == o.line_no; }
};
std::ostream& operator<<(std::ostream& os, const Forwarded& f) { return os << f.line_no << ": " << f.text.substr(0, 80); }

struct FeederRun {
  std::vector<Forwarded> out;
  std::vector<uint64_t> truncated;
  uint64_t lines = 0, lines_skipped = 0, events_skipped = 0, split_events = 0;
};

// Feeds `input` in pieces of `chunk` bytes (0: one piece).
FeederRun run_feeder(const RawPrefilter& p, std::string_view input, size_t chunk = 0) {
  FeederRun r;
  PrefilterFeeder feeder(
      p, [&](std::string_view line, std::string_view source, uint64_t no) {
        EXPECT_EQ(source, "test.log");
        r.out.push_back({std::string(line), no});
      },
      [&](std::string_view, uint64_t no) { r.truncated.push_back(no); });
  feeder.start("test.log");
  for (size_t at = 0; at < input.size(); at += chunk ? chunk : input.size())
    feeder.feed(input.substr(at, chunk ? chunk : input.size()));
  feeder.finish();
  r.lines = feeder.lines();
  r.lines_skipped = feeder.lines_skipped();
  r.events_skipped = feeder.events_skipped();
  r.split_events = feeder.split_events();
  return r;
}

RawPrefilter modules_prefilter() {
  static const rules::Rule a = eql_rule("a", R"(file where file.path == "/proc/modules")");
  return RawPrefilter::for_rules({&a}, false);
}

// Nine strings (so the feeder searches them in one pass, not one memmem each), one of 3 bytes.
const std::vector<std::string> kManyStrings = {"/proc/modules", "/etc/shadow", "/usr/bin/nc", "/tmp/.x1", "ncat",
                                               "socat", "zzq", "/root/.ssh/id_rsa", "/dev/tcp/1"};
RawPrefilter many_strings_prefilter() {
  std::string query = "file where file.path in (";
  for (size_t i = 0; i < kManyStrings.size(); ++i) query += (i ? ", \"" : "\"") + kManyStrings[i] + "\"";
  static const rules::Rule a = eql_rule("many", query + ")");
  return RawPrefilter::for_rules({&a}, false);
}

std::string join(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

TEST(PrefilterFeeder, KeepsWholeEventsEvenWhenRecordsInterleave) {
  RawPrefilter p = modules_prefilter();
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
  FeederRun r = run_feeder(p, join(in));
  const std::vector<Forwarded> want = {{in[0], 1}, {in[2], 3}, {in[4], 5}, {in[5], 6}, {in[7], 8}, {in[8], 9}};
  EXPECT_EQ(r.out, want);
  EXPECT_EQ(r.lines, in.size());
  EXPECT_EQ(r.lines_skipped, 3u);
  EXPECT_EQ(r.events_skipped, 1u);
  EXPECT_EQ(r.split_events, 0u);
}

TEST(PrefilterFeeder, HexEncodedValuesAreFound) {
  rules::Rule b = eql_rule("b", R"(process where process.executable == "/tmp/my tool")");
  RawPrefilter p = RawPrefilter::for_rules({&b}, false);
  const std::string in = "type=SYSCALL msg=audit(1.2:3): exe=2F746D702F6D7920746F6F6C key=x\n"
                         "type=SYSCALL msg=audit(1.2:4): exe=\"/tmp/my\" key=x\n";
  FeederRun r = run_feeder(p, in);
  ASSERT_EQ(r.out.size(), 1u);
  EXPECT_EQ(r.out[0].line_no, 1u);
}

TEST(PrefilterFeeder, LinesThatAreNotAuditRecordsAlwaysPass) {
  RawPrefilter p = modules_prefilter();
  const std::vector<std::string> in = {
      // An ECS document quoting a raw record: not a record of its own, even with a header and no string.
      R"({"event":{"original":"type=SYSCALL msg=audit(100.001:7): syscall=257"}})",
      "",
      "  type=SYSCALL msg=audit(100.001:7): indented",  // the pipeline reports it
      "type=SYSCALL no header here",
      "type=SYSCALL msg=audit(100.001:7): syscall=257\r",  // CRLF: a record, left out
      "type=SYSCALL msg=audit(100.002:8): name=\"/proc/modules\"",  // last line without a newline
  };
  std::string text = join(in);
  text.pop_back();
  FeederRun r = run_feeder(p, text);
  const std::vector<Forwarded> want = {{in[0], 1}, {in[1], 2}, {in[2], 3}, {in[3], 4}, {in[5], 6}};
  EXPECT_EQ(r.out, want);
  EXPECT_EQ(r.lines_skipped, 1u);
}

// A log of `events` events (records interleaved with the neighbouring event's now and then, non-record lines
// in between), and what the feeder must forward: every line but the records of events without the string.
struct GeneratedLog {
  std::string text;
  std::vector<Forwarded> kept;
  uint64_t lines = 0, events_left_out = 0;
};
GeneratedLog generate_log(size_t events, uint32_t seed, const std::vector<std::string>& strings = {"/proc/modules"}) {
  std::mt19937 rng(seed);
  GeneratedLog g;
  auto emit = [&](const std::string& line, bool keep) {
    g.text += line + "\n";
    ++g.lines;
    if (keep) g.kept.push_back({line, g.lines});
  };
  std::vector<std::pair<std::string, bool>> delayed;  // records of the previous event written late
  for (size_t e = 0; e < events; ++e) {
    const std::string hdr = "msg=audit(1700000000." + std::to_string(100 + e % 900) + ":" + std::to_string(5000 + e) + "):";
    const bool hit = rng() % 8 == 0;
    const size_t records = 1 + rng() % 5, hit_at = rng() % records;
    std::vector<std::pair<std::string, bool>> now;
    for (size_t i = 0; i < records; ++i) {
      std::string line = (rng() % 16 == 0 ? "node=h" + std::to_string(rng() % 3) + " " : std::string()) + "type=PATH " +
                         hdr + " item=" + std::to_string(i) + " name=\"" +
                         (hit && i == hit_at ? strings[rng() % strings.size()] : "/usr/lib/x" + std::to_string(rng() % 100)) +
                         "\" " + std::string(rng() % 300, 'x');
      now.emplace_back(std::move(line), hit);
    }
    if (!hit) ++g.events_left_out;
    // Now and then the last records of an event come after the next event's first record.
    size_t late = rng() % 6 == 0 ? rng() % records : 0;
    for (size_t i = 0; i + late < now.size(); ++i) {
      emit(now[i].first, now[i].second);
      if (i == 0)
        for (auto& d : delayed) emit(d.first, d.second);
      if (i == 0) delayed.clear();
    }
    delayed.assign(now.end() - static_cast<long>(late), now.end());
    switch (rng() % 40) {
      case 0: emit(R"({"@timestamp":"2023-11-14T22:13:20Z","file":{"path":"/proc/modules"}})", true); break;
      case 1: emit("", true); break;
      case 2: emit("garbage /proc/modul", true); break;
      default: break;
    }
  }
  for (auto& d : delayed) emit(d.first, d.second);
  return g;
}

TEST(PrefilterFeeder, TheResultDoesNotDependOnHowTheInputIsCutIntoBlocks) {
  RawPrefilter one = modules_prefilter(), many = many_strings_prefilter();
  ASSERT_EQ(many.needles().size(), kManyStrings.size());
  GeneratedLog g_one = generate_log(3000, 7), g_many = generate_log(3000, 8, kManyStrings);
  for (auto [p, g] : {std::pair{&one, &g_one}, std::pair{&many, &g_many}}) {
    for (size_t chunk : {size_t{0}, size_t{1}, size_t{2}, size_t{13}, size_t{4096}, size_t{65536 + 7}}) {
      SCOPED_TRACE("strings " + std::to_string(p->needles().size()) + ", chunk " + std::to_string(chunk));
      FeederRun r = run_feeder(*p, g->text, chunk);
      EXPECT_EQ(r.out, g->kept);
      EXPECT_EQ(r.lines, g->lines);
      EXPECT_EQ(r.lines_skipped, g->lines - g->kept.size());
      EXPECT_EQ(r.events_skipped, g->events_left_out);
      EXPECT_EQ(r.split_events, 0u);
    }
  }
}

TEST(PrefilterFeeder, InputsLargerThanTheBufferGoThroughWhole) {
  // About 4x the feeder's buffer, so lines wait across many compactions; events split across blocks.
  RawPrefilter p = many_strings_prefilter();
  GeneratedLog g = generate_log(40000, 11, kManyStrings);
  ASSERT_GT(g.text.size(), 16u << 20);
  for (size_t chunk : {size_t{0}, size_t{1000003}}) {
    FeederRun r = run_feeder(p, g.text, chunk);
    ASSERT_EQ(r.out.size(), g.kept.size());
    EXPECT_TRUE(r.out == g.kept);
    EXPECT_EQ(r.events_skipped, g.events_left_out);
  }
}

std::string filler(size_t bytes, uint64_t first_serial) {
  std::string s;
  for (uint64_t serial = first_serial; s.size() < bytes; ++serial)
    s += "type=SYSCALL msg=audit(2.000:" + std::to_string(serial) + "): syscall=1 " + std::string(200, 'y') + "\n";
  return s;
}

TEST(PrefilterFeeder, AStringFoundBeyondTheLookAheadIsCountedAsASplitEvent) {
  RawPrefilter p = modules_prefilter();
  std::string text = "type=SYSCALL msg=audit(1.000:1): syscall=257\n" + filler(PrefilterFeeder::kLookahead + 1000, 100) +
                     "type=PATH msg=audit(1.000:1): name=\"/proc/modules\"\n";
  for (size_t chunk : {size_t{0}, size_t{4093}}) {
    FeederRun r = run_feeder(p, text, chunk);
    EXPECT_EQ(r.split_events, 1u);
    ASSERT_EQ(r.out.size(), 1u);  // the late record itself still goes through
    EXPECT_EQ(r.out[0].line_no, r.lines);
  }
  // Just inside the look-ahead, the first record is kept too.
  std::string near = "type=SYSCALL msg=audit(1.000:1): syscall=257\n" + filler(PrefilterFeeder::kLookahead - 1000, 100) +
                     "type=PATH msg=audit(1.000:1): name=\"/proc/modules\"\n";
  FeederRun r = run_feeder(p, near, 4093);
  EXPECT_EQ(r.split_events, 0u);
  ASSERT_EQ(r.out.size(), 2u);
  EXPECT_EQ(r.out[0].line_no, 1u);
}

TEST(PrefilterFeeder, RecordsOfAKeptEventFarAfterItsStringAreKept) {
  // The lines of 5000 other events (about 1.1 MiB, more than the look-ahead) come between.
  RawPrefilter p = modules_prefilter();
  std::string text = "type=PATH msg=audit(1.000:1): name=\"/proc/modules\"\n" + filler(PrefilterFeeder::kLookahead + 100000, 100) +
                     "type=EOE msg=audit(1.000:1): \n";
  FeederRun r = run_feeder(p, text, 65536);
  ASSERT_EQ(r.out.size(), 2u);
  EXPECT_EQ(r.out[1].text, "type=EOE msg=audit(1.000:1): ");
  EXPECT_EQ(r.out[1].line_no, r.lines);
  EXPECT_EQ(r.split_events, 0u);
}

TEST(PrefilterFeeder, LinesLongerThanTheCapAreCutAndOnlyTheirStartCounts) {
  RawPrefilter p = modules_prefilter();
  const size_t cap = PrefilterFeeder::kMaxLine;
  const std::string big_json = "{\"x\":\"" + std::string(cap + 500, 'a') + "\"}";
  // A record whose string is only in the cut-off part: left out; one with it at the start: kept.
  const std::string tail_hit = "type=PATH msg=audit(1.000:1): x=" + std::string(cap, 'b') + " name=\"/proc/modules\"";
  const std::string head_hit = "type=PATH msg=audit(1.000:2): name=\"/proc/modules\" x=" + std::string(cap + 10, 'c');
  const std::string last = "type=EOE msg=audit(1.000:2): ";
  const std::string text = big_json + "\n" + tail_hit + "\n" + head_hit + "\n" + last + "\n";
  for (size_t chunk : {size_t{0}, size_t{100000}, size_t{cap}, size_t{cap + 1}}) {
    SCOPED_TRACE("chunk " + std::to_string(chunk));
    FeederRun r = run_feeder(p, text, chunk);
    EXPECT_EQ(r.truncated, (std::vector<uint64_t>{1, 2, 3}));
    ASSERT_EQ(r.out.size(), 3u);
    EXPECT_EQ(r.out[0], (Forwarded{big_json.substr(0, cap), 1}));
    EXPECT_EQ(r.out[1], (Forwarded{head_hit.substr(0, cap), 3}));
    EXPECT_EQ(r.out[2], (Forwarded{last, 4}));
    EXPECT_EQ(r.lines, 4u);
    EXPECT_EQ(r.lines_skipped, 1u);
  }
  // A line of exactly the cap is whole.
  FeederRun exact = run_feeder(p, std::string(cap, 'd') + "\nx\n", 4096);
  EXPECT_TRUE(exact.truncated.empty());
  ASSERT_EQ(exact.out.size(), 2u);
  EXPECT_EQ(exact.out[0].text.size(), cap);
}

TEST(PrefilterFeeder, ArbitraryBytesKeepOrderLineNumbersAndEveryLineThatIsNoRecord) {
  // Pieces of audit headers, the strings, newlines, NULs and one line over the cap, in random order.
  std::mt19937 rng(3);
  const std::vector<std::string> pieces = {"type=", "node=n1 ", "PATH ", "msg=audit(", "1700000000", ".", "123", ":",
                                           "42", "77", "):", " name=\"/proc/modules\"", "/proc/mod", "ules", "\n",
                                           "\n", "\n", std::string(1, '\0'), "\r", "{\"a\":1}", "xyz", "zz", "q socat"};
  std::string text;
  while (text.size() < (2u << 20)) {
    if (text.size() > (1u << 20) && text.size() < (1u << 20) + 100) text += std::string(PrefilterFeeder::kMaxLine + 5, 'q');
    if (rng() % 4 == 0)  // a whole header of one of the few latest events, so records interleave
      text += "\ntype=PATH msg=audit(1.001:" + std::to_string(text.size() / 500 + rng() % 3) + "): ";
    else
      text += pieces[rng() % pieces.size()];
  }
  // The lines as io::LineSource gives them.
  std::vector<std::string> lines;
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    size_t end = nl == std::string::npos ? text.size() : nl;
    lines.push_back(text.substr(at, std::min(end - at, PrefilterFeeder::kMaxLine)));
    at = end + 1;
  }
  for (const RawPrefilter& p : {modules_prefilter(), many_strings_prefilter()}) {
    SCOPED_TRACE(std::to_string(p.needles().size()) + " strings");
    FeederRun whole = run_feeder(p, text);
    EXPECT_EQ(whole.lines, lines.size());
    EXPECT_EQ(whole.out.size() + whole.lines_skipped, lines.size());
    EXPECT_EQ(whole.truncated.size(), 1u);
    EXPECT_GT(whole.lines_skipped, 1000u);
    EXPECT_GT(whole.out.size(), 1000u);
    uint64_t previous = 0;
    size_t next_out = 0;
    for (uint64_t no = 1; no <= lines.size(); ++no) {
      const std::string& line = lines[no - 1];
      const bool forwarded = next_out < whole.out.size() && whole.out[next_out].line_no == no;
      if (forwarded) {
        EXPECT_EQ(whole.out[next_out].text, line) << "line " << no;
        EXPECT_GT(no, previous);
        previous = no;
        ++next_out;
      }
      if (line.compare(0, 5, "type=") != 0 && line.compare(0, 5, "node=") != 0) {
        EXPECT_TRUE(forwarded) << "line " << no;
      }
    }
    EXPECT_EQ(next_out, whole.out.size());
    for (size_t chunk : {size_t{7}, size_t{4093}, size_t{(1u << 20) + 3}}) {
      FeederRun r = run_feeder(p, text, chunk);
      EXPECT_TRUE(r.out == whole.out) << "chunk " << chunk;
      EXPECT_EQ(r.truncated, whole.truncated);
    }
  }
}

TEST(PrefilterFeeder, EachInputHasItsOwnLineNumbers) {
  RawPrefilter p = modules_prefilter();
  std::vector<Forwarded> out;
  PrefilterFeeder feeder(p, [&](std::string_view line, std::string_view, uint64_t no) { out.push_back({std::string(line), no}); });
  const std::string hit = "type=PATH msg=audit(1.000:1): name=\"/proc/modules\"";
  feeder.start("a.log");
  feeder.feed("x\n" + hit);
  feeder.finish();
  feeder.start("b.log");
  feeder.feed("y\n");
  feeder.finish();
  EXPECT_EQ(out, (std::vector<Forwarded>{{"x", 1}, {hit, 2}, {"y", 1}}));
  EXPECT_EQ(feeder.lines(), 3u);
}

}  // namespace
}  // namespace audetect::engine
