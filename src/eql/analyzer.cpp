#include "eql/analyzer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "eql/casefold.h"

namespace audetect::eql {

using ast::Expr;
using ast::ExprKind;

Compiler::Compiler(std::string_view text, const Schema& schema, const CompileOptions& options, Diagnostics& diags)
    : text_(text),
      schema_(schema),
      options_(options),
      diags_(diags),
      unknown_is_error_(options.unknown_field_is_error.value_or(schema.strict())) {}

void Compiler::fail(DiagCode code, Span span, std::string message, std::string help) {
  diags_.error(code, span, std::move(message), std::move(help));
  throw AnalysisError{};
}

std::string_view Compiler::type_name(SType t) {
  switch (t) {
    case SType::kNull: return "null";
    case SType::kBool: return "boolean";
    case SType::kInt: return "integer";
    case SType::kDouble: return "double";
    case SType::kString: return "keyword";
    case SType::kAny: return "untyped";
  }
  return "?";
}

Compiler::SType Compiler::type_of_family(TypeFamily f) {
  switch (f) {
    case TypeFamily::kString:
    case TypeFamily::kIp:
    case TypeFamily::kVersion: return SType::kString;
    case TypeFamily::kInteger: return SType::kInt;
    case TypeFamily::kFloat: return SType::kDouble;
    case TypeFamily::kBoolean: return SType::kBool;
    default: return SType::kAny;
  }
}

std::string Compiler::describe(const SValue& v) const {
  switch (v.kind) {
    case SValue::Kind::kNull: return "null";
    case SValue::Kind::kBool: return v.b ? "true" : "false";
    case SValue::Kind::kInt: return std::to_string(v.i);
    case SValue::Kind::kDouble: return java_double_to_string(v.d);
    case SValue::Kind::kString: return fmt::format("\"{}\"", v.s);
  }
  return "?";
}

std::string_view Compiler::pooled(std::string_view s) {
  program_->pool.emplace_back(s);
  return program_->pool.back();
}

SValue Compiler::pooled(const SValue& v) {
  if (v.kind != SValue::Kind::kString) return v;
  return SValue::string(pooled(v.s));
}

// ------------------------------------------------------------------ fields

const FieldRef& Compiler::resolve_field(const Expr& f) {
  const std::string written = f.dotted();
  const std::string cache_key = (f.optional ? "?" : "") + written;
  if (auto it = field_cache_.find(cache_key); it != field_cache_.end()) return *it->second;

  auto ref = std::make_unique<FieldRef>();
  ref->name = written;
  FieldLookup lookup = schema_.lookup(written);
  if (lookup.in_nested) {
    fail(DiagCode::kUnsupportedField, f.span, fmt::format("field [{}] is inside a nested field and cannot be searched", written));
  }
  switch (lookup.kind) {
    case FieldLookup::Kind::kField: {
      const FieldInfo& info = *lookup.info;
      ref->family = info.effective_family();
      if (ref->family == TypeFamily::kText) {
        fail(DiagCode::kTextField, f.span,
             fmt::format("text field [{}] cannot be used in EQL: it has no keyword sub-field", written));
      }
      if (ref->family == TypeFamily::kObject || ref->family == TypeFamily::kOther) {
        fail(DiagCode::kUnsupportedField, f.span,
             fmt::format("field [{}] of type [{}] cannot be used in EQL", written, field_type_name(info.type)));
      }
      ref->ignore_above = options_.emulate_ignore_above ? info.ignore_above : 0;
      ref->null_value = info.null_value;
      ref->date_formats = info.date_formats;
      ref->path = FieldPath(lookup.path);
      break;
    }
    case FieldLookup::Kind::kObject:
      if (f.optional) {
        ref->always_null = true;
        break;
      }
      fail(DiagCode::kUnsupportedField, f.span, fmt::format("[{}] is an object, not a field: name one of its sub-fields", written));
    case FieldLookup::Kind::kUnknown:
      if (f.optional) {
        ref->always_null = true;
        break;
      }
      if (unknown_is_error_) {
        std::vector<std::string> names = schema_.field_names();
        std::vector<std::string_view> views(names.begin(), names.end());
        std::string_view near = suggest_name(written, views);
        fail(DiagCode::kUnknownField, f.span, fmt::format("Unknown column [{}]", written),
             near.empty() ? "write ?" + written + " if the field may be absent from the mapping"
                          : fmt::format("did you mean [{}]?", near));
      }
      diags_.warning(DiagCode::kUnknownFieldUntyped, f.span,
                     fmt::format("field [{}] is not in the schema; it is compared untyped, by its JSON value", written));
      ref->family = TypeFamily::kUnknown;
      ref->path = FieldPath(lookup.path);
      break;
  }
  const FieldRef& out = *ref;
  field_cache_.emplace(cache_key, std::move(ref));
  note_field(out);
  return out;
}

bool Compiler::has_field(const Expr& e) {
  if (e.kind == ExprKind::kField) return !resolve_field(e).always_null;
  for (const auto& a : e.args)
    if (has_field(*a)) return true;
  return false;
}

// Field compared with constants using a §4 form, or one of the four pushed-down functions.
bool Compiler::index_form(const Expr& e) {
  auto plain_field = [&](const Expr& x) { return x.kind == ExprKind::kField && !resolve_field(x).always_null; };
  auto rest_constant = [&](size_t from) {
    for (size_t i = from; i < e.args.size(); ++i)
      if (has_field(*e.args[i])) return false;
    return true;
  };
  switch (e.kind) {
    case ExprKind::kCompare:
      return (plain_field(*e.args[0]) && !has_field(*e.args[1])) || (plain_field(*e.args[1]) && !has_field(*e.args[0]));
    case ExprKind::kIn:
    case ExprKind::kMatch:
      return plain_field(*e.args[0]) && rest_constant(1);
    case ExprKind::kCall: {
      const FunctionInfo* fi = find_function(e.name);
      if (!fi || e.args.empty()) return false;
      if (fi->fn != Fn::kStartsWith && fi->fn != Fn::kEndsWith && fi->fn != Fn::kStringContains && fi->fn != Fn::kCidrMatch)
        return false;
      if (fi->fn != Fn::kCidrMatch && e.args.size() != 2) return false;
      return plain_field(*e.args[0]) && rest_constant(1);
    }
    default:
      return false;
  }
}

bool Compiler::script_form(const Expr& e) {
  const Expr* x = &e;
  while (x->kind == ExprKind::kNot) x = x->args[0].get();
  if (x->kind == ExprKind::kAnd || x->kind == ExprKind::kOr) return false;
  return !index_form(*x);
}

// ------------------------------------------------------------------ boolean layer

Predicate Compiler::build_predicate(const ast::EventQuery& q) {
  Predicate pred;
  pred.program_ = std::make_unique<Predicate::Program>();
  program_ = pred.program_.get();
  BoolNode cond = condition(*q.condition);
  if (!q.any) {
    // The category test: case-sensitive equality on the category field, any value.
    FieldRef cat;
    FieldLookup lookup = schema_.lookup(options_.event_category_field);
    cat.name = options_.event_category_field;
    cat.path = FieldPath(lookup.path);
    cat.family = lookup.kind == FieldLookup::Kind::kField ? lookup.info->effective_family() : TypeFamily::kUnknown;
    note_field(cat);
    auto idx = std::make_unique<IndexPred>();
    idx->field = std::move(cat);
    idx->test = IndexPred::Test::kStrings;
    idx->strings = std::make_unique<StringMatcher>(false);
    idx->strings->add_exact(q.category);
    Status st = idx->strings->finish();
    (void)st;
    BoolNode c;
    c.kind = BoolNode::Kind::kIndex;
    c.index = std::move(idx);
    if (cond.kind == BoolNode::Kind::kTrue) {
      cond = std::move(c);
    } else if (cond.kind != BoolNode::Kind::kFalse) {
      BoolNode both;
      both.kind = BoolNode::Kind::kAnd;
      // The query's own checks usually decide faster than the category: keep the category last
      // among equally cheap checks (stable sort).
      if (cond.kind == BoolNode::Kind::kAnd) {
        both.children = std::move(cond.children);
      } else {
        both.children.push_back(std::move(cond));
      }
      both.children.push_back(std::move(c));
      cond = std::move(both);
    }
  }
  order_by_cost(cond);
  pred.program_->root = std::move(cond);
  program_ = nullptr;
  return pred;
}

namespace {

BoolNode constant_node(bool v) {
  BoolNode n;
  n.kind = v ? BoolNode::Kind::kTrue : BoolNode::Kind::kFalse;
  return n;
}

bool is_const(const BoolNode& n, bool v) {
  return n.kind == (v ? BoolNode::Kind::kTrue : BoolNode::Kind::kFalse);
}

}  // namespace

BoolNode Compiler::condition(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kAnd:
    case ExprKind::kOr: {
      const bool is_and = e.kind == ExprKind::kAnd;
      BoolNode n;
      n.kind = is_and ? BoolNode::Kind::kAnd : BoolNode::Kind::kOr;
      for (const auto& a : e.args) {
        BoolNode c = condition(*a);
        if (is_const(c, !is_and)) return constant_node(!is_and);  // false in and, true in or
        if (is_const(c, is_and)) continue;                        // neutral element
        if (c.kind == n.kind) {
          for (auto& g : c.children) n.children.push_back(std::move(g));
        } else {
          n.children.push_back(std::move(c));
        }
      }
      if (n.children.empty()) return constant_node(is_and);
      if (n.children.size() == 1) return std::move(n.children[0]);
      return n;
    }
    case ExprKind::kNot: {
      if (script_form(*e.args[0])) return script_node(e);
      BoolNode c = condition(*e.args[0]);
      if (c.kind == BoolNode::Kind::kTrue || c.kind == BoolNode::Kind::kFalse) return constant_node(c.kind == BoolNode::Kind::kFalse);
      if (c.kind == BoolNode::Kind::kNot) return std::move(c.children[0]);
      BoolNode n;
      n.kind = BoolNode::Kind::kNot;
      n.children.push_back(std::move(c));
      return n;
    }
    default:
      if (index_form(e)) return index_node(e);
      return script_node(e);
  }
}

