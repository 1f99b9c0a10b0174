// libFuzzer target: arbitrary bytes through the scan prefilter (engine::PrefilterFeeder) with the seed
// rule's string or (first byte's top bit) nine strings searched in one pass, once whole and once cut into
// blocks of a size the first byte picks. Checks that both give
// the same lines, that every forwarded line is the input's line at that number (cut at kMaxLine), in
// order, that every line not starting with `type=` / `node=` is forwarded, and that the counts add up.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "engine/prefilter.h"
#include "rules/rules.h"

namespace {

using audetect::engine::PrefilterFeeder;
using audetect::engine::RawPrefilter;

struct Line {
  std::string text;
  uint64_t no = 0;
  bool operator==(const Line& o) const { return text == o.text && no == o.no; }
};

RawPrefilter make_prefilter(const char* query) {
  static std::vector<audetect::rules::Rule> rules(2);  // stable: the prefilters point at them
  static size_t made = 0;
  audetect::rules::Rule& r = rules.at(made++);
  r.name = "fuzz";
  r.type = audetect::rules::RuleType::kEql;
  r.query = query;
  return RawPrefilter::for_rules({&r}, false);
}

const RawPrefilter& prefilter(bool many) {
  static const RawPrefilter one = make_prefilter(R"(file where file.path == "/proc/modules")");
  static const RawPrefilter nine = make_prefilter(
      R"(file where file.path in ("/proc/modules", "/etc/shadow", "/usr/bin/nc", "/tmp/.x1", "ncat", "socat", "zzq",
      "/root/.ssh/id_rsa", "/dev/tcp/1"))");
  return many ? nine : one;
}

std::vector<Line> run(const RawPrefilter& p, std::string_view input, size_t chunk, uint64_t* lines,
                      uint64_t* skipped) {
  std::vector<Line> out;
  PrefilterFeeder feeder(p, [&](std::string_view text, std::string_view, uint64_t no) {
    out.push_back({std::string(text), no});
  });
  feeder.start("fuzz");
  for (size_t at = 0; at < input.size(); at += chunk) feeder.feed(input.substr(at, chunk));
  feeder.finish();
  *lines = feeder.lines();
  *skipped = feeder.lines_skipped();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const RawPrefilter& p = prefilter(data[0] & 0x80);
  if (!p.enabled()) std::abort();
  const size_t chunk = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::vector<std::string> want;  // the lines as io::LineSource splits them
  for (size_t at = 0; at < input.size();) {
    size_t nl = input.find('\n', at);
    size_t end = nl == std::string_view::npos ? input.size() : nl;
    want.emplace_back(input.substr(at, std::min(end - at, PrefilterFeeder::kMaxLine)));
    at = end + 1;
  }

  uint64_t lines = 0, skipped = 0, lines_cut = 0, skipped_cut = 0;
  std::vector<Line> whole = run(p, input, input.size() ? input.size() : 1, &lines, &skipped);
  std::vector<Line> cut = run(p, input, chunk, &lines_cut, &skipped_cut);
  if (!(whole == cut) || lines != lines_cut || skipped != skipped_cut) std::abort();
  if (lines != want.size() || whole.size() + skipped != lines) std::abort();
  size_t next = 0;
  for (uint64_t no = 1; no <= want.size(); ++no) {
    const bool forwarded = next < whole.size() && whole[next].no == no;
    if (forwarded && whole[next++].text != want[no - 1]) std::abort();
    const std::string& l = want[no - 1];
    if (!forwarded && l.compare(0, 5, "type=") != 0 && l.compare(0, 5, "node=") != 0) std::abort();
  }
  if (next != whole.size()) std::abort();  // forwarded out of order or twice
  return 0;
}
