// The parallel mode must be indistinguishable from the consumer mode: same bytes in the same order,
// same warnings in the same order, same counters, for any number of workers.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "event/json.h"
#include "io/pipeline.h"

namespace audetect::io {
namespace {

PipelineOptions fixed_options(FILE* warnings) {
  PipelineOptions o;
  o.warning_stream = warnings;
  o.warnings_printed = 1000;
  o.normalizer.resolve_ids = false;
  o.normalizer.add_host_metadata = false;
  o.normalizer.clock_ms = [] { return int64_t{1700000001000}; };
  return o;
}

struct RunResult {
  std::string output;
  std::string warnings;
  PipelineStats stats;
};

// mode < 0: consumer mode; otherwise the parallel mode with that many workers.
RunResult run(const std::vector<std::string>& lines, int mode) {
  RunResult r;
  char* buf = nullptr;
  size_t len = 0;
  FILE* mem = open_memstream(&buf, &len);
  {
    PipelineOptions o = fixed_options(mem);
    auto feed = [&](EventPipeline& p) {
      uint64_t n = 0;
      for (const std::string& l : lines) {
        ++n;
        p.feed_line(l, n % 700 < 350 ? "a.log" : "b.log", n);
      }
      p.flush();
      r.stats = p.stats();
    };
    if (mode < 0) {
      EventPipeline p(o, [&](const Event& e) { write_ndjson(r.output, e); });
      feed(p);
    } else {
      EventPipeline p(o, static_cast<unsigned>(mode),
                      [](const Event& e, std::string& out) { write_ndjson(out, e); },
                      [&](std::string_view bytes) { r.output.append(bytes); });
      feed(p);
    }
  }
  std::fclose(mem);
  r.warnings.assign(buf, len);
  free(buf);
  return r;
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// The bundled real log, repeated with ECS lines, broken JSON, garbage and a cut record mixed in at
// varying places, so batches end in the middle of everything.
std::vector<std::string> mixed_input() {
  std::vector<std::string> sample = read_lines(AUDETECT_SOURCE_DIR "/data/sample-audit.log");
  EXPECT_GT(sample.size(), 100u);
  std::vector<std::string> lines;
  std::mt19937 rng(7);
  for (int copy = 0; copy < 6; ++copy) {
    for (const std::string& l : sample) {
      lines.push_back(l);
      switch (rng() % 97) {
        case 0: lines.push_back("{\"event\":{\"category\":\"file\"},\"n\":" + std::to_string(lines.size()) + "}"); break;
        case 1: lines.push_back("{\"broken\":"); break;
        case 2: lines.push_back("garbage that is no record"); break;
        case 3: lines.push_back(l.substr(0, l.size() / 2)); break;
        case 4: lines.push_back("{\"bad\":\"\xff\xfe\"}"); break;
        default: break;
      }
    }
  }
  return lines;
}

TEST(EventPipelineParallel, SameBytesWarningsAndCountsAsConsumerMode) {
  std::vector<std::string> lines = mixed_input();
  RunResult expected = run(lines, -1);
  ASSERT_GT(expected.stats.audit_events, 500u);
  ASSERT_GT(expected.stats.json_events, 10u);
  ASSERT_GT(expected.stats.warnings, 10u);
  for (int workers : {0, 1, 2, 3, 8}) {
    SCOPED_TRACE("workers " + std::to_string(workers));
    RunResult got = run(lines, workers);
    EXPECT_TRUE(got.output == expected.output) << "output differs";
    EXPECT_EQ(got.warnings, expected.warnings);
    EXPECT_EQ(got.stats.audit_events, expected.stats.audit_events);
    EXPECT_EQ(got.stats.json_events, expected.stats.json_events);
    EXPECT_EQ(got.stats.records, expected.stats.records);
    EXPECT_EQ(got.stats.warnings, expected.stats.warnings);
    EXPECT_EQ(got.stats.lost, expected.stats.lost);
    EXPECT_EQ(got.stats.incomplete, expected.stats.incomplete);
  }
}

// Slow workers: the feeding thread takes batches itself, and the output is still the same.
TEST(EventPipelineParallel, FeedingThreadHelpsSlowWorkersWithoutChangingTheOutput) {
  std::vector<std::string> lines = mixed_input();
  RunResult expected = run(lines, -1);
  std::mutex mu;
  std::set<std::thread::id> renderers;
  std::string output;
  const std::thread::id feeder = std::this_thread::get_id();
  {
    EventPipeline p(fixed_options(nullptr), 1,
                    [&](const Event& e, std::string& out) {
                      {
                        std::lock_guard lock(mu);
                        renderers.insert(std::this_thread::get_id());
                      }
                      if (std::this_thread::get_id() != feeder)  // a slow worker
                        std::this_thread::sleep_for(std::chrono::microseconds(200));
                      write_ndjson(out, e);
                    },
                    [&](std::string_view bytes) { output.append(bytes); });
    uint64_t n = 0;
    for (const std::string& l : lines) {
      ++n;
      p.feed_line(l, n % 700 < 350 ? "a.log" : "b.log", n);
    }
    p.flush();
  }
  EXPECT_TRUE(output == expected.output) << "output differs";
  EXPECT_TRUE(renderers.count(feeder)) << "the feeding thread never helped";
  EXPECT_EQ(renderers.size(), 2u);
}

TEST(EventPipelineParallel, EmptyInputWritesNothing) {
  RunResult got = run({}, 2);
  EXPECT_TRUE(got.output.empty());
  EXPECT_EQ(got.stats.audit_events, 0u);
}

TEST(EventPipelineParallel, WriterFailureReachesTheFeedingThread) {
  std::vector<std::string> lines = mixed_input();
  PipelineOptions o = fixed_options(nullptr);
  EventPipeline p(o, 2, [](const Event& e, std::string& out) { write_ndjson(out, e); },
                  [](std::string_view) { throw std::runtime_error("disk full"); });
  EXPECT_THROW(
      {
        uint64_t n = 0;
        for (const std::string& l : lines) p.feed_line(l, "a.log", ++n);
        p.flush();
      },
      std::runtime_error);
  // The pipeline is destroyed here with batches possibly still queued: no hang, no leak (ASan).
}

TEST(EventPipelineParallel, RendererFailureReachesTheFeedingThread) {
  std::vector<std::string> lines = mixed_input();
  PipelineOptions o = fixed_options(nullptr);
  EventPipeline p(o, 2, [](const Event&, std::string&) { throw std::runtime_error("render"); },
                  [](std::string_view) {});
  EXPECT_THROW(
      {
        uint64_t n = 0;
        for (const std::string& l : lines) p.feed_line(l, "a.log", ++n);
        p.flush();
      },
      std::runtime_error);
}

}  // namespace
}  // namespace audetect::io
