// Name tables used by the record parser (internal to the audit layer).
//
// The names come from libaudit (record types, syscalls per machine, errno names) wherever its
// tables agree with go-libaudit's; the few places where go-libaudit differs are overridden in
// tables.cpp with the reason next to each entry.
#pragma once

#include <cstdint>
#include <string_view>

namespace audetect::audit::tables {

// Record type number -> upper-case name, or empty when unknown.
std::string_view type_name(uint32_t type);
// Upper-case-insensitive name -> number, 0 when unknown (does not parse UNKNOWN[n]).
uint32_t type_number(std::string_view name);

// AUDIT_ARCH value -> go-libaudit's arch name ("x86_64", "aarch64", ...), or empty when unknown.
std::string_view arch_name(uint32_t arch);
// Syscall number -> name for a go-libaudit arch name, or empty when unknown.
std::string_view syscall_name(std::string_view arch_name, int64_t number);
// errno number (positive) -> name ("EACCES"), or empty when unknown.
std::string_view errno_name(int64_t number);
// Signal number -> name ("SIGSYS"), or empty when unknown.
std::string_view signal_name(int64_t number);

}  // namespace audetect::audit::tables
