// Public API of the EQL engine: parse a query, compile it against a field schema, run it.
//
//   auto compiled = eql::compile(text, schema, options);
//   if (!compiled.ok()) { std::cerr << compiled.diagnostics.render(text); return 2; }
//   const eql::CompiledQuery& q = *compiled.query;
//   if (q.kind() == eql::QueryKind::kEvent && q.matches(event)) ...
//
// A CompiledQuery is immutable and thread-compatible: matches() may run concurrently from several
// threads (per-call scratch space is thread-local). Event queries are answered by matches(); for
// sequences and samples the query exposes its stages (each with a compiled predicate and its join
// key extractors), maxspan, until, runs and pipes, and the sequence/sample runner drives them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "eql/diagnostics.h"
#include "event/event.h"

namespace audetect::eql {

class Schema;  // eql/schema.h: field name -> type, aliases, null_value, ignore_above

namespace ast {
struct Statement;
}
struct FieldRef;  // evaluator.h

// ---------------------------------------------------------------------------------------------
// Parsing (syntax only; no schema needed). Useful for tools that only validate syntax.

struct ParseResult {
  std::shared_ptr<const ast::Statement> statement;  // null when diagnostics has errors
  Diagnostics diagnostics;
  bool ok() const { return statement != nullptr && !diagnostics.has_errors(); }
};

ParseResult parse(std::string_view text);

// ---------------------------------------------------------------------------------------------
// Compilation

struct CompileOptions {
  // Field holding the event category (`process where ...` tests it); ES's event_category_field.
  std::string event_category_field = "event.category";
  // When true, a non-optional field unknown to the schema is an error (as Elasticsearch does with
  // index mappings). When false it is a warning (W401) and the field is compared untyped by its
  // JSON value: for the built-in schema, since ad-hoc logs carry fields no schema knows.
  // Unset: follow Schema::strict().
  std::optional<bool> unknown_field_is_error;
  // Emulate the keyword mapping's ignore_above (values longer than it are not indexed, so index
  // predicates never match them). The limit comes from the schema.
  bool emulate_ignore_above = true;
};

enum class QueryKind : uint8_t { kEvent, kSequence, kSample };

// An owned, hashable, comparable scalar: one value of a join key. Strings compare exactly (case
// sensitive); an int and a double compare numerically equal only if they are the same number.
class KeyValue {
 public:
  enum class Kind : uint8_t { kNull, kBool, kInt, kDouble, kString };

  KeyValue() = default;
  static KeyValue null() { return {}; }
  static KeyValue boolean(bool b);
  static KeyValue integer(int64_t i);
  static KeyValue number(double d);
  static KeyValue string(std::string_view s);
  static KeyValue from(const Value& v);  // scalar values only; arrays/objects give null

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool as_bool() const { return i_ != 0; }
  int64_t as_int() const { return i_; }
  double as_double() const { return d_; }
  const std::string& as_string() const { return s_; }

  // Text as Elasticsearch renders a join key: numbers in decimal, null as "null".
  std::string to_string() const;

  bool operator==(const KeyValue& o) const;
  bool operator<(const KeyValue& o) const;  // total order (kind first), for deterministic output
  size_t hash() const;

 private:
  Kind kind_ = Kind::kNull;
  int64_t i_ = 0;
  double d_ = 0;
  std::string s_;
};

struct KeyValueHash {
  size_t operator()(const KeyValue& k) const { return k.hash(); }
};

// Extracts the values of one join key from an event.
class KeyExtractor {
 public:
  // The field path after alias resolution (what is read from the event), and as written.
  const FieldPath& path() const { return path_; }
  const std::string& written_name() const { return written_; }
  // Written `?field`: a missing value is the key value null (missing equals missing). Without `?`
  // an event lacking the key cannot take part in the sequence/sample.
  bool optional() const { return optional_; }
  // The field is unmapped (optional and unknown to the schema): always null.
  bool always_null() const { return always_null_; }

  // Appends every value of the key in `event` (several for a multi-valued field, in document
  // order; values normalised by the field type, e.g. numeric strings of a long field become
  // ints, dates become epoch milliseconds). A missing field appends nothing, or one null when
  // optional(). Returns the number of values appended.
  size_t extract(const Event& event, std::vector<KeyValue>& out) const;

