#include "eql/evaluator.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "eql/casefold.h"

namespace audetect::eql {

namespace {

// Text of a scalar as a keyword field indexes it (numbers as their JSON text, booleans as words).
std::string_view scalar_text(const Value& v, char* buf, size_t cap) {
  switch (v.kind()) {
    case ValueKind::kString: return v.as_string();
    case ValueKind::kBool: return v.as_bool() ? "true" : "false";
    case ValueKind::kInt: {
      auto r = std::to_chars(buf, buf + cap, v.as_int());
      return {buf, static_cast<size_t>(r.ptr - buf)};
    }
    case ValueKind::kDouble: {
      std::string s = java_double_to_string(v.as_double());
      // JSON source text of a double is normally its shortest form: "2.5", "1.0E10" rarely.
      size_t n = std::min(s.size(), cap);
      std::copy_n(s.data(), n, buf);
      return {buf, n};
    }
    default: return {};
  }
}

std::optional<NumConst> numeric_of(const Value& v, bool accept_strings) {
  NumConst n;
  if (v.is_int()) {
    n.i = v.as_int();
    return n;
  }
  if (v.is_double()) {
    n.is_int = false;
    n.d = v.as_double();
    return n;
  }
  if (accept_strings && v.is_string()) {
    auto p = parse_number(v.as_string());
    if (!p) return std::nullopt;
    if (p->kind == SValue::Kind::kInt) {
      n.i = p->i;
    } else {
      n.is_int = false;
      n.d = p->d;
    }
    return n;
  }
  return std::nullopt;
}

int compare_num(const NumConst& a, const NumConst& b) {
  if (a.is_int && b.is_int) return a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
  double x = a.as_double(), y = b.as_double();
  if (std::isnan(x) || std::isnan(y)) return 2;  // unordered
  return x < y ? -1 : x > y ? 1 : 0;
}

bool range_holds(RangeOp op, int c) {
  if (c == 2) return false;
  switch (op) {
    case RangeOp::kLt: return c < 0;
    case RangeOp::kLe: return c <= 0;
    case RangeOp::kGt: return c > 0;
    case RangeOp::kGe: return c >= 0;
  }
  return false;
}

bool over_ignore_above(std::string_view s, uint32_t limit) {
  return limit != 0 && s.size() > limit && utf16_length(s) > limit;
}

}  // namespace

// ------------------------------------------------------------------ index predicates

bool IndexPred::test_value(const Value& v) const {
  char buf[40];
  switch (test) {
    case Test::kExists:
      // ES's exists query does not see keyword values longer than ignore_above (not indexed).
      return !(v.is_string() && over_ignore_above(v.as_string(), field.ignore_above));
    case Test::kStrings: {
      if (field.family == TypeFamily::kUnknown && !v.is_string() && !v.is_number() && !v.is_bool()) return false;
      std::string_view s = scalar_text(v, buf, sizeof buf);
      if (!v.is_string() && !v.is_number() && !v.is_bool()) return false;
      if (over_ignore_above(s, field.ignore_above)) return false;
      return strings->matches(s);
    }
    case Test::kStrRange: {
      if (!v.is_string() && !v.is_number() && !v.is_bool()) return false;
      std::string_view s = scalar_text(v, buf, sizeof buf);
      if (over_ignore_above(s, field.ignore_above)) return false;
      int c = s.compare(str);
      return range_holds(op, c < 0 ? -1 : c > 0 ? 1 : 0);
    }
    case Test::kNumEq:
    case Test::kNumRange: {
      std::optional<NumConst> n;
      if (field.family == TypeFamily::kDate) {
        if (v.is_string()) {
          auto ms = parse_date(v.as_string(), field.date_formats);
          if (!ms) return false;
          n = NumConst{true, *ms, 0};
        } else {
          n = numeric_of(v, false);
        }
      } else {
        n = numeric_of(v, numeric_strings);
      }
      if (!n) return false;
      if (field.family == TypeFamily::kInteger && !n->is_int && std::isfinite(n->d)) {
        // A long field indexes 1.7 as 1.
        n->is_int = true;
        n->i = static_cast<int64_t>(n->d);
      }
      if (test == Test::kNumRange) return range_holds(op, compare_num(*n, nums[0]));
      for (const auto& c : nums)
        if (compare_num(*n, c) == 0) return true;
      return false;
    }
    case Test::kBoolEq: {
      if (v.is_bool()) return v.as_bool() == boolean;
      if (v.is_string()) {
        auto s = v.as_string();
        if (s == "true") return boolean;
        if (s == "false") return !boolean;
      }
      return false;
    }
    case Test::kIp: {
      if (!v.is_string()) return false;
      auto ip = parse_ip(v.as_string());
      if (!ip) return false;
      for (const auto& b : cidrs)
        if (b.contains(*ip)) return true;
      return false;
    }
    case Test::kVersionRange: {
      if (!v.is_string()) return false;
      return range_holds(op, compare_versions(v.as_string(), str));
    }
  }
  return false;
}

bool IndexPred::eval(const Event& event) const {
  if (field.always_null) return false;
  const Value* v = event.get(field.path);
  if (v != nullptr && !v->is_array() && !v->is_object()) {
    if (v->is_null()) {
      if (!field.null_value) return false;
      Value nv = Value::string_view_of(*field.null_value);
      return test_value(nv);
    }
    return test_value(*v);
  }
  bool hit = false;
  event.for_each_value(field.path, [&](const Value& x) {
    if (!hit && test_value(x)) hit = true;
  });
  return hit;
}

uint32_t IndexPred::cost() const {
  switch (test) {
    case Test::kExists: return 1;
    case Test::kStrings: return strings->cost();
    case Test::kStrRange: return 3;
    case Test::kNumEq: return 2 + static_cast<uint32_t>(nums.size() / 4);
    case Test::kNumRange: return 2;
    case Test::kBoolEq: return 2;
    case Test::kIp: return 8;
    case Test::kVersionRange: return 10;
  }
  return 10;
}

// ------------------------------------------------------------------ scripts

std::optional<SValue> normalize_value(const Value& v, const FieldRef& field, EvalContext& ctx) {
  switch (field.family) {
    case TypeFamily::kString:
    case TypeFamily::kText:
    case TypeFamily::kIp:
    case TypeFamily::kVersion: {
      if (v.is_string()) return SValue::string(v.as_string());
      if (v.is_int()) return SValue::string(to_text(SValue::integer(v.as_int()), ctx));
      if (v.is_double()) return SValue::string(to_text(SValue::number(v.as_double()), ctx));
      if (v.is_bool()) return SValue::string(v.as_bool() ? "true" : "false");
      return std::nullopt;
    }
    case TypeFamily::kInteger: {
      auto n = numeric_of(v, true);
      if (!n) return std::nullopt;
      return SValue::integer(n->is_int ? n->i : static_cast<int64_t>(n->d));
    }
    case TypeFamily::kFloat: {
      auto n = numeric_of(v, true);
      if (!n) return std::nullopt;
      return SValue::number(n->as_double());
    }
    case TypeFamily::kBoolean:
      if (v.is_bool()) return SValue::boolean(v.as_bool());
      if (v.is_string() && (v.as_string() == "true" || v.as_string() == "false")) return SValue::boolean(v.as_string() == "true");
      return std::nullopt;
    case TypeFamily::kDate:
      if (v.is_string()) {
        auto ms = parse_date(v.as_string(), field.date_formats);
        if (!ms) return std::nullopt;
        return SValue::integer(*ms);
      }
      if (v.is_int()) return SValue::integer(v.as_int());
      if (v.is_double()) return SValue::integer(static_cast<int64_t>(v.as_double()));
      return std::nullopt;
    default:
      switch (v.kind()) {
        case ValueKind::kString: return SValue::string(v.as_string());
        case ValueKind::kInt: return SValue::integer(v.as_int());
        case ValueKind::kDouble: return SValue::number(v.as_double());
        case ValueKind::kBool: return SValue::boolean(v.as_bool());
        default: return std::nullopt;
      }
  }
}

namespace {

SValue eval_node(const SNode& n, const SValue* field_values, EvalContext& ctx) {
  switch (n.kind) {
    case SNode::Kind::kConst: return n.value;
    case SNode::Kind::kField: return field_values ? field_values[n.field] : SValue::null();
    case SNode::Kind::kNeg: return negate(eval_node(n.args[0], field_values, ctx), ctx);
    case SNode::Kind::kArith:
      return arithmetic(n.arith, eval_node(n.args[0], field_values, ctx), eval_node(n.args[1], field_values, ctx), ctx);
    case SNode::Kind::kCall: {
      SValue args[16];
      std::vector<SValue> many;
      SValue* a = args;
      if (n.args.size() > 16) {
        many.resize(n.args.size());
        a = many.data();
      }
      for (size_t i = 0; i < n.args.size(); ++i) a[i] = eval_node(n.args[i], field_values, ctx);
      return call_function(n.fn, n.insensitive, a, n.args.size(), ctx);
    }
    case SNode::Kind::kCompare:
      return compare_values(n.cmp, eval_node(n.args[0], field_values, ctx), eval_node(n.args[1], field_values, ctx));
    case SNode::Kind::kIn: {
      SValue v = eval_node(n.args[0], field_values, ctx);
      if (v.is_null()) return v;
      bool any = false;
      bool saw_null = false;
      thread_local std::string fv, fc;
      for (const SValue& c : n.set) {
        if (c.is_null()) {
          saw_null = true;
          continue;
        }
        if (n.insensitive && v.kind == SValue::Kind::kString && c.kind == SValue::Kind::kString) {
          if (fold_into(v.s, fv) == fold_into(c.s, fc)) any = true;
        } else {
          SValue eq = compare_values(0, v, c);
          if (eq.kind == SValue::Kind::kBool && eq.b) any = true;
        }
        if (any) break;
      }
      if (!any && saw_null) return SValue::null();
      return SValue::boolean(n.negated ? !any : any);
    }
    case SNode::Kind::kMatch: {
      SValue v = eval_node(n.args[0], field_values, ctx);
      if (v.is_null()) return v;
      std::string_view s = to_text(v, ctx);
      return SValue::boolean(n.matcher->matches(s));
    }
    case SNode::Kind::kAnd: {
      bool saw_null = false;
      for (const auto& c : n.args) {
        SValue r = eval_node(c, field_values, ctx);
        if (r.kind == SValue::Kind::kBool && !r.b) return r;
        if (r.kind != SValue::Kind::kBool) saw_null = true;
      }
      return saw_null ? SValue::null() : SValue::boolean(true);
    }
    case SNode::Kind::kOr: {
      bool saw_null = false;
      for (const auto& c : n.args) {
        SValue r = eval_node(c, field_values, ctx);
        if (r.kind == SValue::Kind::kBool && r.b) return r;
        if (r.kind != SValue::Kind::kBool) saw_null = true;
      }
      return saw_null ? SValue::null() : SValue::boolean(false);
    }
    case SNode::Kind::kNot: {
      SValue r = eval_node(n.args[0], field_values, ctx);
      if (r.kind != SValue::Kind::kBool) return SValue::null();
      return SValue::boolean(!r.b);
    }
    case SNode::Kind::kIsNull: return SValue::boolean(eval_node(n.args[0], field_values, ctx).is_null());
    case SNode::Kind::kIsNotNull: return SValue::boolean(!eval_node(n.args[0], field_values, ctx).is_null());
  }
  return SValue::null();
}

constexpr size_t kMaxCombinations = 4096;

}  // namespace

SValue eval_constant(const SNode& node, EvalContext& ctx) { return eval_node(node, nullptr, ctx); }

bool Script::eval(const Event& event, std::atomic<uint64_t>& runtime_errors) const {
  thread_local Arena arena(4096);
  thread_local std::vector<std::vector<SValue>> values;
  thread_local std::vector<SValue> current;
  arena.reset();
  EvalContext ctx;
  ctx.arena = &arena;
  if (values.size() < fields.size()) values.resize(fields.size());
  current.resize(fields.size());
  size_t combinations = 1;
  for (size_t f = 0; f < fields.size(); ++f) {
    auto& vs = values[f];
    vs.clear();
    const FieldRef& ref = fields[f];
    if (!ref.always_null) {
      event.for_each_value(ref.path, [&](const Value& v) {
        // Scripts read doc values, which do not hold keyword values over ignore_above either.
        if (v.is_string() && over_ignore_above(v.as_string(), ref.ignore_above)) return;
        if (auto sv = normalize_value(v, ref, ctx)) vs.push_back(*sv);
      });
    }
    if (vs.empty()) vs.push_back(SValue::null());
    combinations *= vs.size();
    if (combinations > kMaxCombinations) combinations = kMaxCombinations;
  }
  // Odometer over the value combinations; true as soon as one evaluates to true.
  thread_local std::vector<size_t> idx;
  idx.assign(fields.size(), 0);
  for (size_t k = 0; k < combinations; ++k) {
    for (size_t f = 0; f < fields.size(); ++f) current[f] = values[f][idx[f]];
    ctx.error = EvalError::kNone;
    SValue r = eval_node(root, current.data(), ctx);
    if (ctx.error != EvalError::kNone) runtime_errors.fetch_add(1, std::memory_order_relaxed);
    if (r.kind == SValue::Kind::kBool && r.b) return true;
    for (size_t f = 0; f < fields.size(); ++f) {
      if (++idx[f] < values[f].size()) break;
      idx[f] = 0;
    }
  }
  return false;
}

// ------------------------------------------------------------------ boolean layer

bool eval_bool(const BoolNode& node, const Event& event, std::atomic<uint64_t>& runtime_errors) {
  switch (node.kind) {
    case BoolNode::Kind::kTrue: return true;
    case BoolNode::Kind::kFalse: return false;
    case BoolNode::Kind::kIndex: return node.index->eval(event);
    case BoolNode::Kind::kScript: return node.script->eval(event, runtime_errors);
    case BoolNode::Kind::kNot: return !eval_bool(node.children[0], event, runtime_errors);
    case BoolNode::Kind::kAnd:
      for (const auto& c : node.children)
        if (!eval_bool(c, event, runtime_errors)) return false;
      return true;
    case BoolNode::Kind::kOr:
      for (const auto& c : node.children)
        if (eval_bool(c, event, runtime_errors)) return true;
      return false;
  }
  return false;
}

void order_by_cost(BoolNode& node) {
  switch (node.kind) {
    case BoolNode::Kind::kTrue:
    case BoolNode::Kind::kFalse: node.cost = 0; return;
    case BoolNode::Kind::kIndex: node.cost = node.index->cost(); return;
    case BoolNode::Kind::kScript: node.cost = node.script->cost; return;
    case BoolNode::Kind::kNot:
      order_by_cost(node.children[0]);
      node.cost = node.children[0].cost;
      return;
    case BoolNode::Kind::kAnd:
    case BoolNode::Kind::kOr: {
      uint32_t total = 0;
      for (auto& c : node.children) {
        order_by_cost(c);
        total += c.cost;
      }
      std::stable_sort(node.children.begin(), node.children.end(),
                       [](const BoolNode& a, const BoolNode& b) { return a.cost < b.cost; });
      node.cost = total;
      return;
    }
  }
}

// ------------------------------------------------------------------ required values

namespace {

using Required = std::vector<CompiledQuery::RequiredValues>;

bool exact_values_of(const BoolNode& node, CompiledQuery::RequiredValues& out) {
  if (node.kind != BoolNode::Kind::kIndex || node.index->test != IndexPred::Test::kStrings) return false;
  const IndexPred& p = *node.index;
  if (p.field.always_null || p.field.path.empty()) return false;
  if (p.field.family != TypeFamily::kString && p.field.family != TypeFamily::kUnknown) return false;
  const std::vector<std::string>* values = p.strings->exact_only_values();
  if (!values || values->empty()) return false;
  out.path = p.field.path;
  out.values = *values;
  return true;
}

void collect_required(const BoolNode& node, Required& out) {
  CompiledQuery::RequiredValues r;
  if (exact_values_of(node, r)) {
    out.push_back(std::move(r));
    return;
  }
  if (node.kind == BoolNode::Kind::kAnd) {
    for (const auto& c : node.children) collect_required(c, out);
    return;
  }
  if (node.kind == BoolNode::Kind::kOr) {
    // Every branch must require a value of the same field: the union of their values is required.
    CompiledQuery::RequiredValues merged;
    for (size_t i = 0; i < node.children.size(); ++i) {
      Required branch;
      collect_required(node.children[i], branch);
      const CompiledQuery::RequiredValues* same = nullptr;
      for (const auto& b : branch)
        if (i == 0 || b.path == merged.path) same = &b;
      if (!same) return;
      if (i == 0) merged.path = same->path;
      merged.values.insert(merged.values.end(), same->values.begin(), same->values.end());
    }
    if (!node.children.empty()) out.push_back(std::move(merged));
  }
}

}  // namespace

std::vector<CompiledQuery::RequiredValues> CompiledQuery::required_values(size_t stage) const {
  Required out;
  if (stage >= stages_.size() || !stages_[stage].predicate.program()) return out;
  collect_required(stages_[stage].predicate.program()->root, out);
  return out;
}

// ------------------------------------------------------------------ Predicate

Predicate::Predicate() = default;
Predicate::~Predicate() = default;
Predicate::Predicate(Predicate&&) noexcept = default;
Predicate& Predicate::operator=(Predicate&&) noexcept = default;

uint64_t Predicate::runtime_errors() const {
  return program_ ? program_->runtime_errors.load(std::memory_order_relaxed) : 0;
}

bool Predicate::matches(const Event& event) const {
  if (!program_) return false;
  return eval_bool(program_->root, event, program_->runtime_errors);
}

}  // namespace audetect::eql
