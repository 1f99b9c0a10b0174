// Equality of short strings (field names, keys) without a library call: names are mostly under 16 bytes
// and often share their length ("uid", "gid", "pid"), where std::string_view's == calls memcmp.
#pragma once

#include <cstring>
#include <string_view>

namespace audetect {

inline bool equal_short(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.size() > 16) return std::memcmp(a.data(), b.data(), a.size()) == 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

}  // namespace audetect
