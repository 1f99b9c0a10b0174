#include "engine/prefilter.h"

#include <string.h>  // memmem (GNU)

#include <algorithm>
#include <bit>
#include <cstring>
#include <optional>
#include <set>

#include "eql/ast.h"
#include "eql/eql.h"

namespace audetect::engine {
namespace {

using LiteralSet = std::optional<std::set<std::string>>;  // nullopt: no constraint derivable

bool verbatim_field(const std::string& dotted, bool resolve_paths) {
  if (dotted == "file.path") return !resolve_paths;
  return dotted == "process.executable" || dotted == "process.name";
}

const eql::ast::Expr* unwrap_field(const eql::ast::Expr* e) {
  return e && e->kind == eql::ast::ExprKind::kField && !e->optional ? e : nullptr;
}

bool string_literal(const eql::ast::Expr* e) {
  return e && e->kind == eql::ast::ExprKind::kLiteral && e->literal.kind == eql::ast::LiteralKind::kString &&
         !e->literal.s.empty();
}

LiteralSet literals_of(const eql::ast::Expr* e, bool resolve_paths) {
  using eql::ast::ExprKind;
  if (!e) return std::nullopt;
  switch (e->kind) {
    case ExprKind::kAnd: {
      // Any one conjunct's literals are necessary; keep the most selective (fewest, then longest).
      LiteralSet best;
      for (const auto& a : e->args) {
        LiteralSet s = literals_of(a.get(), resolve_paths);
        if (!s) continue;
        auto shortest = [](const std::set<std::string>& x) {
          size_t m = SIZE_MAX;
          for (const auto& l : x) m = std::min(m, l.size());
          return m;
        };
        if (!best || s->size() < best->size() || (s->size() == best->size() && shortest(*s) > shortest(*best)))
          best = std::move(s);
      }
      return best;
    }
    case ExprKind::kOr: {
      std::set<std::string> all;
      for (const auto& a : e->args) {
        LiteralSet s = literals_of(a.get(), resolve_paths);
        if (!s) return std::nullopt;
        all.insert(s->begin(), s->end());
      }
      return all;
    }
    case ExprKind::kCompare: {
      if (e->cmp != eql::ast::CmpOp::kEq || e->args.size() != 2) return std::nullopt;
      const eql::ast::Expr* f = unwrap_field(e->args[0].get());
      const eql::ast::Expr* v = e->args[1].get();
      if (!f) f = unwrap_field(e->args[1].get()), v = e->args[0].get();
      if (!f || !string_literal(v) || !verbatim_field(f->dotted(), resolve_paths)) return std::nullopt;
      return std::set<std::string>{v->literal.s};
    }
    case ExprKind::kIn: {
      if (e->negated || e->insensitive || e->args.size() < 2) return std::nullopt;
      const eql::ast::Expr* f = unwrap_field(e->args[0].get());
      if (!f || !verbatim_field(f->dotted(), resolve_paths)) return std::nullopt;
      std::set<std::string> out;
      for (size_t i = 1; i < e->args.size(); ++i) {
        if (!string_literal(e->args[i].get())) return std::nullopt;
        out.insert(e->args[i]->literal.s);
      }
      return out;
    }
    default:
      return std::nullopt;
  }
}

std::string hex_upper(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) out.push_back(kHex[c >> 4]), out.push_back(kHex[c & 15]);
  return out;
}

}  // namespace

QueryLiterals eql_query_literals(std::string_view query, bool resolve_paths) {
  QueryLiterals out;
  eql::ParseResult parsed = eql::parse(query);
  if (!parsed.ok()) {
    out.why_not = "query does not parse";
    return out;
  }
  if (parsed.statement->kind != eql::ast::StatementKind::kEvent) {
    out.why_not = "sequence and sample queries give no per-event literal";
    return out;
  }
  LiteralSet s = literals_of(parsed.statement->event.condition.get(), resolve_paths);
  if (!s || s->empty()) {
    out.why_not = "the query has no required file.path / process.executable / process.name value";
    return out;
  }
  out.derivable = true;
  out.literals.assign(s->begin(), s->end());
  return out;
}