BoolNode Compiler::script_node(const Expr& e) {
  auto script = std::make_unique<Script>();
  Typed t = value_expr(e, script->fields);
  if (t.type != SType::kBool && t.type != SType::kNull && t.type != SType::kAny) {
    fail(DiagCode::kTypeMismatch, e.span, fmt::format("condition must be a boolean, found [{}] of type [{}]", source(e.span), type_name(t.type)));
  }
  if (t.constant) return constant_node(t.node.value.kind == SValue::Kind::kBool && t.node.value.b);
  script->root = std::move(t.node);
  script->cost = 50 + 10 * static_cast<uint32_t>(script->fields.size());
  BoolNode n;
  n.kind = BoolNode::Kind::kScript;
  n.script = std::move(script);
  return n;
}

SValue Compiler::fold_constant(const Expr& e) {
  std::vector<FieldRef> none;
  Typed t = value_expr(e, none);
  return t.node.value;
}

namespace {

RangeOp range_of(ast::CmpOp op) {
  switch (op) {
    case ast::CmpOp::kLt: return RangeOp::kLt;
    case ast::CmpOp::kLe: return RangeOp::kLe;
    case ast::CmpOp::kGt: return RangeOp::kGt;
    default: return RangeOp::kGe;
  }
}

ast::CmpOp mirror(ast::CmpOp op) {
  switch (op) {
    case ast::CmpOp::kLt: return ast::CmpOp::kGt;
    case ast::CmpOp::kLe: return ast::CmpOp::kGe;
    case ast::CmpOp::kGt: return ast::CmpOp::kLt;
    case ast::CmpOp::kGe: return ast::CmpOp::kLe;
    default: return op;
  }
}

BoolNode index(std::unique_ptr<IndexPred> p) {
  BoolNode n;
  n.kind = BoolNode::Kind::kIndex;
  n.index = std::move(p);
  return n;
}

BoolNode negated(BoolNode inner) {
  BoolNode n;
  n.kind = BoolNode::Kind::kNot;
  n.children.push_back(std::move(inner));
  return n;
}

std::string text_of_constant(const SValue& c) {
  switch (c.kind) {
    case SValue::Kind::kString: return std::string(c.s);
    case SValue::Kind::kBool: return c.b ? "true" : "false";
    case SValue::Kind::kInt: return std::to_string(c.i);
    case SValue::Kind::kDouble: return java_double_to_string(c.d);
    default: return "null";
  }
}

}  // namespace

