// Query diagnostics as values: a stable code, a severity, the byte span in the query text and a
// message, rendered like a compiler error (message, `--> query:L:C`, the source line with carets).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace audetect::eql {

// Byte offsets [begin, end) into the query text.
struct Span {
  uint32_t begin = 0;
  uint32_t end = 0;
  static Span cover(Span a, Span b) { return {a.begin < b.begin ? a.begin : b.begin, a.end > b.end ? a.end : b.end}; }
};

enum class Severity : uint8_t { kError, kWarning };

// Stable diagnostic codes: tests and tools may match on them; never renumber.
enum class DiagCode : uint16_t {
  // E1xx lexical
  kUnexpectedChar = 101,
  kUnterminatedString = 102,
  kBadEscape = 103,
  kNewlineInString = 104,
  kUnterminatedComment = 105,
  kUnterminatedQuotedName = 106,
  kBadNumber = 107,
  kEndgameString = 108,       // 'x' or ?"x"
  // E2xx syntax
  kUnexpectedToken = 201,
  kTooDeep = 202,
  kEndgameSyntax = 203,       // =, join, of, method syntax ...
  kUnsupportedPipe = 204,
  kBadSequence = 205,
  kBadSpan = 206,
  kBadRuns = 207,
  // E3xx analysis
  kUnknownField = 301,
  kUnknownFunction = 302,
  kArity = 303,
  kArgumentType = 304,
  kTypeMismatch = 305,
  kNotConstant = 306,
  kFieldVsField = 307,
  kArrayIndex = 308,
  kBadRegex = 309,
  kUnsupportedRegex = 310,
  kLiteralCoercion = 311,
  kNoCaseInsensitiveForm = 312,
  kTextField = 313,
  kUnsupportedField = 314,
  kBadKey = 315,
  kConstantError = 316,     // folding a constant raised an error (division by zero, overflow)
  // W4xx warnings
  kUnknownFieldUntyped = 401,
  kPushdownWildcard = 402,
  kLiteralWildcard = 403,   // `*` in == / != / in: literal since ES 7.12
};

struct Diagnostic {
  DiagCode code;
  Severity severity = Severity::kError;
  Span span;
  std::string message;
  std::string help;  // optional second line ("did you mean ...")

  std::string code_name() const;  // "E301", "W401"
};

class Diagnostics {
 public:
  void error(DiagCode code, Span span, std::string message, std::string help = {});
  void warning(DiagCode code, Span span, std::string message, std::string help = {});
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  void append(const Diagnostics& other);

  bool has_errors() const;
  bool empty() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }
  const Diagnostic* first_error() const;

  // Every diagnostic rendered against `source`, e.g.
  //   error[E302]: unknown function "lenght" (did you mean "length"?)
  //    --> query:1:22
  //     |
  //   1 | process where lenght(process.name) > 3
  //     |               ^^^^^^
  std::string render(std::string_view source, std::string_view source_name = "query") const;

 private:
  std::vector<Diagnostic> items_;
};

std::string render_diagnostic(const Diagnostic& d, std::string_view source, std::string_view source_name = "query");

// 1-based line and column (in bytes) of a byte offset.
struct LineColumn {
  uint32_t line = 1;
  uint32_t column = 1;
};
LineColumn line_column(std::string_view source, uint32_t offset);

}  // namespace audetect::eql
