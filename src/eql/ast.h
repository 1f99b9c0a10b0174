// The syntax tree of one EQL statement. Every node carries the byte span of its text so the
// analyzer can point at it. The tree is produced by the parser and only read afterwards.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eql/diagnostics.h"

namespace audetect::eql::ast {

enum class LiteralKind : uint8_t { kNull, kBool, kInt, kDouble, kString };

struct Literal {
  LiteralKind kind = LiteralKind::kNull;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string s;
};

enum class ExprKind : uint8_t {
  kLiteral,
  kField,    // segments, optional
  kCall,     // name, insensitive, args
  kNeg,      // args[0]
  kArith,    // arith, args[0], args[1]
  kCompare,  // cmp, args[0], args[1]
  kIn,       // args[0] in args[1..]; negated, insensitive
  kMatch,    // args[0] (: | like | regex) args[1..]; insensitive
  kAnd,      // args...
  kOr,       // args...
  kNot,      // args[0]
};

enum class ArithOp : uint8_t { kAdd, kSub, kMul, kDiv, kMod };
enum class CmpOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };
enum class MatchOp : uint8_t { kColon, kLike, kRegex };

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  Span span;
  Literal literal;
  // kField: path segments as written (backquotes removed); `?` prefix.
  std::vector<std::string> segments;
  bool optional = false;
  // kCall: function name and its span; `~` suffix. kIn / kMatch: the `~` form.
  std::string name;
  Span name_span;
  bool insensitive = false;
  ArithOp arith = ArithOp::kAdd;
  CmpOp cmp = CmpOp::kEq;
  MatchOp match = MatchOp::kColon;
  bool negated = false;  // `not in`
  std::vector<std::unique_ptr<Expr>> args;

  std::string dotted() const;  // kField: segments joined with '.'
};

using ExprPtr = std::unique_ptr<Expr>;

struct EventQuery {
  bool any = false;       // `any where`
  std::string category;   // otherwise
  Span category_span;
  ExprPtr condition;
  Span span;
};

struct SequenceItem {
  EventQuery query;
  std::vector<ExprPtr> keys;  // per-item `by`
  bool missing = false;       // `![ ... ]`
  uint32_t runs = 1;
  Span span;
};

struct Pipe {
  std::string name;  // head / tail (others are rejected by the parser)
  int64_t count = 0;
  Span span;
};

enum class StatementKind : uint8_t { kEvent, kSequence, kSample };

struct Statement {
  StatementKind kind = StatementKind::kEvent;
  EventQuery event;                 // kEvent
  std::vector<ExprPtr> keys;        // sequence / sample `by`
  std::optional<int64_t> maxspan_nanos;
  Span maxspan_span;
  std::vector<SequenceItem> items;  // sequence items / sample filters
  std::optional<SequenceItem> until;
  std::vector<Pipe> pipes;
  Span span;
};

}  // namespace audetect::eql::ast