RawPrefilter RawPrefilter::for_rules(const std::vector<const rules::Rule*>& runnable_rules, bool resolve_paths) {
  RawPrefilter p;
  if (runnable_rules.empty()) return p;
  std::set<std::string> needles;
  for (const rules::Rule* r : runnable_rules) {
    if (r->type != rules::RuleType::kEql) {
      p.disabled_reason_ = "rule \"" + r->name + "\" is not an EQL rule";
      return p;
    }
    QueryLiterals q = eql_query_literals(r->query, resolve_paths);
    if (!q.derivable) {
      p.disabled_reason_ = "rule \"" + r->name + "\": " + q.why_not;
      return p;
    }
    for (const std::string& l : q.literals) {
      needles.insert(l);
      // The kernel hex-encodes a whole value only when it holds a quote, a space, a control or a non-ASCII
      // byte (audit_string_contains_control); only such a literal can appear in hex form.
      if (std::any_of(l.begin(), l.end(), [](char ch) {
            auto c = static_cast<unsigned char>(ch);
            return c == '"' || c < 0x21 || c > 0x7e;
          }))
        needles.insert(hex_upper(l));
    }
  }
  p.needles_.assign(needles.begin(), needles.end());
  // Short needles would keep nearly every event and cost a search each: not worth it.
  for (const auto& n : p.needles_)
    if (n.size() < 3) {
      p.disabled_reason_ = "literal \"" + n + "\" is too short to filter on";
      p.needles_.clear();
      return p;
    }
  p.enabled_ = true;
  p.disabled_reason_.clear();
  return p;
}

// Keep/dropped flags of recent events, in two open-addressing generations: new events go to the current
// one; when it is half full the older one is cleared and the two swap, so at least kPerGeneration of the
// latest events are remembered, with no allocation per event. A slot is one word, the event's 64-bit hash
// (two events with the same hash among the 32768 remembered are as likely as guessing a random 62-bit
// number) with the flags in its low bits: the tables stay small enough for the cache, since every event
// of the input is looked up.
class PrefilterFeeder::EventStates {
 public:
  static constexpr int kBits = 15;
  static constexpr size_t kSlots = size_t{1} << kBits;
  static constexpr size_t kPerGeneration = kSlots / 2;
  static constexpr uint64_t kKeep = 1, kDropped = 2, kFlags = kKeep | kDropped;

  EventStates() {
    for (auto& g : gens_) g.reset(new uint64_t[kSlots]());
  }

  // An event's identity: its header's time and serial, hashed, with the flag bits clear and never 0.
  static uint64_t tag_of(int64_t time_ms, uint64_t serial) {
    uint64_t h = (serial ^ static_cast<uint64_t>(time_ms) * 0x9E3779B97F4A7C15ull) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
    return (h & ~kFlags) | 4;
  }

  // The event's slot (flags in kFlags), added when unknown.
  uint64_t& find_or_add(uint64_t tag) {
    uint64_t* slot = probe(gens_[cur_].get(), tag);
    if (*slot) return *slot;
    if (uint64_t* old = probe(gens_[cur_ ^ 1].get(), tag); *old) return *old;
    if (used_ == kPerGeneration) {
      cur_ ^= 1;
      std::fill_n(gens_[cur_].get(), kSlots, 0);
      used_ = 0;
      ++epoch_;
      slot = probe(gens_[cur_].get(), tag);
    }
    *slot = tag;
    ++used_;
    return *slot;
  }
  // Every event is looked up, mostly in a slot not in the cache: asking for it early hides the wait.
  void prefetch(uint64_t tag) const {
    __builtin_prefetch(gens_[0].get() + home(tag));
    __builtin_prefetch(gens_[1].get() + home(tag));
  }
  // Changes whenever states are forgotten (a slot reference taken before may then be stale).
  uint64_t epoch() const { return epoch_; }

 private:
  static size_t home(uint64_t tag) { return tag >> (64 - kBits); }
  static uint64_t* probe(uint64_t* slots, uint64_t tag) {
    for (size_t i = home(tag);; i = (i + 1) & (kSlots - 1))
      if (!slots[i] || (slots[i] & ~kFlags) == tag) return &slots[i];
  }
  std::unique_ptr<uint64_t[]> gens_[2];
  int cur_ = 0;
  size_t used_ = 0;
  uint64_t epoch_ = 1;
};

// Many strings in one pass over the text: every string is filed under its last W bytes (W: the shortest
// string's length, at most 4), each window of W bytes of the text is looked up in a bitmap of their hashes
// (8 KiB, stays in L1), and only on a set bit are the strings ending there compared. One pass costs about
// as much as six memmem passes (measured on the generated log), so few strings are searched with memmem.
class PrefilterFeeder::StringSet {
 public:
  static constexpr size_t kMinStrings = 8;