// One field against one constant with a comparison operator, coerced to the field's type (§7).
BoolNode Compiler::compare_node(const FieldRef& f, ast::CmpOp op, const SValue& c, Span span, Span const_span) {
  if (c.is_null()) {
    if (op == ast::CmpOp::kEq || op == ast::CmpOp::kNe) {
      auto p = std::make_unique<IndexPred>();
      p->field = f;
      p->test = IndexPred::Test::kExists;
      return op == ast::CmpOp::kNe ? index(std::move(p)) : negated(index(std::move(p)));
    }
    return constant_node(false);
  }
  const bool eq = op == ast::CmpOp::kEq || op == ast::CmpOp::kNe;
  auto p = std::make_unique<IndexPred>();
  p->field = f;
  p->op = range_of(op);
  TypeFamily fam = f.family;
  if (fam == TypeFamily::kUnknown) {
    // Untyped: by the constant's JSON kind.
    fam = c.kind == SValue::Kind::kString ? TypeFamily::kString
          : c.kind == SValue::Kind::kBool ? TypeFamily::kBoolean
                                          : TypeFamily::kFloat;
  }
  auto numeric_constant = [&](bool integral_field) -> NumConst {
    NumConst n;
    if (c.kind == SValue::Kind::kInt) {
      n.i = c.i;
    } else if (c.kind == SValue::Kind::kDouble) {
      n.is_int = false;
      n.d = c.d;
    } else if (c.kind == SValue::Kind::kString) {
      auto parsed = parse_number(c.s);
      if (!parsed)
        fail(DiagCode::kLiteralCoercion, const_span,
             fmt::format("cannot compare field [{}] of a numeric type with [{}]: not a number", f.name, describe(c)));
      n.is_int = parsed->kind == SValue::Kind::kInt;
      n.i = parsed->i;
      n.d = parsed->d;
    } else {
      fail(DiagCode::kLiteralCoercion, const_span,
           fmt::format("cannot compare numeric field [{}] with [{}]", f.name, describe(c)));
    }
    if (integral_field && eq && !n.is_int) {
      if (n.d != std::trunc(n.d) || !std::isfinite(n.d))
        fail(DiagCode::kLiteralCoercion, const_span,
             fmt::format("value [{}] has a fractional part and cannot equal integer field [{}]", describe(c), f.name));
      n.is_int = true;
      n.i = static_cast<int64_t>(n.d);
    }
    return n;
  };
  if (eq && c.kind == SValue::Kind::kString && c.s.find('*') != std::string_view::npos && fam == TypeFamily::kString) {
    diags_.warning(DiagCode::kLiteralWildcard, const_span,
                   "'*' is a literal character with == and != (Elasticsearch 7.12+)",
                   "use `:` or `like` for a wildcard match");
  }
  switch (fam) {
    case TypeFamily::kString:
      if (eq) {
        p->test = IndexPred::Test::kStrings;
        p->strings = std::make_unique<StringMatcher>(false);
        p->strings->add_exact(text_of_constant(c));
        (void)p->strings->finish();
      } else {
        p->test = IndexPred::Test::kStrRange;
        p->str = text_of_constant(c);
      }
      break;
    case TypeFamily::kInteger:
    case TypeFamily::kFloat:
      p->test = eq ? IndexPred::Test::kNumEq : IndexPred::Test::kNumRange;
      p->nums.push_back(numeric_constant(fam == TypeFamily::kInteger && f.family != TypeFamily::kUnknown));
      break;
    case TypeFamily::kBoolean: {
      bool b;
      if (c.kind == SValue::Kind::kBool) b = c.b;
      else if (c.kind == SValue::Kind::kString && (c.s == "true" || c.s == "false")) b = c.s == "true";
      else fail(DiagCode::kLiteralCoercion, const_span, fmt::format("cannot compare boolean field [{}] with [{}]", f.name, describe(c)));
      if (!eq) fail(DiagCode::kTypeMismatch, span, fmt::format("boolean field [{}] cannot be range-compared", f.name));
      p->test = IndexPred::Test::kBoolEq;
      p->boolean = b;
      break;
    }
    case TypeFamily::kDate: {
      NumConst n;
      if (c.kind == SValue::Kind::kString) {
        auto ms = parse_date(c.s, f.date_formats);
        if (!ms) ms = parse_date(c.s, {});
        if (!ms) fail(DiagCode::kLiteralCoercion, const_span, fmt::format("cannot parse [{}] as a date for field [{}]", describe(c), f.name));
        n.i = *ms;
      } else if (c.kind == SValue::Kind::kInt) {
        n.i = c.i;
      } else if (c.kind == SValue::Kind::kDouble) {
        n.i = static_cast<int64_t>(c.d);
      } else {
        fail(DiagCode::kLiteralCoercion, const_span, fmt::format("cannot compare date field [{}] with [{}]", f.name, describe(c)));
      }
      p->test = eq ? IndexPred::Test::kNumEq : IndexPred::Test::kNumRange;
      p->nums.push_back(n);
      break;
    }
    case TypeFamily::kIp: {
      if (c.kind != SValue::Kind::kString)
        fail(DiagCode::kLiteralCoercion, const_span, fmt::format("cannot compare ip field [{}] with [{}]", f.name, describe(c)));
      if (!eq) fail(DiagCode::kTypeMismatch, span, fmt::format("range comparisons on ip field [{}] are not supported", f.name));
      auto block = parse_cidr(c.s);
      if (!block) fail(DiagCode::kLiteralCoercion, const_span, fmt::format("[{}] is not an IP address or CIDR block", c.s));
      p->test = IndexPred::Test::kIp;
      p->cidrs.push_back(*block);
      break;
    }
    case TypeFamily::kVersion:
      if (eq) {
        p->test = IndexPred::Test::kStrings;
        p->strings = std::make_unique<StringMatcher>(false);
        p->strings->add_exact(text_of_constant(c));
        (void)p->strings->finish();
      } else {
        p->test = IndexPred::Test::kVersionRange;
        p->str = text_of_constant(c);
      }
      break;
    default:
      fail(DiagCode::kUnsupportedField, span, fmt::format("field [{}] cannot be compared", f.name));
  }
  BoolNode n = index(std::move(p));
  if (op == ast::CmpOp::kNe) return negated(std::move(n));
  return n;
}

