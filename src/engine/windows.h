// Kibana's scheduled execution of one rule, as one mechanism for batch replay and live streams.
//
// A rule executes every `interval` at aligned instants t (multiples of the interval since the epoch, the
// first one at or after the first input time), each execution searching the window
// [from.resolve(t), to.resolve(t)] on the rule's timestamp field (detection-engine.md §2-§4). Instead of
// searching a store, every match is offered once, on arrival, to each not-yet-executed window that contains
// it; a window keeps only its first max_signals matches in EQL order (timestamp, then arrival), which is all
// an execution can ever return, so memory stays bounded by max_signals per pending window however long the
// input is. When the clock passes t the window executes: its kept matches become alerts unless their alert
// id was already emitted (the overlap with the previous window), and if it saw max_signals matches or more
// the "maximum alerts" warning is recorded. A match whose time is before every pending window is late beyond
// the look-back and counted as missed.
//
// The clock is whatever the caller says: event time in batch replay, the wall clock when live. In eager mode
// (live) a match that enters some window's kept set is alerted at once instead of at that window's execution;
// with in-order arrival this gives exactly the alerts of scheduled execution, only sooner.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "event/event.h"
#include "rules/rules.h"

namespace audetect::engine {

// One alert candidate: a matched event, or the events of a matched sequence.
struct Candidate {
  int64_t window_ts = 0;  // decides window membership (timestamp_override, falling back to @timestamp)
  int64_t order_ts = 0;   // EQL order inside a window (timestamp_field, @timestamp by default)
  uint64_t seq = 0;       // arrival order: the final tie-breaker
  std::string dedup_id;   // the alert id that decides "already alerted" (the shell's id for sequences)
  std::shared_ptr<const void> payload;  // what the alert builder needs (owned by the engine)
};
using CandidatePtr = std::shared_ptr<const Candidate>;

// Alert ids already written, shared by every rule (ids include the rule UUID). An id is kept until no
// pending window can find its source again, or for `retention` of clock time when restarts must not
// repeat alerts (the state file).
class AlertIdStore {
 public:
  explicit AlertIdStore(int64_t retention_ms = 0) : retention_ms_(retention_ms) {}
  bool contains(const std::string& id) const { return ids_.count(id) != 0; }
  // Returns false when the id was already there.
  bool insert(const std::string& id, int64_t now_ms, int64_t needed_until_ms);
  void expire(int64_t now_ms);
  size_t size() const { return ids_.size(); }
  int64_t retention_ms() const { return retention_ms_; }

  // State file: one "<id> <expiry_ms>" per line. Missing file = empty store.
  Status load(const std::string& path, int64_t now_ms);
  Status save(const std::string& path) const;

 private:
  std::unordered_map<std::string, int64_t> ids_;  // id -> clock time after which it can be forgotten
  int64_t retention_ms_;
  size_t size_at_last_sweep_ = 0;
};

struct WindowStats {
  uint64_t executions = 0;          // scheduled executions whose time has passed
  uint64_t matches = 0;             // matches offered (each source once); sequences: found per search
  uint64_t alerts = 0;              // alerts written
  uint64_t duplicates = 0;          // kept matches whose alert already existed (overlapping windows)
  uint64_t capped_executions = 0;   // executions that reached max_signals ("maximum alerts" warning)
  uint64_t capped_hits_not_alerted = 0;  // matches beyond max_signals in those executions
  uint64_t late_missed = 0;         // matches older than every pending window (late beyond look-back)
  uint64_t gap_executions = 0;      // executions whose window left a gap (from closer than interval)
  int64_t gap_ms = 0;               // total uncovered time
  uint64_t windows_truncated = 0;   // matches that fell in more than kMaxWindowsPerMatch windows
};

struct Schedule {
  int64_t interval_ms = 5 * 60 * 1000;
  rules::DateMath from;  // offset negative, e.g. now-9m
  rules::DateMath to;    // usually now
  uint32_t max_signals = 100;

  static Schedule of(const rules::Rule& rule);
  int64_t width_ms() const { return to.offset.count() - from.offset.count(); }
};

class RuleWindows {
 public:
  // Called once per alert: the candidate and the detection time (the execution instant, or "now" when
  // eager). The store has already recorded the id.
  using Emit = std::function<void(const Candidate&, int64_t detection_ms)>;

  static constexpr size_t kMaxWindowsPerMatch = 1024;  // a hostile schedule cannot fan one match out