  explicit StringSet(const std::vector<std::string>& strings) : strings_(strings) {
    for (const std::string& s : strings_) width_ = std::min(width_, s.size());
    for (uint32_t i = 0; i < strings_.size(); ++i) {
      const char* last = strings_[i].data() + strings_[i].size() - width_;
      const uint32_t w = width_ == 4 ? window<4>(last) : window<3>(last);
      by_window_.push_back({w, i});
      const uint32_t h = hash(w);
      bits_[h >> 6] |= uint64_t{1} << (h & 63);
    }
    std::sort(by_window_.begin(), by_window_.end());
  }

  // Calls found(start, length) for the first match (by its end) of each line of text[from, end) that ends
  // after `new_from` (matches ending before were reported by the call that saw those bytes).
  template <class Found>
  void search(const char* text, size_t from, size_t new_from, size_t end, Found found) const {
    if (width_ == 4)
      search_width<4>(text, from, new_from, end, found);
    else
      search_width<3>(text, from, new_from, end, found);
  }

 private:
  template <size_t kWidth, class Found>
  void search_width(const char* text, size_t from, size_t new_from, size_t end, Found& found) const {
    for (size_t e = std::max(from + kWidth, new_from + 1); e <= end; ++e) {
      const uint32_t w = window<kWidth>(text + e - kWidth);
      const uint32_t h = hash(w);
      if (!((bits_[h >> 6] >> (h & 63)) & 1)) continue;
      auto it = std::lower_bound(by_window_.begin(), by_window_.end(), std::pair<uint32_t, uint32_t>{w, 0});
      for (; it != by_window_.end() && it->first == w; ++it) {
        const std::string& s = strings_[it->second];
        if (s.size() > e - from || std::memcmp(text + e - s.size(), s.data(), s.size()) != 0) continue;
        found(e - s.size(), s.size());
        // The first match of a line is the one that counts (see search()): on to the next line.
        const void* nl = std::memchr(text + e, '\n', end - e);
        if (!nl) return;
        e = static_cast<size_t>(static_cast<const char*>(nl) - text) + kWidth;  // ++e: the first window after it
        break;
      }
    }
  }

  // Reads 4 bytes even for a 3-byte window (one word load, no partial stores): the feeder's buffer has
  // kPadding bytes after its end, a std::string its terminator.
  template <size_t kWidth>
  static uint32_t window(const char* p) {
    static_assert(std::endian::native == std::endian::little, "the mask keeps the word's first bytes");
    uint32_t w;
    std::memcpy(&w, p, 4);
    return kWidth == 4 ? w : w & 0x00FFFFFFu;
  }
  static uint32_t hash(uint32_t w) { return (w * 0x9E3779B1u) >> 16; }

  const std::vector<std::string>& strings_;
  size_t width_ = 4;
  std::vector<std::pair<uint32_t, uint32_t>> by_window_;  // (last bytes, string index), sorted
  uint64_t bits_[1024] = {};
};

namespace {
// How many lines ahead decide_front() asks for its event's state.
constexpr size_t kPrefetchLines = 16;
// Read size the buffer always has room for; the buffer also holds the waiting lines (at most kLookahead
// plus one line) and a partial line.
constexpr size_t kBlock = 2u << 20;
// Bytes after the buffer's capacity that a word load at its last bytes may touch.
constexpr size_t kPadding = 8;
}  // namespace

PrefilterFeeder::PrefilterFeeder(const RawPrefilter& prefilter, Forward forward, Truncated truncated)
    : prefilter_(prefilter),
      forward_(std::move(forward)),
      truncated_(std::move(truncated)),
      buf_(new char[kLookahead + 2 * kMaxLine + kBlock + kPadding]),
      capacity_(kLookahead + 2 * kMaxLine + kBlock),
      waiting_(kLookaheadLines),
      states_(std::make_unique<EventStates>()) {
  if (prefilter_.needles().size() >= StringSet::kMinStrings)
    many_strings_ = std::make_unique<StringSet>(prefilter_.needles());
}

PrefilterFeeder::~PrefilterFeeder() = default;

void PrefilterFeeder::start(std::string_view source) {
  source_ = source;
  base_ = 0;
  end_ = 0;
  next_ = 0;
  skipping_ = false;
  line_no_ = 0;
  hits_.clear();
  next_hit_ = 0;
}

