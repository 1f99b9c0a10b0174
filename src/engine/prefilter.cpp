#include "engine/prefilter.h"

#include <string.h>  // memmem (GNU)

#include <algorithm>
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

bool RawPrefilter::hit(std::string_view line) const {
  for (const std::string& n : needles_)
    if (memmem(line.data(), line.size(), n.data(), n.size()) != nullptr) return true;
  return false;
}

PrefilterFeeder::PrefilterFeeder(const RawPrefilter& prefilter, Forward forward)
    : prefilter_(prefilter), forward_(std::move(forward)), ring_(kLookahead) {}

void PrefilterFeeder::line(std::string_view text, std::string_view source, uint64_t line_no) {
  ++lines_;
  Key key;
  const bool record = parse_key(text, key);
  if (count_ == kLookahead) pop();
  Entry& e = ring_[(head_ + count_) % kLookahead];
  ++count_;
  e.text.assign(text);
  e.source = source;
  e.line_no = line_no;
  e.record = record;
  e.state = nullptr;
  if (!record) return;
  e.key = key;
  // Records of one event mostly come together: the last event's state is reused without a lookup.
  // States are node-based and erased only when no queued line points at them, so the pointer stays valid.
  if (!last_state_ || !(last_key_ == key)) {
    last_state_ = &states_[key];
    last_key_ = key;
  }
  State& st = *last_state_;
  e.state = &st;
  if (st.pending == 0 && !st.seen) {
    st.seen = true;
    order_.push_back(key);
  }
  ++st.pending;
  if (!st.keep && prefilter_.hit(text)) {
    st.keep = true;
    if (st.dropped) ++split_events_;  // earlier records already left out: the event will be partial
  }
}

void PrefilterFeeder::drain() {
  while (count_ > 0) pop();
  trim_states();
}

// "... msg=audit(1700000000.123:48211): ..." -> time and serial. Only the first 256 bytes are looked at.
bool PrefilterFeeder::parse_key(std::string_view line, Key& key) {
  std::string_view head = line.substr(0, 256);
  // The header's '(' is normally the first one on the line; a node name with '(' falls back to a search.
  size_t i = head.find('(');
  if (i == std::string_view::npos) return false;
  if (i < 5 || head.substr(i - 5, 5) != "audit") {
    const void* at = memmem(head.data(), head.size(), "audit(", 6);
    if (!at) return false;
    i = static_cast<size_t>(static_cast<const char*>(at) - head.data()) + 5;
  }
  ++i;
  int64_t sec = 0, ms = 0;
  uint64_t serial = 0;
  size_t digits = 0;
  for (; i < head.size() && head[i] >= '0' && head[i] <= '9' && digits < 15; ++i, ++digits) sec = sec * 10 + (head[i] - '0');
  if (!digits || i >= head.size() || head[i] != '.') return false;
  digits = 0;
  for (++i; i < head.size() && head[i] >= '0' && head[i] <= '9' && digits < 9; ++i, ++digits) ms = ms * 10 + (head[i] - '0');
  if (!digits || i >= head.size() || head[i] != ':') return false;
  digits = 0;
  for (++i; i < head.size() && head[i] >= '0' && head[i] <= '9' && digits < 19; ++i, ++digits)
    serial = serial * 10 + static_cast<uint64_t>(head[i] - '0');
  if (!digits || i >= head.size() || head[i] != ')') return false;
  key.time_ms = sec * 1000 + ms;
  key.serial = serial;
  return true;
}

void PrefilterFeeder::pop() {
  Entry& e = ring_[head_];
  head_ = (head_ + 1) % kLookahead;
  --count_;
  if (!e.record) {
    forward_(e.text, e.source, e.line_no);
    return;
  }
  State& st = *e.state;
  if (st.pending) --st.pending;
  if (st.keep) {
    forward_(e.text, e.source, e.line_no);
  } else {
    ++lines_skipped_;
    if (!st.dropped) ++events_skipped_;
    st.dropped = true;
  }
  if (states_.size() > kMaxStates) trim_states();
}

void PrefilterFeeder::trim_states() {
  while (!order_.empty() && states_.size() > kMaxStates / 2) {
    auto it = states_.find(order_.front());
    if (it != states_.end() && it->second.pending) break;
    if (it != states_.end()) {
      if (last_state_ == &it->second) last_state_ = nullptr;
      states_.erase(it);
    }
    order_.pop_front();
  }
}

}  // namespace audetect::engine
