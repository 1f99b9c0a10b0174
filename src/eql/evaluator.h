// The compiled form of a condition and its evaluation (docs/eql.md §6 two-layer model).
//
// A condition is a tree of BoolNodes: and/or/not over
//  * index predicates: one field tested against constants (any value of a multi-valued field
//    satisfies it; a missing field gives false; never unknown), and
//  * scripts: expressions evaluated with three-valued logic once per combination of field values;
//    true if any combination yields true.
// Fields are resolved to FieldPaths once; constants are folded and coerced to the field type at
// compile time; string tests are StringMatchers (hash sets / one automaton). Checks under an `and`
// or `or` are ordered cheapest first.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eql/eql.h"
#include "eql/functions.h"
#include "eql/schema.h"
#include "eql/wildcard.h"
#include "event/event.h"

namespace audetect::eql {

// A field as the evaluator reads it.
struct FieldRef {
  FieldPath path;     // after alias / sub-field resolution
  std::string name;   // as written in the query
  TypeFamily family = TypeFamily::kUnknown;  // kUnknown: untyped (by JSON value)
  uint32_t ignore_above = 0;
  std::optional<std::string> null_value;
  std::vector<std::string> date_formats;
  bool always_null = false;  // `?field` unknown to the schema
};

// A numeric constant kept exact when integral.
struct NumConst {
  bool is_int = true;
  int64_t i = 0;
  double d = 0;
  double as_double() const { return is_int ? static_cast<double>(i) : d; }
};

enum class RangeOp : uint8_t { kLt, kLe, kGt, kGe };

struct IndexPred {
  enum class Test : uint8_t {
    kExists,    // at least one value
    kStrings,   // text of a value matched by `strings`
    kStrRange,  // text compared with `str` (code point order)
    kNumEq,     // numeric value equal to one of `nums`
    kNumRange,  // numeric value in range with `nums[0]`
    kBoolEq,    // boolean value equals `boolean`
    kIp,        // address inside one of `cidrs`
    kVersionRange,  // version compared with `str` (op) ; kVersionEq uses kStrings
  };
  FieldRef field;
  Test test = Test::kExists;
  RangeOp op = RangeOp::kLt;
  std::unique_ptr<StringMatcher> strings;
  std::string str;
  std::vector<NumConst> nums;
  bool boolean = false;
  std::vector<CidrBlock> cidrs;
  // Untyped fields compare by the JSON kind of the constant: set when the family is unknown.
  bool numeric_strings = true;  // numeric tests also accept numeric strings

  bool eval(const Event& event) const;
  bool test_value(const Value& v) const;
  uint32_t cost() const;
};

struct SNode {
  enum class Kind : uint8_t {
    kConst, kField, kNeg, kArith, kCall, kCompare, kIn, kMatch, kAnd, kOr, kNot, kIsNull, kIsNotNull,
  };
  Kind kind = Kind::kConst;
  SValue value;            // kConst (strings point into the program's pool)
  uint16_t field = 0;      // kField: index into Script::fields
  char arith = '+';        // kArith
  int cmp = 0;             // kCompare: 0 == 1 != 2 < 3 <= 4 > 5 >=
  Fn fn = Fn::kAdd;        // kCall
  bool insensitive = false;  // kCall ~ form, kIn in~
  bool negated = false;      // kIn: not in
  std::vector<SNode> args;
  std::shared_ptr<StringMatcher> matcher;  // kMatch
  std::vector<SValue> set;                 // kIn constants
};

struct Script {
  SNode root;
  std::vector<FieldRef> fields;
  uint32_t cost = 100;
  bool eval(const Event& event, std::atomic<uint64_t>& runtime_errors) const;
};

struct BoolNode {
  enum class Kind : uint8_t { kTrue, kFalse, kAnd, kOr, kNot, kIndex, kScript };
  Kind kind = Kind::kTrue;
  std::vector<BoolNode> children;
  std::unique_ptr<IndexPred> index;
  std::unique_ptr<Script> script;
  uint32_t cost = 0;
};

struct Predicate::Program {
  BoolNode root;
  std::deque<std::string> pool;  // owned constant strings (stable addresses)
  mutable std::atomic<uint64_t> runtime_errors{0};
};

bool eval_bool(const BoolNode& node, const Event& event, std::atomic<uint64_t>& runtime_errors);
// Evaluates a script expression without an event (constant folding). Fields must be absent.
SValue eval_constant(const SNode& node, EvalContext& ctx);
// Sorts and-/or-children cheapest first and fills in costs.
void order_by_cost(BoolNode& node);

// Reads one event value as the family sees it (shared with KeyExtractor).
std::optional<SValue> normalize_value(const Value& v, const FieldRef& field, EvalContext& ctx);

}  // namespace audetect::eql
