// Sequence matching with Elasticsearch's state machine (docs/eql.md §9).
//
// Per join-key value there is one slot per positive item position (runs=N expanded into N
// positions). An event matching position 1 starts a pending sequence there (replacing the one in
// the slot); an event matching position k takes the pending sequence of the previous positive
// position, extends it and moves it to slot k. A sequence reaching the last position completes.
// maxspan is checked when a sequence is extended; `until` drops every pending sequence of its key;
// missing-event items `![...]` are checked on completion against the missing-stage events of the
// same key (trailing ones once the input has moved past first + maxspan, or at the end).
#pragma once

#include <deque>
#include <unordered_map>
#include <vector>

#include "eql/runner.h"

namespace audetect::eql {

using JoinKey = std::vector<KeyValue>;

struct JoinKeyHash {
  size_t operator()(const JoinKey& k) const {
    size_t h = k.size();
    for (const auto& v : k) h = h * 1000003u ^ v.hash();
    return h;
  }
};

// All join-key tuples an event yields for a stage: the cartesian product of multi-valued keys.
// Empty when a non-optional key is missing (the event cannot take part). `truncated` is set when
// the product exceeded `max_combinations`.
std::vector<JoinKey> join_keys_of(const Event& event, const Stage& stage, size_t max_combinations,
                                  bool* truncated);

class SequenceMatcher {
 public:
  SequenceMatcher(const CompiledQuery& query, const RunnerOptions& options, RunnerStats& stats);

  // Candidates must arrive in order (OrderKey ascending).
  void process(const Candidate& candidate);
  // Completed sequences, ordered by their last event.
  std::vector<Hit> finish();

  size_t open_keys() const { return keys_.size(); }
  // Completed sequences that are final already, in result order; they leave the matcher. With
  // missing-event stages a sequence is final once the input has passed its first event + maxspan
  // (`now_nanos`: timestamp of the latest processed input).
  std::vector<Hit> take_final(int64_t now_nanos);

 private:
  struct Pending {
    std::vector<HitEvent> events;  // one per position; missing positions are placeholders
    int64_t start_nanos = 0;
  };
  struct KeyState {
    std::vector<std::optional<Pending>> slots;  // per position
  };
  struct Completed {
    Pending seq;
    JoinKey key;
  };

  void advance(size_t position, const JoinKey& key, const Candidate& c);
  bool missing_ok(const Completed& done) const;
  void expire(int64_t now_nanos);

  const CompiledQuery& query_;
  const RunnerOptions& options_;
  RunnerStats& stats_;
  std::vector<size_t> stage_of_;  // position -> stage index
  std::vector<bool> missing_;     // position -> missing-event item
  int first_positive_ = -1, last_positive_ = -1;
  bool has_missing_ = false;
  std::optional<int64_t> maxspan_;
  std::unordered_map<JoinKey, KeyState, JoinKeyHash> keys_;
  // Missing-stage events per key, per missing position: order keys in arrival (= sorted) order.
  std::unordered_map<JoinKey, std::vector<std::vector<OrderKey>>, JoinKeyHash> missing_seen_;
  std::vector<Completed> completed_;  // missing-event check pending
  std::vector<Completed> checked_;    // passed every check
  int64_t last_expiry_nanos_ = 0;
  uint64_t processed_ = 0;
};

}  // namespace audetect::eql
