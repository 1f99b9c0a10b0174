// audetect normalize: audit logs in, ECS NDJSON out (one document per event).
#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
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
  int threads = -1;  // -1: one per CPU
};

int run_normalize(NormalizeArgs& args) {
  io::PipelineOptions options;
  if (int rc = args.input.apply(options); rc != kExitOk) return rc;
  if (args.files.empty()) args.files.push_back("-");

  // Records are parsed and assembled on this thread; normalizing and writing JSON, most of the
  // work, runs on the workers, and on this thread too when they fall behind: one worker per other CPU.
  unsigned workers = args.threads >= 0 ? static_cast<unsigned>(args.threads)
                                       : std::max(2u, std::thread::hardware_concurrency()) - 1;
  io::EventPipeline pipeline(
      options, workers, [](const Event& e, std::string& out) { write_ndjson(out, e); },
      [](std::string_view bytes) {
        if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size()) {
          throw std::runtime_error("writing to standard output failed");
        }
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
  cmd->add_option("-j,--threads", args->threads,
                  "Threads that normalize and write events besides the reading thread, which helps them (default: one "
                  "per CPU but one; 0: all on the reading thread)")
      ->check(CLI::Range(0, 256));
  return {cmd, [args] { return run_normalize(*args); }};
}

}  // namespace audetect::cli
