// Line sources: a file, a gzip file (detected by its magic bytes) or standard input, read in large
// blocks with bounded memory. Lines longer than the cap are delivered truncated and flagged, never
// buffered without bound.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace audetect::io {

class LineSource {
 public:
  // "-" is standard input. Gzip input is decompressed transparently.
  static Result<std::unique_ptr<LineSource>> open(const std::string& path);
  virtual ~LineSource() = default;

  struct Line {
    std::string_view text;  // without the trailing newline; valid until the next call
    uint64_t number = 0;    // 1-based
    bool truncated = false; // longer than kMaxLine: the rest of the line was skipped
  };

  // False at end of input; a read error ends the input and is reported by status().
  bool next(Line& line);
  // The next bytes of the (decompressed) input as they come, for a caller that splits lines itself (not
  // to be mixed with next()): at most `n` bytes into `buf`; 0 at end of input, -1 on a read error.
  long read_block(char* buf, size_t n);
  const Status& status() const { return status_; }
  const std::string& name() const { return name_; }
  uint64_t bytes_read() const { return bytes_; }

  static constexpr size_t kMaxLine = 1u << 20;  // a longer line is hostile or corrupt

 protected:
  explicit LineSource(std::string name) : name_(std::move(name)) {}
  // Fills up to `n` bytes; returns 0 at end of input, -1 on error (and sets status_).
  virtual long read(char* buf, size_t n) = 0;
  Status status_;

 private:
  bool fill();
  std::string name_;
  std::string buf_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  bool skipping_ = false;  // inside the tail of an over-long line
  uint64_t line_no_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace audetect::io
