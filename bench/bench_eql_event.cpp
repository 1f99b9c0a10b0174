// Single-event EQL evaluation on pre-built events: the seed rule over mostly non-matching ECS
// events (target >= 20 M events/s per core), plus a few operator shapes for comparison.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "eql/eql.h"
#include "eql/schema.h"
#include "event/event.h"
#include "event/json.h"

namespace {

using namespace audetect;

constexpr const char* kSeed = R"(file where host.os.type == "linux" and event.action == "opened-file" and file.path == "/proc/modules"
and not (process.name in ("auditbeat","kmod","modprobe","lsmod","insmod","modinfo","rmmod",
         "SchedulerRunner","grep") or process.parent.pid == 1 or process.title : "*grep*"))";

// Event shapes as the audit->ECS mapping produces them (auditbeat-like documents).
std::string ecs_event(int i) {
  static const char* kinds[] = {
      // execve of a process
      R"({"@timestamp":"2026-11-27T10:00:00.000Z","event":{"category":["process"],"type":["start"],"action":"executed","outcome":"success","module":"auditd","sequence":%d},"host":{"os":{"type":"linux","family":"debian"},"name":"h1"},"process":{"pid":%d,"name":"bash","executable":"/usr/bin/bash","title":"bash -c ls","args":["bash","-c","ls"],"parent":{"pid":1200},"working_directory":"/root"},"user":{"id":"0","name":"root"},"auditd":{"data":{"syscall":"execve","tty":"pts0"},"result":"success","sequence":%d}})",
      // open of another file
      R"({"@timestamp":"2026-11-27T10:00:00.000Z","event":{"category":["file"],"type":["info"],"action":"opened-file","outcome":"success","module":"auditd","sequence":%d},"host":{"os":{"type":"linux","family":"debian"},"name":"h1"},"file":{"path":"/etc/passwd","device":"00:00","inode":"1234"},"process":{"pid":%d,"name":"cat","executable":"/usr/bin/cat","title":"cat /etc/passwd","parent":{"pid":2150}},"user":{"id":"1000","name":"u"},"auditd":{"data":{"syscall":"openat"},"result":"success","sequence":%d}})",
      // network connection
      R"({"@timestamp":"2026-11-27T10:00:00.000Z","event":{"category":["network"],"type":["connection"],"action":"connected-to","outcome":"success","module":"auditd","sequence":%d},"host":{"os":{"type":"linux"},"name":"h1"},"destination":{"ip":"10.0.0.1","port":443},"process":{"pid":%d,"name":"curl","parent":{"pid":77}},"auditd":{"data":{"syscall":"connect"},"sequence":%d}})",
      // /proc/modules read by lsmod (excluded)
      R"({"@timestamp":"2026-11-27T10:00:00.000Z","event":{"category":["file"],"type":["info"],"action":"opened-file","outcome":"success","module":"auditd","sequence":%d},"host":{"os":{"type":"linux"},"name":"h1"},"file":{"path":"/proc/modules"},"process":{"pid":%d,"name":"lsmod","title":"lsmod","parent":{"pid":2150}},"auditd":{"sequence":%d}})",
  };
  // 3 of 4 shapes dominate; the excluded lsmod open is 1 in 16.
  int shape = (i % 16 == 0) ? 3 : i % 3;
  char buf[2048];
  std::snprintf(buf, sizeof buf, kinds[shape], i, 1000 + i, i);
  return buf;
}

std::vector<Event> make_events(size_t n) {
  JsonEventReader reader;
  EventBuilder builder;
  std::vector<Event> events;
  for (size_t i = 0; i < n; ++i) {
    JsonError err;
    std::string line = ecs_event(static_cast<int>(i));
    if (reader.parse(line, builder, &err) != JsonEventReader::Outcome::kEvent) std::abort();
    events.push_back(builder.finish().clone());
  }
  return events;
}

// A pipeline evaluates the event it has just built, so it is in cache: cycle over a small set.
constexpr size_t kEvents = 256;

void run_query(benchmark::State& state, const char* query) {
  auto compiled = eql::compile(query, eql::Schema::builtin());
  if (!compiled.ok()) {
    state.SkipWithError(compiled.diagnostics.render(query).c_str());
    return;
  }
  const eql::CompiledQuery& q = *compiled.query;
  static const std::vector<Event> events = make_events(kEvents);
  size_t hits = 0;
  size_t i = 0;
  for (auto _ : state) {
    hits += q.matches(events[i]) ? 1 : 0;
    i = (i + 1) % kEvents;
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(state.iterations());
  state.counters["hits_per_1k"] = benchmark::Counter(static_cast<double>(hits) * 1000.0 / static_cast<double>(state.iterations()));
}

void BM_SeedQueryNonMatching(benchmark::State& state) { run_query(state, kSeed); }
BENCHMARK(BM_SeedQueryNonMatching);

void BM_ColonWildcardList(benchmark::State& state) {
  run_query(state, R"(process where process.name : ("*sh", "python*", "perl", "*ruby*", "nc?", "ncat") and process.args : "-c")");
}
BENCHMARK(BM_ColonWildcardList);

void BM_ScriptLength(benchmark::State& state) {
  run_query(state, R"(process where length(process.title) > 8 and startsWith(process.executable, "/usr/"))");
}
BENCHMARK(BM_ScriptLength);

void BM_Regex(benchmark::State& state) {
  run_query(state, R"(any where process.title regex~ """.*(curl|wget) .*http.*""")");
}
BENCHMARK(BM_Regex);

}  // namespace

BENCHMARK_MAIN();
