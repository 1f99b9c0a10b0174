#include "eql/casefold.h"

#include <algorithm>
#include <iterator>

namespace audetect::eql {

namespace {

struct FoldRun {
  uint32_t first;
  uint32_t count;
  uint32_t stride;
  int32_t delta;
};

constexpr FoldRun kFoldRuns[] = {
#include "eql/casefold_table.inc"
};

}  // namespace

uint32_t fold_code_point(uint32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  // Last run whose first code point is <= cp.
  auto it = std::upper_bound(std::begin(kFoldRuns), std::end(kFoldRuns), cp,
                             [](uint32_t c, const FoldRun& r) { return c < r.first; });
  if (it == std::begin(kFoldRuns)) return cp;
  const FoldRun& r = *std::prev(it);
  uint32_t offset = cp - r.first;
  if (offset % r.stride != 0 || offset / r.stride >= r.count) return cp;
  return static_cast<uint32_t>(static_cast<int64_t>(cp) + r.delta);
}

bool is_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

uint32_t decode_utf8(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  auto cont = [&](size_t k) { return k < s.size() && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80; };
  uint32_t cp;
  size_t n;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
    cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    cp = b0 & 0x0F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    cp = b0 & 0x07;
  } else {
    ++i;
    return 0xFFFD;
  }
  for (size_t k = 1; k < n; ++k) {
    if (!cont(i + k)) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  }
  // Overlongs, surrogates and values past U+10FFFF are ill-formed.
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return 0xFFFD;
  }
  i += n;
  return cp;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string_view fold_into(std::string_view s, std::string& out) {
  out.clear();
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c);
      ++i;
      continue;
    }
    append_utf8(out, fold_code_point(decode_utf8(s, i)));
  }
  return out;
}

std::string fold(std::string_view s) {
  std::string out;
  fold_into(s, out);
  return out;
}

size_t utf16_length(std::string_view s) {
  size_t n = 0;
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      ++n;
      continue;
    }
    n += decode_utf8(s, i) >= 0x10000 ? 2 : 1;
  }
  return n;
}

size_t byte_offset_of_utf16(std::string_view s, size_t units) {
  size_t n = 0;
  size_t i = 0;
  while (i < s.size() && n < units) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      ++n;
      continue;
    }
    n += decode_utf8(s, i) >= 0x10000 ? 2 : 1;
  }
  return i;
}

}  // namespace audetect::eql
