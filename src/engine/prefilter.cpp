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

}  // namespace audetect::engine