BoolNode Compiler::index_node(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kCompare: {
      const bool field_left = e.args[0]->kind == ExprKind::kField && !resolve_field(*e.args[0]).always_null;
      const Expr& fe = field_left ? *e.args[0] : *e.args[1];
      const Expr& ce = field_left ? *e.args[1] : *e.args[0];
      const ast::CmpOp op = field_left ? e.cmp : mirror(e.cmp);
      const FieldRef& f = resolve_field(fe);
      SValue c = fold_constant(ce);
      return compare_node(f, op, c, e.span, ce.span);
    }
    case ExprKind::kIn: {
      const FieldRef& f = resolve_field(*e.args[0]);
      std::vector<SValue> values;
      for (size_t i = 1; i < e.args.size(); ++i) {
        SValue c = fold_constant(*e.args[i]);
        if (!c.is_null()) values.push_back(c);
      }
      BoolNode result;
      const bool stringy = f.family == TypeFamily::kString || f.family == TypeFamily::kVersion ||
                           (f.family == TypeFamily::kUnknown &&
                            std::all_of(values.begin(), values.end(), [](const SValue& v) { return v.kind == SValue::Kind::kString; }));
      if (e.insensitive && !stringy) {
        fail(DiagCode::kArgumentType, e.span, fmt::format("in~ needs a keyword field, [{}] is not one", f.name));
      }
      if (values.empty()) {
        result = constant_node(false);
      } else if (stringy) {
        auto p = std::make_unique<IndexPred>();
        p->field = f;
        p->test = IndexPred::Test::kStrings;
        p->strings = std::make_unique<StringMatcher>(e.insensitive);
        for (const auto& v : values) p->strings->add_exact(text_of_constant(v));
        (void)p->strings->finish();
        result = index(std::move(p));
      } else if (f.family == TypeFamily::kInteger || f.family == TypeFamily::kFloat || f.family == TypeFamily::kDate ||
                 f.family == TypeFamily::kIp) {
        // One predicate holding every constant.
        BoolNode merged;
        for (size_t i = 0; i < values.size(); ++i) {
          BoolNode one = compare_node(f, ast::CmpOp::kEq, values[i], e.span, e.args[i + 1]->span);
          if (i == 0) {
            merged = std::move(one);
          } else if (f.family == TypeFamily::kIp) {
            for (auto& b : one.index->cidrs) merged.index->cidrs.push_back(b);
          } else {
            for (auto& n : one.index->nums) merged.index->nums.push_back(n);
          }
        }
        result = std::move(merged);
      } else {
        BoolNode any;
        any.kind = BoolNode::Kind::kOr;
        for (size_t i = 0; i < values.size(); ++i)
          any.children.push_back(compare_node(f, ast::CmpOp::kEq, values[i], e.span, e.args[i + 1]->span));
        result = any.children.size() == 1 ? std::move(any.children[0]) : std::move(any);
      }
      if (e.negated) return negated(std::move(result));
      return result;
    }
    case ExprKind::kMatch: {
      const FieldRef& f = resolve_field(*e.args[0]);
      const bool stringy = f.family == TypeFamily::kString || f.family == TypeFamily::kUnknown || f.family == TypeFamily::kIp ||
                           f.family == TypeFamily::kVersion;
      std::vector<std::pair<SValue, Span>> patterns;
      for (size_t i = 1; i < e.args.size(); ++i) {
        SValue c = fold_constant(*e.args[i]);
        if (c.is_null()) continue;
        if (c.kind != SValue::Kind::kString && e.match != ast::MatchOp::kColon)
          fail(DiagCode::kArgumentType, e.args[i]->span, fmt::format("the pattern of {} must be a string, found [{}]", e.name, describe(c)));
        patterns.emplace_back(c, e.args[i]->span);
      }
      if (!stringy) {
        if (e.match == ast::MatchOp::kColon) {
          // `pid : 5` on a non-keyword field is plain equality.
          BoolNode any;
          any.kind = BoolNode::Kind::kOr;
          for (auto& [c, sp] : patterns) any.children.push_back(compare_node(f, ast::CmpOp::kEq, c, e.span, sp));
          if (any.children.empty()) return constant_node(false);
          return any.children.size() == 1 ? std::move(any.children[0]) : std::move(any);
        }
        fail(DiagCode::kArgumentType, e.args[0]->span,
             fmt::format("{} needs a keyword field, [{}] is not one", e.name, f.name));
      }
      if (patterns.empty()) return constant_node(false);
      auto p = std::make_unique<IndexPred>();
      p->field = f;
      p->test = IndexPred::Test::kStrings;
      p->strings = std::make_unique<StringMatcher>(e.insensitive);
      for (auto& [c, sp] : patterns) {
        std::string text = text_of_constant(c);
        if (e.match == ast::MatchOp::kRegex) {
          Status st = p->strings->add_regex(text);
          if (!st) fail(DiagCode::kUnsupportedRegex, sp, st.message());
        } else {
          p->strings->add_wildcard(text, false);
        }
      }
      Status st = p->strings->finish();
      if (!st) fail(DiagCode::kBadRegex, e.span, st.message());
      return index(std::move(p));
    }
    case ExprKind::kCall: {
      const FunctionInfo* fi = find_function(e.name);
      if (e.insensitive && !fi->has_insensitive_form)
        fail(DiagCode::kNoCaseInsensitiveForm, e.name_span, fmt::format("function [{}] has no case-insensitive form", e.name));
      // Run the full type check (arity, argument types) via the script analyser.
      {
        std::vector<FieldRef> scratch;
        (void)value_expr(e, scratch);
      }
      const FieldRef& f = resolve_field(*e.args[0]);
      auto p = std::make_unique<IndexPred>();
      p->field = f;
      if (fi->fn == Fn::kCidrMatch) {
        p->test = IndexPred::Test::kIp;
        for (size_t i = 1; i < e.args.size(); ++i) {
          SValue c = fold_constant(*e.args[i]);
          if (c.is_null()) return constant_node(false);
          auto block = c.kind == SValue::Kind::kString ? parse_cidr(c.s) : std::nullopt;
          if (!block) fail(DiagCode::kLiteralCoercion, e.args[i]->span, fmt::format("[{}] is not a CIDR block", describe(c)));
          p->cidrs.push_back(*block);
        }
        return index(std::move(p));
      }
      SValue c = fold_constant(*e.args[1]);
      if (c.is_null()) return constant_node(false);
      std::string text = text_of_constant(c);
      p->test = IndexPred::Test::kStrings;
      p->strings = std::make_unique<StringMatcher>(e.insensitive);
      if ((fi->fn == Fn::kEndsWith || fi->fn == Fn::kStringContains) && text.find_first_of("*?\\") != std::string::npos) {
        diags_.warning(DiagCode::kPushdownWildcard, e.args[1]->span,
                       fmt::format("{} treats '*', '?' and '\\' in its argument as wildcard syntax (as Elasticsearch does)", e.name));
      }
      switch (fi->fn) {
        case Fn::kStartsWith: p->strings->add_prefix(text); break;
        case Fn::kEndsWith: p->strings->add_wildcard("*" + text, true); break;
        default:
          if (text.empty()) return constant_node(false);
          p->strings->add_wildcard("*" + text + "*", true);
          break;
      }
      Status st = p->strings->finish();
      if (!st) fail(DiagCode::kBadRegex, e.span, st.message());
      return index(std::move(p));
    }
    default:
      return script_node(e);
  }
}

