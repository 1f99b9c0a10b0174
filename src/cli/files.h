// The files several subcommands open the same way: the rule sources (--rules, else the bundled folder)
// and the alert output (--output, appended to; stdout by default).
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rules/rules.h"

namespace audetect::cli {

// The --rules paths, or the bundled rules folder when none is given; nullopt (after saying why) when
// there is none.
inline std::optional<std::vector<std::filesystem::path>> rule_paths_or_bundled(const std::vector<std::string>& given) {
  std::vector<std::filesystem::path> paths(given.begin(), given.end());
  if (paths.empty()) {
    auto bundled = rules::bundled_rules_dir();
    if (!bundled) {
      std::fprintf(stderr, "audetect: error: the bundled rules folder was not found; give --rules PATH\n");
      return std::nullopt;
    }
    paths.push_back(*bundled);
  }
  return paths;
}

using OwnedFile = std::unique_ptr<FILE, int (*)(FILE*)>;

// --output PATH opened for appending ("" or "-": stdout). nullptr (after saying why) when it cannot be
// opened; `owned` keeps a file open as long as it lives.
inline FILE* open_output(const std::string& path, OwnedFile& owned) {
  if (path.empty() || path == "-") return stdout;
  owned.reset(std::fopen(path.c_str(), "a"));
  if (!owned) {
    std::fprintf(stderr, "audetect: error: --output %s: %s\n", path.c_str(), std::strerror(errno));
    return nullptr;
  }
  return owned.get();
}

}  // namespace audetect::cli
