// UTF-8 validation and repair. Audit values are arbitrary bytes; JSON output must be valid UTF-8.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace audetect::utf8 {

// True if `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool valid(std::string_view s);

// Appends `s` to `out`, replacing each maximal ill-formed subsequence with U+FFFD (as WHATWG/ICU do).
void append_repaired(std::string& out, std::string_view s);

// Returns `s` if valid, otherwise a repaired copy stored in `scratch`.
std::string_view repaired(std::string_view s, std::string& scratch);

}  // namespace audetect::utf8