// ------------------------------------------------------------------ scripts

void Compiler::fold_if_constant(Typed& t, Span span) {
  if (t.node.kind == SNode::Kind::kConst) {
    t.constant = true;
    return;
  }
  for (const auto& a : t.node.args)
    if (a.kind != SNode::Kind::kConst) return;
  if (t.node.kind == SNode::Kind::kField) return;
  Arena arena(256);
  EvalContext ctx;
  ctx.arena = &arena;
  SValue v = eval_constant(t.node, ctx);
  if (ctx.error != EvalError::kNone) {
    const char* why = ctx.error == EvalError::kDivisionByZero ? "division by zero"
                      : ctx.error == EvalError::kOverflow    ? "integer overflow"
                      : ctx.error == EvalError::kBadNumber   ? "text is not a number"
                                                             : "invalid argument";
    fail(DiagCode::kConstantError, span, fmt::format("[{}] cannot be evaluated: {}", source(span), why));
  }
  SNode c;
  c.kind = SNode::Kind::kConst;
  c.value = pooled(v);
  t.node = std::move(c);
  t.constant = true;
  if (v.kind == SValue::Kind::kNull) t.type = t.type == SType::kBool ? SType::kBool : t.type;
}

Compiler::Typed Compiler::value_expr(const Expr& e, std::vector<FieldRef>& fields) {
  Typed t;
  auto is_numeric = [](SType s) { return s == SType::kInt || s == SType::kDouble || s == SType::kAny || s == SType::kNull; };
  auto is_stringish = [](SType s) { return s == SType::kString || s == SType::kAny || s == SType::kNull; };
  switch (e.kind) {
    case ExprKind::kLiteral: {
      t.node.kind = SNode::Kind::kConst;
      t.constant = true;
      switch (e.literal.kind) {
        case ast::LiteralKind::kNull: t.type = SType::kNull; break;
        case ast::LiteralKind::kBool: t.type = SType::kBool; t.node.value = SValue::boolean(e.literal.b); break;
        case ast::LiteralKind::kInt: t.type = SType::kInt; t.node.value = SValue::integer(e.literal.i); break;
        case ast::LiteralKind::kDouble: t.type = SType::kDouble; t.node.value = SValue::number(e.literal.d); break;
        case ast::LiteralKind::kString: t.type = SType::kString; t.node.value = SValue::string(pooled(e.literal.s)); break;
      }
      return t;
    }
    case ExprKind::kField: {
      const FieldRef& f = resolve_field(e);
      if (f.always_null) {
        t.node.kind = SNode::Kind::kConst;
        t.constant = true;
        t.type = SType::kNull;
        return t;
      }
      size_t idx = fields.size();
      for (size_t i = 0; i < fields.size(); ++i)
        if (fields[i].path == f.path && fields[i].family == f.family) idx = i;
      if (idx == fields.size()) {
        if (fields.size() >= 0xFFFF) fail(DiagCode::kUnsupportedField, e.span, "too many fields in one expression");
        fields.push_back(f);
      }
      t.node.kind = SNode::Kind::kField;
      t.node.field = static_cast<uint16_t>(idx);
      t.type = type_of_family(f.family);
      return t;
    }
    case ExprKind::kNeg: {
      Typed a = value_expr(*e.args[0], fields);
      if (!is_numeric(a.type)) fail(DiagCode::kArgumentType, e.span, fmt::format("cannot negate [{}] of type [{}]", source(e.args[0]->span), type_name(a.type)));
      t.type = a.type;
      t.node.kind = SNode::Kind::kNeg;
      t.node.args.push_back(std::move(a.node));
      fold_if_constant(t, e.span);
      return t;
    }
    case ExprKind::kArith: {
      Typed a = value_expr(*e.args[0], fields);
      Typed b = value_expr(*e.args[1], fields);
      for (const Typed* x : {&a, &b}) {
        if (!is_numeric(x->type)) {
          const Expr& ex = x == &a ? *e.args[0] : *e.args[1];
          fail(DiagCode::kArgumentType, ex.span,
               fmt::format("arithmetic needs numbers, [{}] is of type [{}]", source(ex.span), type_name(x->type)));
        }
      }
      t.type = (a.type == SType::kInt && b.type == SType::kInt) ? SType::kInt
               : (a.type == SType::kDouble || b.type == SType::kDouble) ? SType::kDouble
                                                                         : SType::kAny;
      static constexpr char kOps[] = {'+', '-', '*', '/', '%'};
      t.node.kind = SNode::Kind::kArith;
      t.node.arith = kOps[static_cast<int>(e.arith)];
      t.node.args.push_back(std::move(a.node));
      t.node.args.push_back(std::move(b.node));
      fold_if_constant(t, e.span);
      return t;
    }
    case ExprKind::kCall:
      return call_expr(e, fields);
    case ExprKind::kCompare: {
      Typed a = value_expr(*e.args[0], fields);
      Typed b = value_expr(*e.args[1], fields);
      int cmp = static_cast<int>(e.cmp);
      if (!a.constant && !b.constant && has_field(*e.args[0]) && has_field(*e.args[1])) {
        fail(DiagCode::kFieldVsField, e.args[1]->span,
             fmt::format("Comparisons against fields are not (currently) supported; offender [{}] in [{}]",
                         source(e.args[1]->span), source(e.span)));
      }
      if (a.constant && !b.constant) {
        std::swap(a, b);
        cmp = static_cast<int>(mirror(e.cmp));
      }
      // `x == null` / `x != null` test presence (ES rewrites them to IS NULL / IS NOT NULL).
      if (b.constant && b.node.value.is_null() && (cmp == 0 || cmp == 1)) {
        t.type = SType::kBool;
        t.node.kind = cmp == 0 ? SNode::Kind::kIsNull : SNode::Kind::kIsNotNull;
        t.node.args.push_back(std::move(a.node));
        fold_if_constant(t, e.span);
        return t;
      }
      // A numeric expression compared with a string constant: the string must be a number.
      if ((a.type == SType::kInt || a.type == SType::kDouble) && b.constant && b.node.value.kind == SValue::Kind::kString) {
        auto n = parse_number(b.node.value.s);
        if (!n) fail(DiagCode::kTypeMismatch, e.span, fmt::format("cannot compare [{}] of type [{}] with [{}]", source(e.args[0]->span), type_name(a.type), describe(b.node.value)));
        b.node.value = *n;
        b.type = n->kind == SValue::Kind::kInt ? SType::kInt : SType::kDouble;
      }
      const bool compatible = a.type == SType::kAny || b.type == SType::kAny || a.type == SType::kNull ||
                              b.type == SType::kNull || a.type == b.type ||
                              ((a.type == SType::kInt || a.type == SType::kDouble) && (b.type == SType::kInt || b.type == SType::kDouble));
      if (!compatible) {
        fail(DiagCode::kTypeMismatch, e.span,
             fmt::format("cannot compare [{}] of type [{}] with [{}] of type [{}]", source(e.args[0]->span), type_name(a.type),
                         source(e.args[1]->span), type_name(b.type)));
      }
      t.type = SType::kBool;
      t.node.kind = SNode::Kind::kCompare;
      t.node.cmp = cmp;
      t.node.args.push_back(std::move(a.node));
      t.node.args.push_back(std::move(b.node));
      fold_if_constant(t, e.span);
      return t;
    }
    case ExprKind::kIn: {
      Typed a = value_expr(*e.args[0], fields);
      t.type = SType::kBool;
      t.node.kind = SNode::Kind::kIn;
      t.node.negated = e.negated;
      t.node.insensitive = e.insensitive;
      if (e.insensitive && !is_stringish(a.type))
        fail(DiagCode::kArgumentType, e.args[0]->span, fmt::format("in~ needs a string, [{}] is of type [{}]", source(e.args[0]->span), type_name(a.type)));
      for (size_t i = 1; i < e.args.size(); ++i) {
        if (has_field(*e.args[i]))
          fail(DiagCode::kFieldVsField, e.args[i]->span,
               fmt::format("Comparisons against fields are not (currently) supported; offender [{}] in [{}]", source(e.args[i]->span), source(e.span)));
        SValue c = fold_constant(*e.args[i]);
        if ((a.type == SType::kInt || a.type == SType::kDouble) && c.kind == SValue::Kind::kString) {
          auto n = parse_number(c.s);
          if (!n) fail(DiagCode::kTypeMismatch, e.args[i]->span, fmt::format("cannot compare [{}] of type [{}] with [{}]", source(e.args[0]->span), type_name(a.type), describe(c)));
          c = *n;
        }
        t.node.set.push_back(pooled(c));
      }
      t.node.args.push_back(std::move(a.node));
      if (t.node.args[0].kind == SNode::Kind::kConst) {
        t.node.args[0].value = pooled(t.node.args[0].value);
        fold_if_constant(t, e.span);
      }
      return t;
    }
    case ExprKind::kMatch: {
      Typed a = value_expr(*e.args[0], fields);
      if (!is_stringish(a.type))
        fail(DiagCode::kArgumentType, e.args[0]->span,
             fmt::format("{} needs a string, [{}] is of type [{}]", e.name, source(e.args[0]->span), type_name(a.type)));
      auto matcher = std::make_shared<StringMatcher>(e.insensitive);
      for (size_t i = 1; i < e.args.size(); ++i) {
        if (has_field(*e.args[i]))
          fail(DiagCode::kNotConstant, e.args[i]->span, fmt::format("the pattern of {} must be a constant", e.name));
        SValue c = fold_constant(*e.args[i]);
        if (c.is_null()) continue;
        if (c.kind != SValue::Kind::kString)
          fail(DiagCode::kArgumentType, e.args[i]->span, fmt::format("the pattern of {} must be a string, found [{}]", e.name, describe(c)));
        if (e.match == ast::MatchOp::kRegex) {
          Status st = matcher->add_regex(c.s);
          if (!st) fail(DiagCode::kUnsupportedRegex, e.args[i]->span, st.message());
        } else {
          matcher->add_wildcard(c.s, false);
        }
      }
      Status st = matcher->finish();
      if (!st) fail(DiagCode::kBadRegex, e.span, st.message());
      t.type = SType::kBool;
      t.node.kind = SNode::Kind::kMatch;
      t.node.matcher = std::move(matcher);
      t.node.args.push_back(std::move(a.node));
      fold_if_constant(t, e.span);
      return t;
    }
    case ExprKind::kAnd:
    case ExprKind::kOr:
    case ExprKind::kNot: {
      t.type = SType::kBool;
      t.node.kind = e.kind == ExprKind::kAnd ? SNode::Kind::kAnd : e.kind == ExprKind::kOr ? SNode::Kind::kOr : SNode::Kind::kNot;
      for (const auto& x : e.args) {
        Typed a = value_expr(*x, fields);
        if (a.type != SType::kBool && a.type != SType::kNull && a.type != SType::kAny)
          fail(DiagCode::kTypeMismatch, x->span, fmt::format("[{}] is of type [{}], not boolean", source(x->span), type_name(a.type)));
        t.node.args.push_back(std::move(a.node));
      }
      fold_if_constant(t, e.span);
      return t;
    }
  }
  return t;
}

