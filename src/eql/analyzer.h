// Semantic analysis and code generation for one statement: field resolution against the schema,
// static types, function signatures, Elasticsearch's rejections, literal coercion to field types,
// constant folding, and the split into index predicates and scripts (docs/eql.md §6).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "eql/ast.h"
#include "eql/eql.h"
#include "eql/evaluator.h"
#include "eql/schema.h"

namespace audetect::eql {

class Compiler {
 public:
  Compiler(std::string_view text, const Schema& schema, const CompileOptions& options, Diagnostics& diags);

  // Null (with errors in the diagnostics) when the statement does not compile.
  std::shared_ptr<CompiledQuery> compile(const ast::Statement& statement);

 private:
  struct AnalysisError {};  // unwinds after the first error (already recorded)
  enum class SType : uint8_t { kNull, kBool, kInt, kDouble, kString, kAny };
  struct Typed {
    SNode node;
    SType type = SType::kNull;
    bool constant = false;
  };

  [[noreturn]] void fail(DiagCode code, Span span, std::string message, std::string help = {});

  // ---- analyzer.cpp
  const FieldRef& resolve_field(const ast::Expr& field);
  bool has_field(const ast::Expr& e);
  bool index_form(const ast::Expr& e);
  bool script_form(const ast::Expr& e);
  Predicate build_predicate(const ast::EventQuery& query);
  BoolNode condition(const ast::Expr& e);
  BoolNode script_node(const ast::Expr& e);
  BoolNode index_node(const ast::Expr& e);
  BoolNode compare_node(const FieldRef& f, ast::CmpOp op, const SValue& c, Span span, Span const_span);
  SValue fold_constant(const ast::Expr& e);  // e has no fields
  Typed value_expr(const ast::Expr& e, std::vector<FieldRef>& fields);
  Typed call_expr(const ast::Expr& e, std::vector<FieldRef>& fields);
  void fold_if_constant(Typed& t, Span span);
  SValue pooled(const SValue& v);
  std::string_view pooled(std::string_view s);
  std::string describe(const SValue& v) const;
  std::string_view source(Span s) const { return text_.substr(s.begin, s.end - s.begin); }
  static std::string_view type_name(SType t);
  static SType type_of_family(TypeFamily f);

  // ---- compiler.cpp
  KeyExtractor key_extractor(const ast::Expr& e);
  Stage build_stage(const ast::SequenceItem& item, const std::vector<ast::ExprPtr>& shared_keys);
  void note_field(const FieldRef& f);

  std::string_view text_;
  const Schema& schema_;
  const CompileOptions& options_;
  Diagnostics& diags_;
  bool unknown_is_error_;
  Predicate::Program* program_ = nullptr;  // the predicate being built (owns pooled constants)
  std::map<std::string, std::unique_ptr<FieldRef>, std::less<>> field_cache_;
  std::vector<FieldPath> fields_read_;
};

}  // namespace audetect::eql
