#include "ecs/normalizations.h"

#include <string>
#include <unordered_map>
#include <vector>

namespace audetect::ecs::detail {
namespace {

#include "ecs/normalizations_data.inc"

struct Index {
  std::unordered_map<std::string_view, const NormalizationSpec*> by_syscall;
  std::unordered_map<std::string_view, std::vector<const NormalizationSpec*>> by_record_type;
  const NormalizationSpec* catch_all = nullptr;

  Index() {
    for (const NormalizationSpec& spec : kNormalizationTable) {
      for (std::string_view s : spec.syscalls) {
        if (s == "*") catch_all = &spec;
        by_syscall.emplace(s, &spec);
      }
      for (std::string_view t : spec.record_types) by_record_type[t].push_back(&spec);
    }
  }
};

const Index& index() {
  static const Index kIndex;
  return kIndex;
}

}  // namespace

std::span<const NormalizationSpec> normalization_table() { return kNormalizationTable; }

const NormalizationSpec* syscall_normalization(std::string_view syscall) {
  const auto& by_syscall = index().by_syscall;
  auto it = by_syscall.find(syscall);
  return it == by_syscall.end() ? nullptr : it->second;
}

const NormalizationSpec* catch_all_syscall_normalization() { return index().catch_all; }

std::span<const NormalizationSpec* const> record_type_normalizations(std::string_view record_type) {
  const auto& by_type = index().by_record_type;
  auto it = by_type.find(record_type);
  if (it == by_type.end()) return {};
  return it->second;
}

}  // namespace audetect::ecs::detail
