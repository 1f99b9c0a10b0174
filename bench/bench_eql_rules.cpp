// Every Elastic EQL rule of the corpus (linux, cross-platform, building_block) compiled with the
// built-in schema and run over a realistic ECS event stream: the real audit captures of the corpus
// normalized to ECS (auditd_manager shape), repeated. Reports events/s per rule and, at the end, the
// 10 slowest rules. Event queries are timed through CompiledQuery::matches(); sequences and samples
// through the QueryRunner (push + finish).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "eql/eql.h"
#include "eql/runner.h"
#include "eql/schema.h"
#include "io/pipeline.h"
#include "rules/rules.h"

namespace fs = std::filesystem;
using namespace audetect;

namespace {

const fs::path kCorpus = AUDETECT_CORPUS_DIR;

std::vector<Event>& stream() {
  static std::vector<Event> events = [] {
    std::vector<Event> out;
    io::PipelineOptions options;
    options.warning_stream = nullptr;
    options.normalizer.add_host_metadata = true;
    io::EventPipeline pipeline(options, [&](const Event& e) { out.push_back(e.clone()); });
    for (const char* f : {"everyday-raw.log", "everyday-enriched.log", "procsim-mini-enriched.log"}) {
      fs::path p = kCorpus / "audit-real" / f;
      if (fs::exists(p)) (void)pipeline.read_file(p.string());
    }
    pipeline.flush();
    std::fprintf(stderr, "bench_eql_rules: %zu ECS events from the corpus audit captures\n", out.size());
    return out;
  }();
  return events;
}

struct RuleQuery {
  std::string name;
  std::shared_ptr<const eql::CompiledQuery> query;
};

std::vector<RuleQuery> load_rules() {
  std::vector<RuleQuery> rules;
  size_t failed = 0;
  std::vector<fs::path> dirs;
  for (const char* dir : {"linux", "cross-platform", "building_block"})
    if (fs::exists(kCorpus / "rules" / "elastic" / dir)) dirs.push_back(kCorpus / "rules" / "elastic" / dir);
  rules::RuleSet set = rules::load_rules(dirs);
  for (const rules::Rule& rule : set.rules) {
    if (rule.language != rules::QueryLanguage::kEql) continue;
    eql::CompileResult r = eql::compile(rule.query, eql::Schema::builtin());
    if (!r.ok()) {
      ++failed;
      continue;
    }
    rules.push_back({rule.name, r.query});
  }
  std::fprintf(stderr, "bench_eql_rules: %zu EQL rules compiled, %zu failed\n", rules.size(), failed);
  return rules;
}

void run_rule(benchmark::State& state, std::shared_ptr<const eql::CompiledQuery> query) {
  const auto& events = stream();
  if (events.empty()) {
    state.SkipWithError("no events (corpus missing)");
    return;
  }
  size_t matches = 0;
  if (query->kind() == eql::QueryKind::kEvent) {
    for (auto _ : state) {
      for (const Event& e : events) matches += query->matches(e);
      benchmark::DoNotOptimize(matches);
    }
  } else {
    eql::RunnerOptions options;
    for (auto _ : state) {
      eql::QueryRunner runner(query, options);
      for (const Event& e : events) runner.push(e);
      auto hits = runner.finish();
      matches += hits.size();
      benchmark::DoNotOptimize(hits);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(events.size()));
  state.counters["hits_per_pass"] =
      static_cast<double>(matches) / static_cast<double>(std::max<benchmark::IterationCount>(1, state.iterations()));
}

// Console output as usual, plus a record of each rule's rate for the summary.
class RecordingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      auto it = r.counters.find("items_per_second");
      if (it != r.counters.end()) rates_.emplace_back(static_cast<double>(it->second), r.benchmark_name());
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void print_summary() {
    if (rates_.empty()) return;
    std::sort(rates_.begin(), rates_.end());
    std::printf("\n10 slowest rules (events/s):\n");
    for (size_t i = 0; i < rates_.size() && i < 10; ++i)
      std::printf("  %12.0f  %s\n", rates_[i].first, rates_[i].second.c_str());
    double total = 0;
    for (const auto& r : rates_) total += r.first;
    std::printf("median %.0f events/s, mean %.0f events/s over %zu rules\n", rates_[rates_.size() / 2].first,
                total / static_cast<double>(rates_.size()), rates_.size());
  }

 private:
  std::vector<std::pair<double, std::string>> rates_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  for (auto& rule : load_rules()) {
    benchmark::RegisterBenchmark(rule.name.c_str(), run_rule, rule.query)->MinTime(0.05)->Unit(benchmark::kMicrosecond);
  }
  RecordingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_summary();
  benchmark::Shutdown();
  return 0;
}
