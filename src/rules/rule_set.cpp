// Loading many rule files, looking rules up, and the audit rules they need.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "rules/rules.h"

#ifndef AUDETECT_BUNDLED_RULES_DIR
#define AUDETECT_BUNDLED_RULES_DIR ""
#endif

namespace audetect::rules {
namespace fs = std::filesystem;

namespace {

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Splits on whitespace.
std::vector<std::string_view> tokens(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

// An auditctl rule starting at `line`, or "" when the line is not one. `-w PATH ...` needs an absolute
// path; `-a LIST,ACTION ...` needs a list/action pair, so prose like "use -a to append" is not taken.
std::string audit_rule_from(std::string_view line) {
  std::vector<std::string_view> parts = tokens(line);
  if (parts.size() < 2) return {};
  if (parts[0] == "-w") {
    if (parts[1].empty() || parts[1].front() != '/') return {};
  } else if (parts[0] == "-a") {
    std::string_view pair = parts[1];
    std::size_t comma = pair.find(',');
    if (comma == std::string_view::npos) return {};
    std::string_view a = pair.substr(0, comma), b = pair.substr(comma + 1);
    auto is_action = [](std::string_view x) { return x == "always" || x == "never"; };
    auto is_list = [](std::string_view x) {
      return x == "exit" || x == "task" || x == "user" || x == "exclude" || x == "filesystem" || x == "io_uring";
    };
    if (!((is_action(a) && is_list(b)) || (is_list(a) && is_action(b)))) return {};
  } else {
    return {};
  }
  std::string out;
  for (std::string_view part : parts) {
    if (!out.empty()) out += ' ';
    out += part;
  }
  return out;
}

}  // namespace

std::vector<std::string> extract_audit_rules(std::string_view setup_markdown) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= setup_markdown.size()) {
    std::size_t end = setup_markdown.find('\n', start);
    if (end == std::string_view::npos) end = setup_markdown.size();
    std::string_view line = trim(setup_markdown.substr(start, end - start));
    start = end + 1;

    // Markdown decoration around the rule: list bullets ("- ", "* ", "-- "), quotes, inline code.
    while (true) {
      if (line.starts_with("-- ") || line.starts_with("- ") || line.starts_with("* ") || line.starts_with("> ")) {
        line = trim(line.substr(2));
      } else if (!line.empty() && (line.front() == '`' || line.front() == '"' || line.front() == '\'')) {
        line = trim(line.substr(1));
      } else if (line.starts_with("auditctl ")) {
        line = trim(line.substr(9));
      } else {
        break;
      }
    }
    while (!line.empty() && (line.back() == '`' || line.back() == '"' || line.back() == '\'')) {
      line = trim(line.substr(0, line.size() - 1));
    }
    std::string rule = audit_rule_from(line);
    if (!rule.empty() && std::find(out.begin(), out.end(), rule) == out.end()) out.push_back(std::move(rule));
    if (end == setup_markdown.size()) break;
  }
  return out;
}

bool RuleSet::has_errors() const {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.level == Diagnostic::Level::kError; });
}

const Rule* RuleSet::find(std::string_view id_or_name) const {
  for (const auto& rule : rules) {
    if (rule.rule_id == id_or_name) return &rule;
  }
  for (const auto& rule : rules) {
    if (rule.name == id_or_name) return &rule;
  }
  for (const auto& rule : rules) {
    if (equals_ignore_case(rule.name, id_or_name) || equals_ignore_case(rule.rule_id, id_or_name)) return &rule;
  }
  return nullptr;
}

std::vector<std::string> RuleSet::required_audit_rules() const {
  std::vector<std::string> out;
  for (const auto& rule : rules) {
    for (const auto& line : rule.audit_rules) {
      if (std::find(out.begin(), out.end(), line) == out.end()) out.push_back(line);
    }
  }
  return out;
}

RuleSet load_rules(std::span<const fs::path> paths) {
  RuleSet set;
  std::map<std::string, SourcePosition, std::less<>> seen_ids;

  auto load_one = [&](const fs::path& file) {
    ++set.files_read;
    auto rule = load_rule_file(file, &set.diagnostics);
    if (!rule) {
      ++set.files_failed;
      return;
    }
    auto [it, inserted] = seen_ids.emplace(rule->rule_id, rule->source);
    if (!inserted) {
      ++set.files_failed;
      set.diagnostics.push_back({Diagnostic::Level::kError, rule->source,
                                 fmt::format("duplicate rule_id {} (first defined at {}); this file is skipped",
                                             rule->rule_id, to_string(it->second))});
      return;
    }
    set.rules.push_back(std::move(*rule));
  };

  for (const auto& path : paths) {
    std::error_code ec;
    auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      set.diagnostics.push_back(Diagnostic::file_error(path.string(), "no such file or directory"));
      ++set.files_failed;
      continue;
    }
    if (!fs::is_directory(status)) {
      load_one(path);
      continue;
    }
    std::vector<fs::path> files;
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->path().extension() == ".toml" && it->is_regular_file(ec)) files.push_back(it->path());
    }
    if (ec) {
      set.diagnostics.push_back(Diagnostic::file_error(path.string(), "cannot list folder: " + ec.message()));
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files) load_one(file);
  }
  return set;
}

namespace {
bool holds_rule_files(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return false;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it.depth() > 2) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->path().extension() == ".toml") return true;
  }
  return false;
}
}  // namespace

std::optional<fs::path> bundled_rules_dir(const fs::path& argv0_or_exe) {
  std::error_code ec;
  fs::path exe = argv0_or_exe;
  if (exe.empty()) exe = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!exe.empty()) {
    fs::path dir = fs::absolute(exe, ec).parent_path();
    candidates.push_back(dir / "rules");
    candidates.push_back(dir / ".." / "share" / "audetect" / "rules");
  }
  // The source tree this binary was built from (build-tree runs, tests).
  if (std::string_view source = AUDETECT_BUNDLED_RULES_DIR; !source.empty()) candidates.emplace_back(source);
  if (!exe.empty()) {
    fs::path dir = fs::absolute(exe, ec).parent_path();
    candidates.push_back(dir / ".." / "rules");
    candidates.push_back(dir / ".." / ".." / "rules");
  }
  for (const auto& candidate : candidates) {
    if (holds_rule_files(candidate)) return fs::weakly_canonical(candidate, ec);
  }
  return std::nullopt;
}

}  // namespace audetect::rules