Compiler::Typed Compiler::call_expr(const Expr& e, std::vector<FieldRef>& fields) {
  const FunctionInfo* fi = find_function(e.name);
  if (!fi) {
    if (auto repl = endgame_function_replacement(e.name)) {
      fail(DiagCode::kUnknownFunction, e.name_span, fmt::format("function \"{}\" is not supported by Elasticsearch EQL", e.name),
           std::string(*repl));
    }
    std::string_view near = suggest_function(e.name);
    if (!near.empty())
      fail(DiagCode::kUnknownFunction, e.name_span, fmt::format("unknown function \"{}\" (did you mean \"{}\"?)", e.name, near));
    fail(DiagCode::kUnknownFunction, e.name_span, fmt::format("unknown function \"{}\"", e.name));
  }
  if (e.insensitive && !fi->has_insensitive_form)
    fail(DiagCode::kNoCaseInsensitiveForm, e.name_span, fmt::format("function [{}] has no case-insensitive form", e.name));
  const size_t n = e.args.size();
  if (n < fi->min_args || (fi->max_args != 255 && n > fi->max_args)) {
    std::string expected = fi->max_args == 255 ? fmt::format("at least {}", fi->min_args)
                           : fi->min_args == fi->max_args ? std::to_string(fi->min_args)
                                                          : fmt::format("{} to {}", fi->min_args, fi->max_args);
    fail(DiagCode::kArity, e.span, fmt::format("function [{}] takes {} arguments, found {}", e.name, expected, n));
  }
  std::vector<Typed> args;
  for (const auto& a : e.args) args.push_back(value_expr(*a, fields));

  static constexpr const char* kOrdinal[] = {"first", "second", "third", "fourth", "fifth"};
  auto require = [&](size_t i, bool ok, std::string_view want) {
    if (ok) return;
    fail(DiagCode::kArgumentType, e.args[i]->span,
         fmt::format("{} argument of [{}] must be [{}], found value [{}] type [{}]", i < 5 ? kOrdinal[i] : "an", source(e.span), want,
                     source(e.args[i]->span), type_name(args[i].type)));
  };
  auto stringish = [&](size_t i) { return args[i].type == SType::kString || args[i].type == SType::kAny || args[i].type == SType::kNull; };
  auto numberish = [&](size_t i) {
    return args[i].type == SType::kInt || args[i].type == SType::kDouble || args[i].type == SType::kAny || args[i].type == SType::kNull;
  };
  SType result = SType::kAny;
  switch (fi->fn) {
    case Fn::kAdd: case Fn::kSubtract: case Fn::kMultiply: case Fn::kDivide: case Fn::kModulo:
      require(0, numberish(0), "numeric");
      require(1, numberish(1), "numeric");
      result = (args[0].type == SType::kInt && args[1].type == SType::kInt) ? SType::kInt
               : (args[0].type == SType::kDouble || args[1].type == SType::kDouble) ? SType::kDouble
                                                                                     : SType::kAny;
      break;
    case Fn::kBetween:
      require(0, stringish(0), "string");
      require(1, stringish(1), "string");
      require(2, stringish(2), "string");
      if (n > 3) require(3, args[3].constant && (args[3].type == SType::kBool || args[3].type == SType::kNull), "boolean constant");
      result = SType::kString;
      break;
    case Fn::kCidrMatch: {
      const bool ip_field = e.args[0]->kind == ExprKind::kField &&
                            (resolve_field(*e.args[0]).family == TypeFamily::kIp || resolve_field(*e.args[0]).family == TypeFamily::kUnknown);
      require(0, ip_field || args[0].type == SType::kNull || (args[0].constant && args[0].type == SType::kString), "ip");
      for (size_t i = 1; i < n; ++i) {
        require(i, args[i].constant && (args[i].type == SType::kString || args[i].type == SType::kNull), "string constant");
        if (args[i].type == SType::kString && !parse_cidr(args[i].node.value.s))
          fail(DiagCode::kLiteralCoercion, e.args[i]->span, fmt::format("[{}] is not a CIDR block", args[i].node.value.s));
      }
      result = SType::kBool;
      break;
    }
    case Fn::kConcat:
      result = SType::kString;
      break;
    case Fn::kEndsWith: case Fn::kStartsWith: case Fn::kStringContains:
      require(0, stringish(0), "string");
      require(1, stringish(1), "string");
      result = SType::kBool;
      break;
    case Fn::kIndexOf:
      require(0, stringish(0), "string");
      require(1, stringish(1), "string");
      if (n > 2) require(2, numberish(2), "numeric");
      result = SType::kInt;
      break;
    case Fn::kLength:
      require(0, stringish(0), "string");
      result = SType::kInt;
      break;
    case Fn::kNumber:
      require(0, stringish(0), "string");
      if (n > 1) require(1, args[1].constant && (args[1].type == SType::kInt || args[1].type == SType::kNull), "integer constant");
      if (n > 1 && args[1].type == SType::kInt && (args[1].node.value.i < 2 || args[1].node.value.i > 36))
        fail(DiagCode::kArgumentType, e.args[1]->span, "the base of number() must be between 2 and 36");
      result = SType::kAny;
      break;
    case Fn::kString:
      result = SType::kString;
      break;
    case Fn::kSubstring:
      require(0, stringish(0), "string");
      require(1, numberish(1), "integer");
      if (n > 2) require(2, numberish(2), "integer");
      result = SType::kString;
      break;
  }
  Typed t;
  t.type = result;
  t.node.kind = SNode::Kind::kCall;
  t.node.fn = fi->fn;
  t.node.insensitive = e.insensitive;
  for (auto& a : args) t.node.args.push_back(std::move(a.node));
  fold_if_constant(t, e.span);
  return t;
}

}  // namespace audetect::eql
