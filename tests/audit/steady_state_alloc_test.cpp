// The hot path allocates nothing once warm: parse_line and EventAssembler::add reuse their
// buffers. Global operator new is counted to check it.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "audit/audit.h"

namespace {
std::atomic<uint64_t> g_allocations{0};
}

void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace audetect::audit {
namespace {

const std::vector<std::string> kEvent = {
    "type=SYSCALL msg=audit(1700000000.100:{S}): arch=c000003e syscall=257 success=yes exit=3 "
    "a0=ffffff9c a1=7ffd2 a2=0 a3=0 items=1 ppid=812 pid=2207 auid=1000 uid=1000 gid=1000 "
    "euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=3 comm=\"cat\" "
    "exe=\"/usr/bin/cat\" subj=unconfined key=\"audit_proc\"",
    "type=CWD msg=audit(1700000000.100:{S}): cwd=\"/proc\"",
    "type=PATH msg=audit(1700000000.100:{S}): item=0 name=\"modules\" inode=4026532 dev=00:16 "
    "mode=0100444 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0",
    "type=SOCKADDR msg=audit(1700000000.100:{S}): saddr=02000050A9FEA9FE0000000000000000",
    "type=PROCTITLE msg=audit(1700000000.100:{S}): proctitle=636174002F70726F632F6D6F64756C6573",
    "type=EOE msg=audit(1700000000.100:{S}): ",
};

std::string with_serial(const std::string& line, uint32_t serial) {
  std::string out = line;
  out.replace(out.find("{S}"), 3, std::to_string(serial));
  return out;
}

TEST(SteadyState, ParseAndAssembleAllocateNothingOnceWarm) {
  RecordParser parser;
  uint64_t events = 0;
  EventAssembler assembler([&](const AuditEvent& ev) { events += ev.records.size() > 0; });
  // Lines prepared up front: the loop below must not allocate for them either.
  std::vector<std::vector<std::string>> batches;
  for (uint32_t s = 1; s <= 400; ++s) {
    std::vector<std::string> lines;
    for (const auto& l : kEvent) lines.push_back(with_serial(l, s));
    batches.push_back(std::move(lines));
  }
  AuditRecord rec;
  std::string reason;
  reason.reserve(256);
  auto run = [&](size_t from, size_t to) {
    for (size_t b = from; b < to; ++b) {
      for (const auto& l : batches[b]) {
        ASSERT_TRUE(parser.parse_line(l, rec, &reason));
        assembler.add(rec);
      }
    }
  };
  uint64_t start = g_allocations.load();
  run(0, 100);  // warm-up: buffers, arenas and pooled groups reach their size
  uint64_t before = g_allocations.load();
  EXPECT_GT(before - start, 0u) << "the counter must see the warm-up allocations";
  run(100, 400);
  uint64_t after = g_allocations.load();
  EXPECT_EQ(after - before, 0u) << "allocations per event: " << double(after - before) / 300;
  EXPECT_EQ(events, 400u);
}

}  // namespace
}  // namespace audetect::audit
