#include "base/utf8.h"

namespace audetect::utf8 {
namespace {

// Length of the well-formed sequence starting at s[i], or 0 if ill-formed (Unicode Table 3-7).
size_t sequence_length(const unsigned char* s, size_t i, size_t n) {
  unsigned char c = s[i];
  if (c < 0x80) return 1;
  auto cont = [&](size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return i + k < n && s[i + k] >= lo && s[i + k] <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

// Length of the maximal ill-formed prefix at s[i] (at least 1), per the "substitution of
// maximal subparts" practice.
size_t bad_length(const unsigned char* s, size_t i, size_t n) {
  unsigned char c = s[i];
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) need = 1;
  else if (c == 0xE0) { need = 2; lo = 0xA0; }
  else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) need = 2;
  else if (c == 0xED) { need = 2; hi = 0x9F; }
  else if (c == 0xF0) { need = 3; lo = 0x90; }
  else if (c >= 0xF1 && c <= 0xF3) need = 3;
  else if (c == 0xF4) { need = 3; hi = 0x8F; }
  else return 1;
  size_t k = 1;
  if (i + k < n && s[i + k] >= lo && s[i + k] <= hi) {
    ++k;
    while (k <= need && i + k < n && s[i + k] >= 0x80 && s[i + k] <= 0xBF) ++k;
  }
  return k;
}

}  // namespace

bool valid(std::string_view sv) {
  const auto* s = reinterpret_cast<const unsigned char*>(sv.data());
  size_t n = sv.size(), i = 0;
  while (i < n) {
    if (s[i] < 0x80) { ++i; continue; }
    size_t len = sequence_length(s, i, n);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

void append_repaired(std::string& out, std::string_view sv) {
  const auto* s = reinterpret_cast<const unsigned char*>(sv.data());
  size_t n = sv.size(), i = 0, start = 0;
  while (i < n) {
    if (s[i] < 0x80) { ++i; continue; }
    size_t len = sequence_length(s, i, n);
    if (len) { i += len; continue; }
    out.append(sv.data() + start, i - start);
    out.append("\xEF\xBF\xBD");
    i += bad_length(s, i, n);
    start = i;
  }
  out.append(sv.data() + start, n - start);
}

std::string_view repaired(std::string_view s, std::string& scratch) {
  if (valid(s)) return s;
  scratch.clear();
  append_repaired(scratch, s);
  return scratch;
}

}  // namespace audetect::utf8
