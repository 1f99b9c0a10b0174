// Samples (docs/eql.md §10), as Elasticsearch computes them.
//
// For every join-key value (taken in ascending key order, as ES's composite aggregation returns
// them) that every filter has events for, the first few events of each filter with that key are
// collected (ES fetches stages x max_samples_per_key documents per filter), then up to
// max_samples_per_key samples are built, each picking distinct events, one per filter, by
// backtracking in filter order.
#pragma once

#include <map>
#include <vector>

#include "eql/runner.h"
#include "eql/sequence.h"

namespace audetect::eql {

class SampleMatcher {
 public:
  SampleMatcher(const CompiledQuery& query, const RunnerOptions& options, RunnerStats& stats);

  void process(const Candidate& candidate);  // any order
  std::vector<Hit> finish();                 // ordered by join key

  size_t open_keys() const { return keys_.size(); }

 private:
  struct KeyEvents {
    std::vector<std::vector<HitEvent>> per_filter;  // first events per filter, arrival order
  };
  const CompiledQuery& query_;
  const RunnerOptions& options_;
  RunnerStats& stats_;
  size_t per_filter_cap_;
  std::map<JoinKey, KeyEvents> keys_;  // ordered: ES returns samples by ascending key
};

}  // namespace audetect::eql
