// How a rule recognises its events. The engine only needs "does this event match" for event queries and
// "which sequences matched" for sequence queries; EQL (and later KQL) provide implementations, tests can
// supply their own.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "event/event.h"
#include "rules/rules.h"

namespace audetect::engine {

// One matched sequence: owning copies of its events in stage order.
struct SequenceMatch {
  std::vector<Event> events;
};

class RuleMatcher {
 public:
  virtual ~RuleMatcher() = default;
  // Event queries: answered per event, on arrival.
  virtual bool is_sequence() const { return false; }
  virtual bool matches(const Event& event) = 0;
  // Sequence queries: events are pushed in arrival order; completed sequences are collected with
  // take_sequences() as they become final (has_sequences()), the rest after finish().
  virtual void push(const Event&) {}
  virtual void finish() {}
  virtual bool has_sequences() const { return false; }
  virtual std::vector<SequenceMatch> take_sequences() { return {}; }
};

// Compiles an eql rule's query against the built-in ECS+auditd schema. Errors carry the rule file position
// of the problem ("file:line:column: reason").
Result<std::unique_ptr<RuleMatcher>> compile_eql_matcher(const rules::Rule& rule);

}  // namespace audetect::engine
