#include "eql/diagnostics.h"

#include <fmt/format.h>

#include <algorithm>

namespace audetect::eql {

std::string Diagnostic::code_name() const {
  return fmt::format("{}{:03}", severity == Severity::kError ? 'E' : 'W', static_cast<unsigned>(code));
}

void Diagnostics::error(DiagCode code, Span span, std::string message, std::string help) {
  items_.push_back({code, Severity::kError, span, std::move(message), std::move(help)});
}

void Diagnostics::warning(DiagCode code, Span span, std::string message, std::string help) {
  items_.push_back({code, Severity::kWarning, span, std::move(message), std::move(help)});
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::has_errors() const { return first_error() != nullptr; }

const Diagnostic* Diagnostics::first_error() const {
  for (const auto& d : items_)
    if (d.severity == Severity::kError) return &d;
  return nullptr;
}

LineColumn line_column(std::string_view source, uint32_t offset) {
  LineColumn lc;
  const size_t end = std::min<size_t>(offset, source.size());
  for (size_t i = 0; i < end; ++i) {
    if (source[i] == '\n') {
      ++lc.line;
      lc.column = 1;
    } else {
      ++lc.column;
    }
  }
  return lc;
}

namespace {

// Control characters in the echoed line would garble a terminal; show them as spaces.
std::string printable_line(std::string_view line) {
  std::string out(line);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

}  // namespace

std::string render_diagnostic(const Diagnostic& d, std::string_view source, std::string_view source_name) {
  const LineColumn lc = line_column(source, d.span.begin);
  std::string out = fmt::format("{}[{}]: {}\n", d.severity == Severity::kError ? "error" : "warning",
                                d.code_name(), d.message);
  out += fmt::format(" --> {}:{}:{}\n", source_name, lc.line, lc.column);

  const size_t begin = std::min<size_t>(d.span.begin, source.size());
  size_t line_start = source.rfind('\n', begin == 0 ? std::string_view::npos : begin - 1);
  line_start = (line_start == std::string_view::npos || begin == 0) ? 0 : line_start + 1;
  if (begin > 0 && begin <= source.size() && source[begin - 1] == '\n') line_start = begin;
  size_t line_end = source.find('\n', begin);
  if (line_end == std::string_view::npos) line_end = source.size();
  // Very long lines (a 100,000-character query) are cut around the caret.
  constexpr size_t kContext = 80;
  size_t shown_start = line_start;
  std::string prefix;
  if (begin - line_start > kContext) {
    shown_start = begin - kContext;
    prefix = "...";
  }
  size_t shown_end = std::min(line_end, begin + kContext);
  std::string suffix = shown_end < line_end ? "..." : "";

  const std::string gutter = std::to_string(lc.line);
  const std::string pad(gutter.size(), ' ');
  out += fmt::format("{} |\n", pad);
  out += fmt::format("{} | {}{}{}\n", gutter, prefix,
                     printable_line(source.substr(shown_start, shown_end - shown_start)), suffix);
  size_t caret_len = 1;
  if (d.span.end > d.span.begin) {
    const size_t end = std::min<size_t>({d.span.end, line_end, shown_end});
    caret_len = end > begin ? end - begin : 1;
  }
  out += fmt::format("{} | {}{}{}\n", pad, std::string(prefix.size() + (begin - shown_start), ' '),
                     std::string(caret_len, '^'), "");
  if (!d.help.empty()) out += fmt::format("{} = help: {}\n", pad, d.help);
  return out;
}

std::string Diagnostics::render(std::string_view source, std::string_view source_name) const {
  std::string out;
  for (const auto& d : items_) out += render_diagnostic(d, source, source_name);
  return out;
}

}  // namespace audetect::eql