  // The key field is a date: extracted values are epoch milliseconds. Elasticsearch returns
  // sequence join keys formatted by the field's first date format (ISO 8601 by default, see
  // format_date_iso) and sample keys as epoch milliseconds.
  bool is_date() const;
  const std::vector<std::string>& date_formats() const;  // empty = strict_date_optional_time||epoch_millis

 private:
  friend class Compiler;
  FieldPath path_;
  std::string written_;
  bool optional_ = false;
  bool always_null_ = false;
  std::shared_ptr<const FieldRef> field_;  // type information used to normalise values
};

// A compiled boolean condition over one event (event category test included).
class Predicate {
 public:
  Predicate();
  ~Predicate();
  Predicate(Predicate&&) noexcept;
  Predicate& operator=(Predicate&&) noexcept;

  bool matches(const Event& event) const;

  // How many evaluations raised an error Elasticsearch reports at run time (integer overflow,
  // division by zero, number() on text that is not a number, ...). Such a predicate evaluates to
  // null (no match) and the query keeps running; callers log the count, rate-limited.
  uint64_t runtime_errors() const;

  // Implementation detail (compiled program), defined in evaluator.h.
  struct Program;
  const Program* program() const { return program_.get(); }

 private:
  friend class Compiler;
  std::unique_ptr<Program> program_;
};

struct Stage {
  Predicate predicate;
  // Join keys: the sequence/sample-level `by` keys first, then the stage's own `by` keys. Every
  // stage of a query has the same number of keys.
  std::vector<KeyExtractor> keys;
  bool missing = false;  // `![ ... ]` missing-event stage
  uint32_t runs = 1;     // `with runs=N`: the stage stands for N consecutive items
  Span span;
};

struct Pipe {
  enum class Kind : uint8_t { kHead, kTail };
  Kind kind;
  int64_t count;
  Span span;
};

class CompiledQuery {
 public:
  QueryKind kind() const { return kind_; }
  const std::string& text() const { return text_; }

  // Event queries: whether the event matches (category filter included). For sequences and
  // samples this returns false; use stages().
  bool matches(const Event& event) const {
    return kind_ == QueryKind::kEvent && stages_[0].predicate.matches(event);
  }

  // Event query: one stage (no keys). Sequence: its items in order (runs not expanded).
  // Sample: its filters in order.
  std::span<const Stage> stages() const { return stages_; }
  // `until [ ... ]` of a sequence, with keys, or null.
  const Stage* until() const { return until_ ? &*until_ : nullptr; }
  // `with maxspan=...` in nanoseconds, if given.
  std::optional<int64_t> maxspan_nanos() const { return maxspan_nanos_; }
  std::span<const Pipe> pipes() const { return pipes_; }
  // Number of join keys per stage.
  size_t key_count() const { return stages_.empty() ? 0 : stages_[0].keys.size(); }

  // Field paths (after alias resolution) any part of the query reads, deduplicated.
  const std::vector<FieldPath>& fields_read() const { return fields_read_; }

  // Facts every event matched by stage `stage` satisfies, for prefilters: for each entry the
  // event has a value at `path` exactly (case-sensitively) equal to one of `values`. Derived from
  // the index predicates under the top-level `and` (and from an `or` whose branches all require
  // the same field). Empty when the stage implies no such fact.
  struct RequiredValues {
    FieldPath path;
    std::vector<std::string> values;
  };
  std::vector<RequiredValues> required_values(size_t stage = 0) const;

 private:
  friend class Compiler;
  QueryKind kind_ = QueryKind::kEvent;
  std::string text_;
  std::vector<Stage> stages_;
  std::optional<Stage> until_;
  std::optional<int64_t> maxspan_nanos_;
  std::vector<Pipe> pipes_;
  std::vector<FieldPath> fields_read_;
};

struct CompileResult {
  std::shared_ptr<const CompiledQuery> query;  // null when diagnostics has errors
  Diagnostics diagnostics;                     // errors, or warnings for a compiled query
  bool ok() const { return query != nullptr; }
};

CompileResult compile(std::string_view text, const Schema& schema, const CompileOptions& options = {});

// Epoch milliseconds as Elasticsearch prints a date with its default format:
// "1970-01-01T00:00:00.000Z".
std::string format_date_iso(int64_t epoch_millis);

}  // namespace audetect::eql