std::span<char> PrefilterFeeder::space() {
  if (capacity_ - end_ < kBlock) compact();
  return {buf_.get() + end_, capacity_ - end_};
}

void PrefilterFeeder::commit(size_t bytes) {
  const size_t old_end = end_;
  end_ += std::min(bytes, capacity_ - end_);
  search(old_end);
  split_lines(false);
}

void PrefilterFeeder::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    std::span<char> room = space();
    size_t n = std::min(room.size(), bytes.size());
    std::memcpy(room.data(), bytes.data(), n);
    commit(n);
    bytes.remove_prefix(n);
  }
}

void PrefilterFeeder::finish() {
  split_lines(true);
  while (count_ > 0) decide_front();
  start(std::string_view());
}

// Finds the strings in the bytes from `old_end` on, including matches that began before it.
void PrefilterFeeder::search(size_t old_end) {
  const size_t first_new = hits_.size();
  // Earlier bytes are either split into lines already or the skipped tail of a cut line.
  const size_t floor = static_cast<size_t>(next_ - base_);
  if (many_strings_) {
    many_strings_->search(buf_.get(), floor, old_end, end_, [this](size_t start, size_t length) {
      hits_.push_back(Hit{base_ + start, static_cast<uint32_t>(length)});
    });
    return;
  }
  for (const std::string& n : prefilter_.needles()) {
    size_t from = old_end >= n.size() ? old_end - n.size() + 1 : 0;
    from = std::max(from, floor);
    const char* p = buf_.get() + from;
    const char* const end = buf_.get() + end_;
    while (p < end) {
      const void* at = memmem(p, static_cast<size_t>(end - p), n.data(), n.size());
      if (!at) break;
      const char* c = static_cast<const char*>(at);
      hits_.push_back(Hit{base_ + static_cast<uint64_t>(c - buf_.get()), static_cast<uint32_t>(n.size())});
      // The first match of a line is the one that counts (a later one lies in the same line or in the
      // skipped tail of a cut line): at most one hit per line and string, whatever the input.
      const void* nl = std::memchr(c, '\n', static_cast<size_t>(end - c));
      if (!nl) break;
      p = static_cast<const char*>(nl) + 1;
    }
  }
  if (prefilter_.needles().size() > 1)
    std::sort(hits_.begin() + static_cast<long>(first_new), hits_.end(),
              [](const Hit& a, const Hit& b) { return a.offset < b.offset; });
}

// Whether a match lies within the line's text [begin, text_end); passes every match before extent_end
// (the line's end, or where a cut line's skipped tail begins).
bool PrefilterFeeder::line_has_hit(uint64_t begin, uint64_t text_end, uint64_t extent_end) {
  bool hit = false;
  for (; next_hit_ < hits_.size() && hits_[next_hit_].offset < extent_end; ++next_hit_) {
    const Hit& h = hits_[next_hit_];
    if (h.offset >= begin && h.offset + h.length <= text_end) hit = true;
  }
  return hit;
}

void PrefilterFeeder::split_lines(bool at_end) {
  const char* const buf = buf_.get();
  while (true) {
    size_t at = static_cast<size_t>(next_ - base_);
    if (skipping_) {
      const void* nl = std::memchr(buf + at, '\n', end_ - at);
      next_ = base_ + (nl ? static_cast<size_t>(static_cast<const char*>(nl) - buf) + 1 : end_);
      line_has_hit(0, 0, next_);  // matches in the skipped tail do not count
      if (!nl) break;
      skipping_ = false;
      continue;
    }
    if (at == end_) break;
    const char* line = buf + at;
    const size_t avail = end_ - at;
    const void* nl = std::memchr(line, '\n', std::min(avail, kMaxLine + 1));
    size_t length, consumed;
    bool cut = false;
    if (nl) {
      length = static_cast<size_t>(static_cast<const char*>(nl) - line);
      consumed = length + 1;
    } else if (avail > kMaxLine) {
      length = consumed = kMaxLine;
      cut = true;
    } else if (at_end) {
      length = consumed = avail;
    } else {
      break;  // the rest of the line is still to come
    }
    // A line waits until kLookahead bytes after its start are split: by then every match that can keep
    // its event has been seen (deciding here, not per block, makes the result independent of block sizes).
    while (count_ > 0 && (count_ == kLookaheadLines || waiting_[head_].offset + kLookahead < next_)) decide_front();
    ++lines_;
    ++line_no_;
    if (cut && truncated_) truncated_(source_, line_no_);
    Waiting& w = waiting_[(head_ + count_) % kLookaheadLines];
    ++count_;
    w.offset = next_;
    w.line_no = line_no_;
    w.length = static_cast<uint32_t>(length);
    w.event = event_of({line, length});
    if (line_has_hit(next_, next_ + length, next_ + consumed) && w.event) {
      uint64_t& state = states_->find_or_add(w.event);
      if (!(state & EventStates::kKeep)) {
        state |= EventStates::kKeep;
        if (state & EventStates::kDropped) ++split_events_;  // earlier records already left out: partial event
      }
    }
    next_ += consumed;
    skipping_ = cut;
  }
}

