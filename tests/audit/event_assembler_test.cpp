// Unit tests for EventAssembler: go-libaudit Reassembler semantics (audit-to-ecs.md §5, §16.2).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "audit/audit.h"

namespace audetect::audit {
namespace {

struct Seen {
  uint32_t serial;
  size_t records;
  bool complete;
  std::string node;
  std::vector<std::string> types;
  std::vector<std::string> first_fields;  // "name=value" of the first record
};

class Harness {
 public:
  explicit Harness(AssemblerOptions options = {})
      : assembler_([this](const AuditEvent& ev) { on_event(ev); }, options) {}

  void line(const std::string& text) {
    AuditRecord rec;
    std::string reason;
    ASSERT_TRUE(parser_.parse_line(text, rec, &reason)) << reason << ": " << text;
    assembler_.add(rec);
  }
  // A record of `type` with `serial` at time `ms` (record time).
  void rec(const char* type, uint32_t serial, int64_t ms = 1000, const char* node = nullptr) {
    std::string text = node ? std::string("node=") + node + " " : "";
    text += std::string("type=") + type + " msg=audit(" + std::to_string(ms / 1000) + "." +
            std::to_string(1000 + ms % 1000).substr(1) + ":" + std::to_string(serial) + "): pid=" +
            std::to_string(serial);
    if (std::string(type) == "SYSCALL") text += " arch=c000003e syscall=59 exe=\"/bin/x\"";
    if (std::string(type) == "PROCTITLE") text += " proctitle=\"x\"";
    line(text);
  }
  EventAssembler& assembler() { return assembler_; }
  std::vector<uint32_t> serials() const {
    std::vector<uint32_t> out;
    for (const auto& s : seen) out.push_back(s.serial);
    return out;
  }
  std::vector<Seen> seen;

