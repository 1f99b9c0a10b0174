// audetect normalize: audit logs in, ECS NDJSON out (one document per event).
#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/input_options.h"
#include "event/json.h"
#include "io/pipeline.h"

namespace audetect::cli {

namespace {

struct NormalizeArgs {
  std::vector<std::string> files;
  InputFlags input;
  bool quiet = false;
};

int run_normalize(NormalizeArgs& args) {
  io::PipelineOptions options;
  if (int rc = args.input.apply(options); rc != kExitOk) return rc;
  if (args.files.empty()) args.files.push_back("-");

  std::string out;
  out.reserve(1 << 20);
  auto flush_out = [&] {
    if (!out.empty() && std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) {
      throw std::runtime_error("writing to standard output failed");
    }
    out.clear();
  };
  io::EventPipeline pipeline(options, [&](const Event& e) {
    write_ndjson(out, e);
    if (out.size() >= (1 << 20) - 65536) flush_out();
  });

  int rc = kExitOk;
  for (const auto& f : args.files) {
    Status st = pipeline.read_file(f);
    if (!st) {
      std::fprintf(stderr, "audetect: error: %s\n", st.message().c_str());
      rc = kExitFailure;
    }
  }
  pipeline.flush();
  flush_out();
  std::fflush(stdout);
  if (!args.quiet) std::fprintf(stderr, "audetect normalize: %s\n", pipeline.summary().c_str());
  return rc;
}

}  // namespace

Registration register_normalize(CLI::App& app) {
  auto args = std::make_shared<NormalizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "normalize", "Read audit logs (RAW/ENRICHED, gzip ok) and write one ECS document per event as NDJSON");
  cmd->add_option("files", args->files, "Input files; '-' or none for standard input");
  args->input.add_to(*cmd);
  cmd->add_flag("-q,--quiet", args->quiet, "No summary line on stderr");
  return {cmd, [args] { return run_normalize(*args); }};
}

}  // namespace audetect::cli
