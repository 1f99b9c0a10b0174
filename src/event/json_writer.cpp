#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "base/utf8.h"
#include "event/json.h"

namespace audetect {

namespace {

// Bytes that cannot be copied as they are: quote, backslash, control characters, and anything
// non-ASCII (which needs UTF-8 validation).
constexpr bool needs_care(unsigned char c) { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80; }

// Worst case output of one input byte: a control character as \u00XX. (An invalid UTF-8 byte
// becomes U+FFFD, 3 bytes; a valid sequence is copied.)
constexpr size_t kMaxBytesPerByte = 6;

// Appends to a std::string through a raw pointer: room is made once per item (for the item's worst
// case) instead of a capacity check per byte or per piece. The string holds zero-filled slack
// while the cursor is live; close() trims it. Growth goes through resize(), so the string keeps
// its usual geometric growth and no allocation happens once the caller's buffer is warm.
class Cursor {
 public:
  // min_step: slack made per growth; a cursor that writes many items amortizes the zero-fill
  // of resize() over them, one that writes a single item asks for just what it needs.
  Cursor(std::string& s, size_t min_step) : s_(s), len_(s.size()), min_step_(min_step) {}
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  ~Cursor() { close(); }

  void close() {
    if (len_ != s_.size()) s_.resize(len_);
  }
  // At least n writable bytes at cur().
  char* room(size_t n) {
    if (s_.size() - len_ < n) grow(n);
    return s_.data() + len_;
  }
  void advance_to(char* p) { len_ = static_cast<size_t>(p - s_.data()); }
  void put(char c) { *room(1) = c, ++len_; }
  void put(std::string_view v) {
    char* p = room(v.size());
    std::memcpy(p, v.data(), v.size());
    len_ += v.size();
  }
  // The string as a std::string, for the rare paths that append through utf8::append_repaired;
  // call resume() afterwards.
  std::string& suspend() {
    close();
    return s_;
  }
  void resume() { len_ = s_.size(); }

 private:
  void grow(size_t n) {
    // Bounded steps keep the zero-fill of resize() cheap; the string's capacity still grows
    // geometrically underneath.
    s_.resize(len_ + std::max(n, min_step_));
  }
  std::string& s_;
  size_t len_;
  size_t min_step_;
};

// Slack per growth while writing a whole document (a typical ECS document is 1-3 KB). resize()
// zero-fills the slack and close() gives it back, so each document pays for what its steps add:
// small steps waste less of that fill than one step as large as a document.
constexpr size_t kDocumentStep = 1024;

char* escape_ascii(char* p, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  *p++ = '\\';
  switch (c) {
    case '"': *p++ = '"'; return p;
    case '\\': *p++ = '\\'; return p;
    case '\n': *p++ = 'n'; return p;
    case '\r': *p++ = 'r'; return p;
    case '\t': *p++ = 't'; return p;
    case '\b': *p++ = 'b'; return p;
    case '\f': *p++ = 'f'; return p;
    default:
      std::memcpy(p, "u00", 3);
      p[3] = kHex[c >> 4];
      p[4] = kHex[c & 0xF];
      return p + 5;
  }
}

#if defined(__SSE2__)
// Bit i set when byte i of v needs care. The signed compare flags bytes >= 0x80 as "< 0x20" too
// (they are negative), which is what we want: they need UTF-8 validation.
inline unsigned care_mask(__m128i v) {
  __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                             _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                          _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
  return static_cast<unsigned>(_mm_movemask_epi8(bad));
}
#endif

// Whether a 16-byte load at p stays within p's page, so reading past the end of the object
// there cannot fault. Sanitizers would still report such a read (it is outside the object), so
// sanitized builds never over-read.
inline bool can_over_read(const char* p) {
#if defined(__SANITIZE_ADDRESS__)
  (void)p;
  return false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
  (void)p;
  return false;
#else
  return (reinterpret_cast<uintptr_t>(p) & 4095) <= 4096 - 16;
#endif
#else
  return (reinterpret_cast<uintptr_t>(p) & 4095) <= 4096 - 16;
#endif
}

// Copies the bytes of [p, end) to dst up to the first byte that needs care and returns how many
// it copied (end - p if none needs care). dst has room for end - p bytes plus 16: whole 16-byte
// blocks are stored, also past the last byte copied.
inline size_t copy_plain(const char* p, const char* end, char* dst) {
  size_t done = 0;
  size_t n = static_cast<size_t>(end - p);
#if defined(__SSE2__)
  while (n - done >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + done));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + done), v);
    if (unsigned mask = care_mask(v)) return done + static_cast<size_t>(__builtin_ctz(mask));
    done += 16;
  }
  if (done < n && can_over_read(p + done)) {
    // The tail (most strings are shorter than 16 bytes): one load within the same page, bytes
    // past the end ignored.
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + done));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + done), v);
    size_t rest = n - done;
    unsigned mask = care_mask(v) & ((1u << rest) - 1);
    return mask ? done + static_cast<size_t>(__builtin_ctz(mask)) : n;
  }
