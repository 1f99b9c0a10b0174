#include "audit/tables.h"

#include <libaudit.h>
#include <linux/audit.h>
#include <string.h>

#include <array>
#include <cctype>
#include <limits>
#include <string>
#include <unordered_map>

namespace audetect::audit::tables {
namespace {

constexpr uint32_t kFirstType = 1000;
constexpr uint32_t kLastType = 2999;

// go-libaudit knows these numbers but libaudit 3.0.9 has no name for them. They are the only
// overrides: the control messages (never written to a log, but go-libaudit names them), REPLACE
// (the kernel's liveness probe, which auditbeat filters by name) and DAEMON_RECONFIG.
struct TypeOverride {
  uint32_t type;
  const char* name;
};
constexpr TypeOverride kTypeOverrides[] = {
    {1000, "GET"},          {1001, "SET"},          {1002, "LIST"},        {1003, "ADD"},
    {1004, "DEL"},          {1007, "WATCH_INS"},    {1008, "WATCH_REM"},   {1009, "WATCH_LIST"},
    {1010, "SIGNAL_INFO"},  {1011, "ADD_RULE"},     {1012, "DEL_RULE"},    {1013, "LIST_RULES"},
    {1014, "TRIM"},         {1015, "MAKE_EQUIV"},   {1016, "TTY_GET"},     {1017, "TTY_SET"},
    {1018, "SET_FEATURE"},  {1019, "GET_FEATURE"},  {1204, "DAEMON_RECONFIG"},
    {1329, "REPLACE"},
};

struct TypeTable {
  std::array<std::string_view, kLastType - kFirstType + 1> names{};
  std::unordered_map<std::string_view, uint32_t> numbers;

  TypeTable() {
    for (uint32_t t = kFirstType; t <= kLastType; ++t) {
      if (const char* n = audit_msg_type_to_name(static_cast<int>(t))) names[t - kFirstType] = n;
    }
    for (const auto& o : kTypeOverrides) names[o.type - kFirstType] = o.name;
    for (uint32_t t = kFirstType; t <= kLastType; ++t) {
      if (!names[t - kFirstType].empty()) numbers.emplace(names[t - kFirstType], t);
    }
  }
};

const TypeTable& type_table() {
  static const TypeTable table;
  return table;
}

// go-libaudit's arch names (its AuditArchNames); the numbers are the kernel's AUDIT_ARCH_*.
struct ArchName {
  uint32_t arch;
  std::string_view name;
};
constexpr ArchName kArchNames[] = {
    {AUDIT_ARCH_AARCH64, "aarch64"},   {AUDIT_ARCH_ARM, "arm"},
    {AUDIT_ARCH_ARMEB, "armeb"},       {AUDIT_ARCH_C6X, "c6x"},
    {AUDIT_ARCH_C6XBE, "c6xbe"},       {AUDIT_ARCH_CRIS, "cris"},
    {AUDIT_ARCH_FRV, "frv"},           {AUDIT_ARCH_H8300, "h8300"},
    {AUDIT_ARCH_I386, "i386"},         {AUDIT_ARCH_IA64, "ia64"},
    {AUDIT_ARCH_M32R, "m32r"},         {AUDIT_ARCH_M68K, "m68k"},
    {AUDIT_ARCH_MIPS, "mips"},         {AUDIT_ARCH_MIPS64, "mips64"},
    {AUDIT_ARCH_MIPS64N32, "mips64n32"}, {AUDIT_ARCH_MIPSEL, "mipsel"},
    {AUDIT_ARCH_MIPSEL64, "mipsel64"}, {AUDIT_ARCH_MIPSEL64N32, "mipsel64n32"},
    {AUDIT_ARCH_NIOS2, "nios2"},       {AUDIT_ARCH_PARISC, "parisc"},
    {AUDIT_ARCH_PARISC64, "parisc64"}, {AUDIT_ARCH_PPC, "ppc"},
    {AUDIT_ARCH_PPC64, "ppc64"},       {AUDIT_ARCH_PPC64LE, "ppc64le"},
    {AUDIT_ARCH_S390, "s390"},         {AUDIT_ARCH_S390X, "s390x"},
    {AUDIT_ARCH_SH, "sh"},             {AUDIT_ARCH_SH64, "sh64"},
    {AUDIT_ARCH_SHEL, "shel"},         {AUDIT_ARCH_SHEL64, "shel64"},
    {AUDIT_ARCH_SPARC, "sparc"},       {AUDIT_ARCH_SPARC64, "sparc64"},
    {AUDIT_ARCH_X86_64, "x86_64"},
};

// go-libaudit's syscall tables are generated from the same audit-userspace tables libaudit ships,
// keyed by its arch name; libaudit keys them by machine.
struct ArchMachine {
  std::string_view name;
  int machine;
};
constexpr ArchMachine kArchMachines[] = {
    {"x86_64", MACH_86_64}, {"i386", MACH_X86},    {"aarch64", MACH_AARCH64},
    {"arm", MACH_ARM},      {"ppc", MACH_PPC},     {"ppc64", MACH_PPC64},
    {"ppc64le", MACH_PPC64LE}, {"s390", MACH_S390}, {"s390x", MACH_S390X},
};

}  // namespace

std::string_view type_name(uint32_t type) {
  if (type < kFirstType || type > kLastType) return {};
  return type_table().names[type - kFirstType];
}

uint32_t type_number(std::string_view name) {
  char upper[64];
  if (name.empty() || name.size() > sizeof upper) return 0;
  for (size_t i = 0; i < name.size(); ++i) {
    upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[i])));
  }
  const auto& numbers = type_table().numbers;
  auto it = numbers.find(std::string_view(upper, name.size()));
  return it == numbers.end() ? 0 : it->second;
}

std::string_view arch_name(uint32_t arch) {
  for (const auto& a : kArchNames) {
    if (a.arch == arch) return a.name;
  }
  return {};
}

std::string_view syscall_name(std::string_view arch, int64_t number) {
  if (number < 0 || number > std::numeric_limits<int>::max()) return {};
  for (const auto& m : kArchMachines) {
    if (m.name == arch) {
      const char* n = audit_syscall_to_name(static_cast<int>(number), m.machine);
      return n ? std::string_view(n) : std::string_view();
    }
  }
  return {};
}

std::string_view errno_name(int64_t number) {
  // libaudit's table is the same as go-libaudit's (1..133, no 41 and 58).
  if (number <= 0 || number > 4096) return {};
  const char* n = audit_errno_to_name(static_cast<int>(number));
  return n ? std::string_view(n) : std::string_view();
}

std::string_view signal_name(int64_t number) {
  // go's unix.SignalName uses the kernel names; glibc's abbreviations differ only for 29, which
  // glibc calls POLL and the kernel (and Go) SIGIO.
  static const auto names = [] {
    std::array<std::string, 32> out{};
    for (int i = 1; i < 32; ++i) {
      if (const char* abbrev = sigabbrev_np(i)) out[i] = std::string("SIG") + abbrev;
    }
    out[29] = "SIGIO";
    return out;
  }();
  if (number <= 0 || number >= 32) return {};
  return names[static_cast<size_t>(number)];
}

}  // namespace audetect::audit::tables