void PrefilterFeeder::decide_front() {
  const Waiting& w = waiting_[head_];
  head_ = (head_ + 1) % kLookaheadLines;
  --count_;
  if (count_ > kPrefetchLines) {
    const uint64_t ahead = waiting_[(head_ + kPrefetchLines) % kLookaheadLines].event;
    if (ahead && ahead != last_event_) states_->prefetch(ahead);
  }
  if (!w.event) {
    forward_(bytes_at(w.offset, w.length), source_, w.line_no);
    return;
  }
  // Records of one event mostly come together: the last event's state is reused without a lookup.
  if (!last_state_ || last_event_ != w.event || last_epoch_ != states_->epoch()) {
    last_state_ = &states_->find_or_add(w.event);
    last_event_ = w.event;
    last_epoch_ = states_->epoch();
  }
  uint64_t& state = *last_state_;
  if (state & EventStates::kKeep) {
    forward_(bytes_at(w.offset, w.length), source_, w.line_no);
  } else {
    ++lines_skipped_;
    if (!(state & EventStates::kDropped)) ++events_skipped_;
    state |= EventStates::kDropped;
  }
}

// Moves what is still needed (the waiting lines and the line being split) to the front of the buffer.
void PrefilterFeeder::compact() {
  uint64_t keep_from = count_ > 0 ? waiting_[head_].offset : next_;
  keep_from = std::min(keep_from, next_);
  const size_t drop = static_cast<size_t>(keep_from - base_);
  if (drop == 0) return;
  std::memmove(buf_.get(), buf_.get() + drop, end_ - drop);
  end_ -= drop;
  base_ = keep_from;
  hits_.erase(hits_.begin(), hits_.begin() + static_cast<long>(next_hit_));
  next_hit_ = 0;
}

// "type=SYSCALL msg=audit(1700000000.123:48211): ..." (or "node=NAME type=...") -> its event's tag; 0 for a
// line that is not an audit record. Only the first 256 bytes are looked at.
uint64_t PrefilterFeeder::event_of(std::string_view line) {
  if (line.size() < 5 || (std::memcmp(line.data(), "type=", 5) != 0 && std::memcmp(line.data(), "node=", 5) != 0))
    return 0;
  std::string_view head = line.substr(0, 256);
  // The header's '(' is normally the first one on the line; a node name with '(' falls back to a search.
  size_t i = head.find('(');
  if (i == std::string_view::npos) return 0;
  if (i < 5 || head.substr(i - 5, 5) != "audit") {
    const void* at = memmem(head.data(), head.size(), "audit(", 6);
    if (!at) return 0;
    i = static_cast<size_t>(static_cast<const char*>(at) - head.data()) + 5;
  }
  ++i;
  int64_t sec = 0, ms = 0;
  uint64_t serial = 0;
  size_t digits = 0;
  for (; i < head.size() && head[i] >= '0' && head[i] <= '9' && digits < 15; ++i, ++digits) sec = sec * 10 + (head[i] - '0');
  if (!digits || i >= head.size() || head[i] != '.') return 0;
  digits = 0;
  for (++i; i < head.size() && head[i] >= '0' && head[i] <= '9' && digits < 9; ++i, ++digits) ms = ms * 10 + (head[i] - '0');
  if (!digits || i >= head.size() || head[i] != ':') return 0;
  digits = 0;
  for (++i; i < head.size() && head[i] >= '0' && head[i] <= '9' && digits < 19; ++i, ++digits)
    serial = serial * 10 + static_cast<uint64_t>(head[i] - '0');
  if (!digits || i >= head.size() || head[i] != ')') return 0;
  return EventStates::tag_of(sec * 1000 + ms, serial);
}

}  // namespace audetect::engine