 private:
  void on_event(const AuditEvent& ev) {
    Seen s{ev.serial, ev.records.size(), ev.complete, std::string(ev.node), {}, {}};
    for (const AuditRecord& r : ev.records) s.types.emplace_back(record_type_name(r.type));
    if (!ev.records.empty()) {
      for (const AuditField& f : ev.records[0].fields) {
        s.first_fields.push_back(std::string(f.name) + "=" + std::string(f.value));
      }
    }
    seen.push_back(std::move(s));
  }
  RecordParser parser_;
  EventAssembler assembler_;
};

TEST(EventAssembler, EoeCompletesAndIsNotStored) {
  Harness h;
  h.rec("SYSCALL", 10);
  h.rec("CWD", 10);
  h.rec("PATH", 10);
  EXPECT_TRUE(h.seen.empty());
  h.rec("EOE", 10);
  ASSERT_EQ(h.seen.size(), 1u);
  EXPECT_EQ(h.seen[0].serial, 10u);
  EXPECT_EQ(h.seen[0].types, (std::vector<std::string>{"SYSCALL", "CWD", "PATH"}));
  EXPECT_TRUE(h.seen[0].complete);
  EXPECT_EQ(h.assembler().stats().events, 1u);
  EXPECT_EQ(h.assembler().stats().records, 4u);
  EXPECT_EQ(h.assembler().stats().incomplete, 0u);
}

TEST(EventAssembler, ProctitleAndStandaloneTypesComplete) {
  Harness h;
  h.rec("SYSCALL", 1);
  h.rec("PROCTITLE", 1);
  h.rec("USER_LOGIN", 2);     // 1112: user-space, alone
  h.rec("DAEMON_START", 3);   // 1200: daemon
  h.rec("ANOM_ABEND", 4);     // 1701: not standalone (between 1300 and 2099)
  h.rec("ANOM_LOGIN_FAILURES", 5);  // 2100: standalone, but 4 blocks it (in-order release)
  EXPECT_EQ(h.serials(), (std::vector<uint32_t>{1, 2, 3}));
  h.assembler().flush();
  EXPECT_EQ(h.serials(), (std::vector<uint32_t>{1, 2, 3, 4, 5}));
  EXPECT_FALSE(h.seen[3].complete);
  EXPECT_TRUE(h.seen[4].complete);
  EXPECT_EQ(h.assembler().stats().incomplete, 1u);
}

TEST(EventAssembler, EoeWithoutGroupIsIgnored) {
  Harness h;
  h.rec("EOE", 7);
  h.assembler().flush();
  EXPECT_TRUE(h.seen.empty());
  EXPECT_EQ(h.assembler().stats().records, 1u);
}

TEST(EventAssembler, InOrderReleaseAndInterleaving) {
  Harness h;
  h.rec("SYSCALL", 21);
  h.rec("SYSCALL", 20);
  h.rec("CWD", 21);
  h.rec("EOE", 21);  // 21 is complete but 20 is still open: nothing leaves
  EXPECT_TRUE(h.seen.empty());
  h.rec("CWD", 20);
  h.rec("EOE", 20);
  EXPECT_EQ(h.serials(), (std::vector<uint32_t>{20, 21}));
  EXPECT_EQ(h.seen[1].records, 2u);
}

TEST(EventAssembler, MaxInFlightReleasesTheOldest) {
  Harness h(AssemblerOptions{.max_in_flight = 3, .timeout_ms = 2000});
  for (uint32_t s = 1; s <= 3; ++s) h.rec("SYSCALL", s);
  EXPECT_TRUE(h.seen.empty());
  h.rec("SYSCALL", 4);
  ASSERT_EQ(h.serials(), (std::vector<uint32_t>{1}));
  EXPECT_FALSE(h.seen[0].complete);
}

TEST(EventAssembler, TimeoutInRecordTime) {
  Harness h;  // 2 s
  h.rec("SYSCALL", 1, 10'000);
  h.assembler().expire(11'000);
  EXPECT_TRUE(h.seen.empty());
  h.rec("SYSCALL", 2, 11'500);
  h.assembler().expire(12'000);  // not after the deadline yet (strictly later is needed)
  EXPECT_TRUE(h.seen.empty());
  h.assembler().expire(12'001);
  EXPECT_EQ(h.serials(), (std::vector<uint32_t>{1}));
  h.assembler().expire(13'501);
  EXPECT_EQ(h.serials(), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(h.assembler().stats().incomplete, 2u);
}

TEST(EventAssembler, IncompleteHeadBlocksUntilTimeout) {
  Harness h;
  h.rec("SYSCALL", 1, 10'000);
  h.rec("USER_CMD", 2, 10'100);  // complete, but behind 1
  EXPECT_TRUE(h.seen.empty());
  h.assembler().expire(12'001);
  EXPECT_EQ(h.serials(), (std::vector<uint32_t>{1, 2}));
}

TEST(EventAssembler, LostCountsSerialGaps) {
  Harness h;
  h.rec("USER_CMD", 100);
  h.rec("USER_CMD", 101);
  h.rec("USER_CMD", 105);
  EXPECT_EQ(h.assembler().stats().lost, 3u);
  h.rec("USER_CMD", 50);  // a late/older serial is not counted as billions of lost events
  EXPECT_EQ(h.assembler().stats().lost, 3u);
}

TEST(EventAssembler, SerialRollover) {
  Harness h;
  h.rec("SYSCALL", 4294967295u);
  h.rec("SYSCALL", 0);
  h.rec("SYSCALL", 4294967294u);
  h.rec("SYSCALL", 1);
  h.assembler().flush();
  EXPECT_EQ(h.serials(), (std::vector<uint32_t>{4294967294u, 4294967295u, 0, 1}));
  EXPECT_EQ(h.assembler().stats().lost, 0u);
}

TEST(EventAssembler, LateRecordStartsANewGroup) {
  Harness h;
  h.rec("SYSCALL", 5);
  h.rec("EOE", 5);
  h.rec("PATH", 5);  // after the event left
  h.assembler().flush();
  ASSERT_EQ(h.serials(), (std::vector<uint32_t>{5, 5}));
  EXPECT_EQ(h.seen[1].types, std::vector<std::string>{"PATH"});
  EXPECT_FALSE(h.seen[1].complete);
}

TEST(EventAssembler, NodesAreAssembledSeparately) {
  Harness h;
  h.rec("SYSCALL", 9, 1000, "a");
  h.rec("SYSCALL", 9, 1000, "b");
  h.rec("CWD", 9, 1000, "a");
  h.rec("EOE", 9, 1000, "a");
  ASSERT_EQ(h.seen.size(), 1u);
  EXPECT_EQ(h.seen[0].node, "a");
  EXPECT_EQ(h.seen[0].records, 2u);
  h.assembler().flush();
  ASSERT_EQ(h.seen.size(), 2u);
  EXPECT_EQ(h.seen[1].node, "b");
  EXPECT_EQ(h.seen[1].records, 1u);
}

TEST(EventAssembler, RecordsAreCopied) {
  Harness h;
  h.line("type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=59 success=yes exit=0 "
         "exe=2F62696E2F6C73 key=\"k1\"");
  // The parser's buffers are overwritten by the following lines.
  h.line("type=CWD msg=audit(1.000:1): cwd=\"/somewhere/else/entirely\"");
  h.line("type=SOCKADDR msg=audit(1.000:2): saddr=02000050A9FEA9FE0000000000000000");
  h.line("type=EOE msg=audit(1.000:1): ");
  ASSERT_EQ(h.seen.size(), 1u);
  const auto& f = h.seen[0].first_fields;
  EXPECT_NE(std::find(f.begin(), f.end(), "exe=/bin/ls"), f.end());
  EXPECT_NE(std::find(f.begin(), f.end(), "arch=x86_64"), f.end());
  EXPECT_NE(std::find(f.begin(), f.end(), "result=success"), f.end());
}

TEST(EventAssembler, EventSizeCaps) {
  Harness h(AssemblerOptions{.max_in_flight = 50, .timeout_ms = 2000, .max_records_per_event = 3});
  for (int i = 0; i < 10; ++i) h.rec("PATH", 1);
  h.assembler().flush();
  ASSERT_EQ(h.seen.size(), 1u);
  EXPECT_EQ(h.seen[0].records, 3u);
  EXPECT_EQ(h.assembler().stats().dropped_records, 7u);
}

TEST(EventAssembler, ManyNodesStayBounded) {
  Harness h;
  for (int i = 0; i < 2000; ++i) h.rec("SYSCALL", 1, 1000, ("n" + std::to_string(i)).c_str());
  // Older nodes were flushed to keep the node table bounded; nothing is lost.
  h.assembler().flush();
  EXPECT_EQ(h.seen.size(), 2000u);
}

TEST(EventAssembler, FileCutMidEventIsFlushedIncomplete) {
  Harness h;
  h.rec("SYSCALL", 3);
  h.rec("CWD", 3);
  h.assembler().flush();
  ASSERT_EQ(h.seen.size(), 1u);
  EXPECT_FALSE(h.seen[0].complete);
  EXPECT_EQ(h.seen[0].records, 2u);
}

}  // namespace
}  // namespace audetect::audit

namespace audetect::audit {
namespace {

// A sink may keep an event's strings by swapping its storage arena for an empty one; the assembler goes on
// with the empty arena, and the kept strings survive later events (ASan would flag a reuse).
TEST(EventAssembler, SinkCanTakeTheStorageOfAnEvent) {
  std::vector<Arena> taken;
  std::vector<std::vector<AuditRecord>> kept;
  EventAssembler assembler([&](const AuditEvent& ev) {
    ASSERT_NE(ev.storage, nullptr);
    Arena empty;
    std::swap(empty, *ev.storage);
    taken.push_back(std::move(empty));
    kept.emplace_back(ev.records.begin(), ev.records.end());
  });
  RecordParser parser;
  AuditRecord rec;
  std::string reason;
  for (uint32_t serial = 1; serial <= 200; ++serial) {
    for (const char* type : {"SYSCALL", "PROCTITLE"}) {
      std::string text = std::string("type=") + type + " msg=audit(1.000:" + std::to_string(serial) + "): pid=" +
                         std::to_string(serial) + " arch=c000003e syscall=59 exe=\"/bin/x" + std::to_string(serial) +
                         "\" proctitle=" + "7800" + std::to_string(serial % 10) + "0";
      ASSERT_TRUE(parser.parse_line(text, rec, &reason)) << reason;
      assembler.add(rec);
    }
  }
  assembler.flush();
  ASSERT_EQ(kept.size(), 200u);
  for (uint32_t serial = 1; serial <= 200; ++serial) {
    ASSERT_EQ(kept[serial - 1].size(), 2u);
    EXPECT_EQ(kept[serial - 1][0].get("exe"), "/bin/x" + std::to_string(serial));
    EXPECT_EQ(kept[serial - 1][0].get("pid"), std::to_string(serial));
  }
}

}  // namespace
}  // namespace audetect::audit
