// Case-insensitive matching as Elasticsearch does it: each code point is lower-cased on its own
// with the simple Unicode mapping (Java Character.toLowerCase, Locale.ROOT); no multi-character
// folds (ß stays ß). ASCII takes a fast path. Invalid UTF-8 bytes decode as U+FFFD.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace audetect::eql {

uint32_t fold_code_point(uint32_t cp);

// Appends the folded form of `s` to `out` (cleared first). Returns a view of `out`.
std::string_view fold_into(std::string_view s, std::string& out);
std::string fold(std::string_view s);

bool is_ascii(std::string_view s);

// Decodes one code point at s[i] (advancing i); ill-formed sequences give U+FFFD and advance by 1.
uint32_t decode_utf8(std::string_view s, size_t& i);
void append_utf8(std::string& out, uint32_t cp);

// Length in UTF-16 code units (Java String.length()).
size_t utf16_length(std::string_view s);
// Byte offset of the UTF-16 unit index `units` (clamped to the end); a split surrogate pair
// rounds forward.
size_t byte_offset_of_utf16(std::string_view s, size_t units);

}  // namespace audetect::eql
