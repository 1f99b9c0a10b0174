// Follows a growing log file like `tail -F`: complete lines only, rotation by rename (the old file is
// read to its end before the new one is opened) and by truncation (read again from the start), and a
// checkpoint so that a restart resumes after the last line processed: nothing twice, nothing skipped,
// also when the file was rotated while audetect was stopped (the rotated file is found by inode in
// the same folder and its remainder read first).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "io/checkpoint.h"

namespace audetect::io {

struct FollowOptions {
  std::string path;
  std::string checkpoint_file;  // empty: no checkpoint
  bool start_at_end = false;    // without a usable checkpoint: skip what the file already holds
  size_t max_line_bytes = 1u << 20;  // longer lines are cut there (the rest is dropped and counted)
};

struct FollowCounters {
  uint64_t lines = 0;
  uint64_t bytes = 0;
  uint64_t rotations = 0;
  uint64_t truncations = 0;
  uint64_t long_lines = 0;
};

class FileFollower {
 public:
  using LineSink = std::function<void(std::string_view line)>;

  explicit FileFollower(FollowOptions options);
  ~FileFollower();
  FileFollower(const FileFollower&) = delete;
  FileFollower& operator=(const FileFollower&) = delete;

  // Opens the file, resuming from the checkpoint when one matches. Messages about how it resumed
  // (or why it could not) are appended to `notes`.
  Status open(std::vector<std::string>* notes = nullptr);

  // Delivers the complete lines available now (at most `max_lines`), following a rotation or
  // truncation when the current file is exhausted. Returns the number of lines delivered; 0 means
  // "nothing new, poll again later".
  Result<size_t> poll(const LineSink& sink, size_t max_lines = 4096);

  // The position after the last delivered line.
  FileCheckpoint checkpoint() const;
  Status save_checkpoint() const;

  const FollowCounters& counters() const { return counters_; }

 private:
  // Opens `file` (the followed path or a rotated copy of it) and positions at `offset`.
  Status open_file(const std::string& file, uint64_t offset);
  void refresh_head() const;
  // Reads what the current fd has; returns lines delivered.
  Result<size_t> drain(const LineSink& sink, size_t max_lines, bool at_final_end);
  bool deliver_buffered_lines(const LineSink& sink, size_t max_lines, size_t& delivered);

  FollowOptions options_;
  int fd_ = -1;
  uint64_t device_ = 0, inode_ = 0;
  uint64_t read_offset_ = 0;       // file offset of the end of buffer_
  std::string buffer_;             // bytes read but not yet delivered (a partial line at most... or more)
  size_t buffer_start_ = 0;        // first undelivered byte in buffer_
  bool discarding_long_line_ = false;
  mutable uint32_t head_length_ = 0;
  mutable uint64_t head_hash_ = 0;
  // A rotated-away file still to be finished (restart after rotation).
  std::optional<std::string> pending_switch_;
  FollowCounters counters_;
};

}  // namespace audetect::io
