// Skipping raw audit events that no loaded rule can match, before they are assembled and normalized.
//
// For an event query, some fields of the ECS document are copied verbatim from one raw record value
// (file.path from a PATH `name`, process.executable from `exe`, process.name from `comm`), as text or, when
// the kernel hex-encodes the value (only values with a quote, space, control or non-ASCII byte), as
// uppercase hex. So if a rule can only match when such a field equals
// one of a few strings, an event whose raw lines contain none of those strings (in either form) cannot match
// it. The prefilter holds, for the whole rule set, the strings at least one of which every matchable event
// contains; a rule that gives no such strings (a sequence, a negation-only query, derived fields) turns the
// prefilter off, so it never changes which alerts are found.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rules/rules.h"

namespace audetect::engine {

class RawPrefilter {
 public:
  // `resolve_paths`: file.path is then joined with the cwd and no longer verbatim, so it gives no literal.
  static RawPrefilter for_rules(const std::vector<const rules::Rule*>& runnable_rules, bool resolve_paths);

  bool enabled() const { return enabled_; }
  // Why it is off (for the summary), when it is.
  const std::string& disabled_reason() const { return disabled_reason_; }
  // The strings searched for (each literal and its hex form).
  const std::vector<std::string>& needles() const { return needles_; }

 private:
  bool enabled_ = false;
  std::string disabled_reason_ = "no rules";
  std::vector<std::string> needles_;
};

// Passes the lines of an input on, leaving out the raw audit records of events that contain none of the
// prefilter's strings, with the cost of the common case close to that of grep: the input arrives in large
// blocks (read straight into the feeder's buffer), the strings are searched over whole blocks, and each
// line costs a newline search and a look at its audit header only; lines wait in the buffer, not copied.
//
// Records of one event are not always adjacent, so a line is decided only once kLookahead bytes (or
// kLookaheadLines lines) of input after it have been split into lines: a string found in any record of
// the event up to then keeps the whole event, and a kept event's later records are kept as long as its
// state is remembered (the last 16384 events or more). A string that shows up only after records of its
// event were left out is counted in split_events(). Which lines are kept depends only on the input, not on
// how it was cut into blocks. Lines that are not audit records (ECS JSON, blank lines, garbage: anything
// not starting with `type=` or `node=` followed by an audit header) always pass, in order, for the
// pipeline to read or report. Lines longer than kMaxLine are cut there, as io::LineSource cuts them.
// Memory: a buffer of about 5 MiB, the waiting lines' positions and the remembered event states.
class PrefilterFeeder {
 public:
  using Forward = std::function<void(std::string_view line, std::string_view source, uint64_t line_no)>;
  // Told of each line longer than kMaxLine, kept or not (only its first kMaxLine bytes are used).
  using Truncated = std::function<void(std::string_view source, uint64_t line_no)>;
  PrefilterFeeder(const RawPrefilter& prefilter, Forward forward, Truncated truncated = nullptr);
  ~PrefilterFeeder();
  PrefilterFeeder(const PrefilterFeeder&) = delete;
  PrefilterFeeder& operator=(const PrefilterFeeder&) = delete;

  // One input after another: start(source), then any number of times read at most space().size() bytes
  // into space().data() and commit() them, then finish(). `source` must stay valid until finish().
  void start(std::string_view source);
  std::span<char> space();
  void commit(size_t bytes);
  // End of the input: its last line (even without a newline) and every waiting line are decided now.
  void finish();
  // commit() for bytes held elsewhere (copied in; tests and small inputs).
  void feed(std::string_view bytes);

  uint64_t lines() const { return lines_; }
  uint64_t lines_skipped() const { return lines_skipped_; }
  uint64_t events_skipped() const { return events_skipped_; }
  // Events whose string showed up only after some of their records had already been left out.
  uint64_t split_events() const { return split_events_; }

  static constexpr size_t kLookahead = 1u << 20;    // bytes
  static constexpr size_t kLookaheadLines = 16384;  // lines, whichever bound comes first
  static constexpr size_t kMaxLine = 1u << 20;      // as io::LineSource::kMaxLine

 private:
  class EventStates;
  class StringSet;
  struct Waiting {  // a line split off but not decided yet
    uint64_t offset = 0;  // in the input
    uint64_t line_no = 0;
    uint64_t event = 0;   // a hash of the record's audit header (EventStates::tag_of); 0: not a record
    uint32_t length = 0;
  };
  struct Hit {
    uint64_t offset = 0;  // in the input
    uint32_t length = 0;
  };

  static uint64_t event_of(std::string_view line);
  void search(size_t from);
  void split_lines(bool at_end);
  bool line_has_hit(uint64_t begin, uint64_t text_end, uint64_t extent_end);
  void decide_front();
  void compact();
  std::string_view bytes_at(uint64_t offset, size_t length) const {
    return {buf_.get() + (offset - base_), length};
  }

  const RawPrefilter& prefilter_;
  Forward forward_;
  Truncated truncated_;
  std::string_view source_;
  std::unique_ptr<char[]> buf_;
  size_t capacity_ = 0;
  uint64_t base_ = 0;     // input offset of buf_[0]
  size_t end_ = 0;        // bytes held in buf_
  uint64_t next_ = 0;     // input offset where splitting goes on: a line start, or inside a cut line's tail
  bool skipping_ = false; // next_ is inside the tail of a line cut at kMaxLine
  uint64_t line_no_ = 0;
  std::vector<Hit> hits_;  // string matches not yet passed by the splitting, by offset
  size_t next_hit_ = 0;
  std::vector<Waiting> waiting_;  // ring of kLookaheadLines
  size_t head_ = 0, count_ = 0;
  std::unique_ptr<EventStates> states_;
  std::unique_ptr<StringSet> many_strings_;  // one pass for all strings, when there are many
  uint64_t* last_state_ = nullptr;  // of last_event_, valid while states_->epoch() == last_epoch_
  uint64_t last_event_ = 0;
  uint64_t last_epoch_ = 0;
  uint64_t lines_ = 0, lines_skipped_ = 0, events_skipped_ = 0, split_events_ = 0;
};

// The literals of one EQL event query (for tests and `rules show`): nullopt-like empty result with
// `derivable` false when the query gives none.
struct QueryLiterals {
  bool derivable = false;
  std::vector<std::string> literals;
  std::string why_not;
};
QueryLiterals eql_query_literals(std::string_view query, bool resolve_paths);

}  // namespace audetect::engine
