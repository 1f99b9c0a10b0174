#include <charconv>
#include <cmath>

#include "base/utf8.h"
#include "event/json.h"

namespace audetect {

namespace {

// Bytes that cannot be copied as they are: quote, backslash, control characters, and anything
// non-ASCII (which needs UTF-8 validation).
constexpr bool needs_care(unsigned char c) { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80; }

void append_escaped_ascii(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    case '\b': out += "\\b"; return;
    case '\f': out += "\\f"; return;
    default:
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
  }
}

}  // namespace

void JsonWriter::append_quoted(std::string& out, std::string_view s) {
  out += '"';
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (!needs_care(c)) continue;
    out.append(s.data() + start, i - start);
    if (c < 0x80) {
      append_escaped_ascii(out, c);
      start = i + 1;
      continue;
    }
    // A run of non-ASCII bytes: copy it repaired (invalid sequences become U+FFFD).
    size_t j = i;
    while (j < s.size() && static_cast<unsigned char>(s[j]) >= 0x80) ++j;
    utf8::append_repaired(out, s.substr(i, j - i));
    i = j - 1;
    start = j;
  }
  out.append(s.data() + start, s.size() - start);
  out += '"';
}

void JsonWriter::separator() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (depth_ == 0) return;
  uint64_t bit = uint64_t{1} << ((depth_ - 1) & 63);
  if (need_comma_ & bit) out_ += ',';
  need_comma_ |= bit;
}

void JsonWriter::begin_object() {
  separator();
  out_ += '{';
  ++depth_;
  need_comma_ &= ~(uint64_t{1} << ((depth_ - 1) & 63));
}

void JsonWriter::end_object() {
  --depth_;
  out_ += '}';
}

void JsonWriter::begin_array() {
  separator();
  out_ += '[';
  ++depth_;
  need_comma_ &= ~(uint64_t{1} << ((depth_ - 1) & 63));
}

void JsonWriter::end_array() {
  --depth_;
  out_ += ']';
}

void JsonWriter::key(std::string_view k) {
  separator();
  append_quoted(out_, k);
  out_ += ':';
  after_key_ = true;
}

void JsonWriter::string(std::string_view s) {
  separator();
  append_quoted(out_, s);
}

void JsonWriter::integer(int64_t i) {
  separator();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, i);
  out_.append(buf, r.ptr);
}

void JsonWriter::number(double d) {
  separator();
  if (!std::isfinite(d)) {
    out_ += "null";  // JSON has no NaN/Infinity
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  std::string_view text(buf, static_cast<size_t>(r.ptr - buf));
  out_ += text;
  // Keep a double recognisable as one when read back ("1.0", not "1").
  if (text.find_first_of(".eE") == std::string_view::npos) out_ += ".0";
}

void JsonWriter::boolean(bool b) {
  separator();
  out_ += b ? "true" : "false";
}

void JsonWriter::null() {
  separator();
  out_ += "null";
}

void JsonWriter::value(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kNull: null(); return;
    case ValueKind::kBool: boolean(v.as_bool()); return;
    case ValueKind::kInt: integer(v.as_int()); return;
    case ValueKind::kDouble: number(v.as_double()); return;
    case ValueKind::kString: string(v.as_string()); return;
    case ValueKind::kArray:
      begin_array();
      for (const Value& e : v.as_array()) value(e);
      end_array();
      return;
    case ValueKind::kObject:
      begin_object();
      for (const Member& m : v.as_object()) {
        key(m.name);
        value(m.value);
      }
      end_object();
      return;
  }
}

void write_ndjson(std::string& out, const Event& event) {
  JsonWriter w(out);
  if (event.valid()) w.value(event.root());
  else out += "{}";
  out += '\n';
}

}  // namespace audetect