  RuleWindows(Schedule schedule, AlertIdStore& store) : schedule_(schedule), store_(store) {}

  // Fixes the execution grid: the first execution is at or after `first_time_ms`.
  void start(int64_t first_time_ms);
  bool started() const { return next_exec_.has_value(); }
  std::optional<int64_t> next_execution() const { return next_exec_; }
  const Schedule& schedule() const { return schedule_; }

  // Offers a match whose window timestamps span [window_ts - span_ms, window_ts] (0 for one event; a
  // sequence needs all its events inside one window). `make` builds the candidate (it clones events) and
  // is called only when some pending window keeps the match. Returns false when the match is late beyond
  // every pending window.
  template <class Make>
  bool offer(int64_t window_ts, int64_t span_ms, int64_t order_ts, uint64_t seq, int64_t now_ms,
             const Emit* eager, Make&& make);

  // Runs every execution scheduled before `now_ms` (strictly), oldest first.
  void run_until(int64_t now_ms, const Emit& emit);

  // Sequence and sample rules are not offered matches: each execution searches the events the rule kept
  // (matcher.h). next_search() is the next execution before `now_ms` (strictly) whose window can hold an
  // event kept at `oldest_kept_ms`; executions before it have nothing to search. execute_search() runs it
  // with what its search returned (`kept`: at most max_signals candidates in query order, out of `found`),
  // exactly as an execution of offered matches: de-duplication, the cap warning, counters.
  std::optional<int64_t> next_search(int64_t now_ms, std::optional<int64_t> oldest_kept_ms) const;
  void execute_search(int64_t exec_time, uint64_t found, std::vector<CandidatePtr> kept, const Emit& emit);
  // Live (eager) mode: matches found by an early search of a window not yet executed are written now,
  // unless already written; the execution later finds them again as duplicates.
  void emit_early(const std::vector<CandidatePtr>& found, int64_t now_ms, const Emit& emit);
  // The earliest start of a window not yet executed: a kept event before it can never be searched again.
  int64_t oldest_window_start() const;
  // End of input: runs every execution that still holds matches, then counts the executions up to it.
  void finish(const Emit& emit);

  const WindowStats& stats() const { return stats_; }
  size_t pending_windows() const { return windows_.size(); }
  size_t kept_candidates() const;

 private:
  struct Window {
    int64_t start = 0, end = 0;
    uint64_t hits = 0;
    std::vector<CandidatePtr> kept;  // sorted by (order_ts, seq); at most max_signals
  };
  struct Slot {
    int64_t exec_time;
    bool keeps;  // the match would enter this window's kept set
  };

  // Executions (not yet run) whose window contains `window_ts`.
  void windows_for(int64_t window_ts, int64_t span_ms, std::vector<Slot>& out);
  bool would_keep(const Window* w, int64_t order_ts, uint64_t seq) const;
  void place(const std::vector<Slot>& slots, const CandidatePtr& c, int64_t now_ms, const Emit* eager);
  void execute(int64_t exec_time, Window& w, const Emit& emit);
  void count_executions_until(int64_t exclusive_end);
  int64_t align_up(int64_t t) const;
  int64_t needed_until(int64_t window_ts) const;

  Schedule schedule_;
  AlertIdStore& store_;
  std::optional<int64_t> next_exec_;  // the earliest execution not yet run
  std::map<int64_t, Window> windows_;  // pending executions that hold matches, by execution time
  WindowStats stats_;
  std::vector<Slot> slots_;  // scratch
};

template <class Make>
bool RuleWindows::offer(int64_t window_ts, int64_t span_ms, int64_t order_ts, uint64_t seq, int64_t now_ms,
                        const Emit* eager, Make&& make) {
  if (!next_exec_) start(window_ts);
  ++stats_.matches;
  slots_.clear();
  windows_for(window_ts, span_ms, slots_);
  if (slots_.empty()) {
    ++stats_.late_missed;
    return false;
  }
  bool any = false;
  for (Slot& s : slots_) {
    auto it = windows_.find(s.exec_time);
    s.keeps = would_keep(it == windows_.end() ? nullptr : &it->second, order_ts, seq);
    any = any || s.keeps;
  }
  CandidatePtr c;
  if (any) c = make();
  place(slots_, c, now_ms, eager);
  return true;
}

}  // namespace audetect::engine
