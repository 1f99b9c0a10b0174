// How a rule recognises its events. The engine only needs "does this event match" for event queries and
// "which sequences match in this window" for sequence and sample queries; EQL (and later KQL) provide
// implementations, tests can supply their own.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "event/event.h"
#include "rules/rules.h"

namespace audetect::engine {

// One matched sequence or sample: owning copies of its events in stage order (missing-event stages left out).
struct SequenceMatch {
  std::vector<Event> events;
};

// What keep() did with an event.
enum class KeepOutcome : unsigned char {
  kNotCandidate,  // matches no stage, `until` or missing-event item: cannot take part in a match
  kKept,
  kNoTimestamp,   // a candidate without a usable window or order timestamp: no search can find it
  kLate,          // a candidate older than every window still to execute
  kFull,          // refused: the rule already keeps max_kept events
};

// Counters of the searches of a sequence or sample rule (the runner's caps included), for the summary.
struct SearchStats {
  uint64_t searches = 0;             // searches run (executions whose window held kept events; live early ones)
  uint64_t kept = 0;                 // events kept for searches
  size_t kept_peak = 0;              // most events kept at once
  uint64_t kept_cap_hits = 0;        // candidates refused because max_kept events were kept
  uint64_t key_cap_hits = 0;         // join-key values refused at the runner's max_open_keys (per search)
  size_t open_keys_peak = 0;         // most join-key values with pending sequences / samples in one search
  uint64_t key_combination_cap_hits = 0;  // multi-valued key products truncated
  uint64_t sample_search_cap_hits = 0;    // a key's sample search stopped at its step budget
};

class RuleMatcher {
 public:
  virtual ~RuleMatcher() = default;
  virtual bool is_sequence() const { return false; }  // sequence or sample query

  // Event queries: answered per event, on arrival.
  virtual bool matches(const Event& event) = 0;
  // A field that must hold one of a few exact (case-sensitive) string values.
  struct Requirement {
    FieldPath path;
    std::vector<std::string> values;
  };
  // What an event must have for this rule to use it (match it, or keep it for a sequence): every
  // requirement of at least one alternative (an event query has one; a sequence or sample one per stage).
  // The engine skips the rule for other events (dispatch.h). No alternatives: every event is needed.
  virtual std::vector<std::vector<Requirement>> requirements() const { return {}; }

  // Sequence and sample queries. Kibana searches every execution window anew, so a match exists only when
  // all of its events are in one window, and each window returns its own first max_signals matches. The
  // matcher keeps the events that can take part in a match (`window_ms`: the event's time on the rule's
  // window timestamp field; `owned`: set to an owning copy of `event` when still invalid, so that all
  // rules share one copy; `arrival` grows with input order), until forget_before() says that no window
  // still to execute can contain them: memory follows the look-back, not the input.
  virtual KeepOutcome keep(const Event& event, Event& owned, std::optional<int64_t> window_ms, uint64_t arrival,
                           int64_t oldest_window_start_ms) {
    (void)event, (void)owned, (void)window_ms, (void)arrival, (void)oldest_window_start_ms;
    return KeepOutcome::kNotCandidate;
  }
  // Runs the query over the kept events with window_ms in [from_ms, to_ms]: the first max_signals matches in
  // query order go to `out`; returns how many there were before that cap.
  virtual uint64_t search(int64_t from_ms, int64_t to_ms, std::vector<SequenceMatch>& out) {
    (void)from_ms, (void)to_ms, (void)out;
    return 0;
  }
  virtual void forget_before(int64_t window_ms) { (void)window_ms; }
  // Since the last search, an event was kept that matches a stage able to complete a match (the last item
  // of a sequence, any filter of a sample): live mode searches early only then.
  virtual bool may_complete_since_search() const { return false; }
  virtual std::optional<int64_t> oldest_kept() const { return std::nullopt; }  // smallest kept window_ms
  virtual size_t kept_events() const { return 0; }
  virtual SearchStats search_stats() const { return {}; }
};

// Compiles an eql rule's query against the built-in ECS+auditd schema. Errors carry the rule file position
// of the problem ("file:line:column: reason"). Sequence and sample rules keep at most `max_kept` events.
Result<std::unique_ptr<RuleMatcher>> compile_eql_matcher(const rules::Rule& rule, size_t max_kept = size_t{1} << 19);

}  // namespace audetect::engine
