// Where a followed log file was left: file identity (device, inode, a hash of its first bytes to tell
// a reused inode) and the byte offset after the last line processed. Saved atomically.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace audetect::io {

struct FileCheckpoint {
  std::string path;
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t offset = 0;     // bytes of complete lines already processed
  uint32_t head_length = 0;  // bytes hashed from the start of the file (at most kHeadBytes)
  uint64_t head_hash = 0;    // FNV-1a of those bytes
  static constexpr uint32_t kHeadBytes = 256;
  bool operator==(const FileCheckpoint&) const = default;
};

// Reads a checkpoint file; nullopt when it does not exist. A malformed file is an error naming
// "file:line: reason" (the caller decides whether to start over).
Result<std::optional<FileCheckpoint>> load_checkpoint(const std::string& checkpoint_file);
// Writes to a temporary file in the same folder, fsyncs and renames over the old one, so a crash
// leaves either the old or the new checkpoint, never a torn one.
Status save_checkpoint(const std::string& checkpoint_file, const FileCheckpoint& checkpoint);

// FNV-1a 64 of up to `max_bytes` (<= kHeadBytes) read from `fd` at offset 0 (pread; the file
// position is unchanged). Returns the number of bytes hashed in `length`.
uint64_t hash_file_head(int fd, uint32_t max_bytes, uint32_t& length);

}  // namespace audetect::io