#endif
  while (done < n) {
    auto c = static_cast<unsigned char>(p[done]);
    if (needs_care(c)) return done;
    dst[done++] = static_cast<char>(c);
  }
  return done;
}

// Copies a string followed by at least 16 readable bytes (KeyTable's JSON keys) in whole 16-byte
// blocks: no library call for the ~80 keys of every document.
inline void put_padded(Cursor& out, std::string_view s) {
  static_assert(KeyTable::kJsonKeyPadding >= 16);
  char* w = out.room(s.size() + 16);
#if defined(__SSE2__)
  for (size_t i = 0; i < s.size(); i += 16)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(w + i), _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i)));
#else
  std::memcpy(w, s.data(), s.size());
#endif
  out.advance_to(w + s.size());
}

// One JSON string literal for arbitrary bytes: control characters escaped, invalid UTF-8 replaced
// by U+FFFD (maximal subparts, as utf8::append_repaired does).
void put_quoted(Cursor& out, std::string_view s) {
  const char* p = s.data();
  const char* end = p + s.size();
  // Room for the worst case plus the 16-byte overrun of the vector copy.
  char* w = out.room(s.size() * kMaxBytesPerByte + 2 + 16);
  *w++ = '"';
  while (true) {
    size_t k = copy_plain(p, end, w);
    p += k;
    w += k;
    if (p == end) break;
    auto c = static_cast<unsigned char>(*p);
    if (c < 0x80) {
      w = escape_ascii(w, c);
      ++p;
      continue;
    }
    // A run of non-ASCII bytes: copy it repaired (invalid sequences become U+FFFD). Rare in audit
    // data, so it goes through the string; the room made above covers what it adds.
    const char* q = p;
    while (q < end && static_cast<unsigned char>(*q) >= 0x80) ++q;
    out.advance_to(w);
    std::string& str = out.suspend();
    utf8::append_repaired(str, std::string_view(p, static_cast<size_t>(q - p)));
    out.resume();
    p = q;
    w = out.room(static_cast<size_t>(end - p) * kMaxBytesPerByte + 1 + 16);
  }
  *w++ = '"';
  out.advance_to(w);
}

void put_int(Cursor& out, int64_t i) {
  char* w = out.room(24);
  auto r = std::to_chars(w, w + 24, i);
  out.advance_to(r.ptr);
}

void put_double(Cursor& out, double d) {
  if (!std::isfinite(d)) {
    out.put("null");  // JSON has no NaN/Infinity
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  std::string_view text(buf, static_cast<size_t>(r.ptr - buf));
  out.put(text);
  // Keep a double recognisable as one when read back ("1.0", not "1").
  if (text.find_first_of(".eE") == std::string_view::npos) out.put(".0");
}

void put_value(Cursor& out, const Value& v) {
  switch (v.kind()) {
    case ValueKind::kNull: out.put("null"); return;
    case ValueKind::kBool: out.put(v.as_bool() ? std::string_view("true") : std::string_view("false")); return;
    case ValueKind::kInt: put_int(out, v.as_int()); return;
    case ValueKind::kDouble: put_double(out, v.as_double()); return;
    case ValueKind::kString: put_quoted(out, v.as_string()); return;
    case ValueKind::kArray: {
      out.put('[');
      bool first = true;
      for (const Value& e : v.as_array()) {
        if (!first) out.put(',');
        first = false;
        put_value(out, e);
      }
      out.put(']');
      return;
    }
    case ValueKind::kObject: {
      if (std::string_view json = v.shared_json(); !json.empty()) {
        out.put(json);
        return;
      }
      out.put('{');
      bool first = true;
      for (const Member& m : v.as_object()) {
        if (!first) out.put(',');
        first = false;
        // Interned keys are written from their pre-quoted form, when it is theirs (a member past
        // the key table's cap, or one renamed by its builder, carries its own name).
        std::string_view key = m.key != kNoKey ? KeyTable::json_key(m.key) : std::string_view();
        if (!key.empty() && key.size() == m.name.size() + 3 && key.data() + 1 == m.name.data()) {
          put_padded(out, key);
        } else {
          put_quoted(out, m.name);
          out.put(':');
        }
        put_value(out, m.value);
      }
      out.put('}');
      return;
    }
  }
}

}  // namespace

void JsonWriter::append_quoted(std::string& out, std::string_view s) {
  Cursor c(out, 0);
  put_quoted(c, s);
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
  Cursor c(out_, 0);
  put_int(c, i);
}

void JsonWriter::number(double d) {
  separator();
  Cursor c(out_, 0);
  put_double(c, d);
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
  separator();
  Cursor c(out_, v.is_object() || v.is_array() ? kDocumentStep : 0);
  put_value(c, v);
}

void write_ndjson(std::string& out, const Event& event) {
  Cursor c(out, kDocumentStep);
  if (event.valid()) put_value(c, event.root());
  else c.put("{}");
  c.put('\n');
}

}  // namespace audetect
