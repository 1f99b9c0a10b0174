#include "io/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace audetect::io {
namespace {

constexpr std::string_view kMagic = "audetect-checkpoint 1";

bool parse_u64(std::string_view s, uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

}  // namespace

uint64_t hash_file_head(int fd, uint32_t max_bytes, uint32_t& length) {
  char buf[FileCheckpoint::kHeadBytes];
  ssize_t n;
  do {
    n = ::pread(fd, buf, std::min<size_t>(max_bytes, sizeof buf), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) n = 0;
  length = static_cast<uint32_t>(n);
  uint64_t h = 1469598103934665603ull;
  for (ssize_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(buf[i]);
    h *= 1099511628211ull;
  }
  return h;
}

Result<std::optional<FileCheckpoint>> load_checkpoint(const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    if (errno == ENOENT) return std::optional<FileCheckpoint>{};
    return Status::io_error(fmt::format("{}: {}", file, std::strerror(errno)));
  }
  // Line 1: magic. Lines 2..: key=value; path last so that it may hold any byte but newline.
  std::string line;
  uint64_t line_number = 0;
  FileCheckpoint cp;
  bool seen_path = false, seen_offset = false, seen_inode = false;
  while (std::getline(in, line)) {
    ++line_number;
    if (line_number == 1) {
      if (line != kMagic)
        return Status::invalid(fmt::format("{}:1: not an audetect checkpoint (expected '{}')", file, kMagic));
      continue;
    }
    if (line.empty()) continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos)
      return Status::invalid(fmt::format("{}:{}: expected key=value", file, line_number));
    std::string_view key(line.data(), eq);
    std::string_view value(line.data() + eq + 1, line.size() - eq - 1);
    uint64_t n = 0;
    if (key == "path") {
      cp.path.assign(value);
      seen_path = true;
      continue;
    }
    if (!parse_u64(value, n))
      return Status::invalid(fmt::format("{}:{}: '{}' is not a number", file, line_number, value));
    if (key == "device") cp.device = n;
    else if (key == "inode") cp.inode = n, seen_inode = true;
    else if (key == "offset") cp.offset = n, seen_offset = true;
    else if (key == "head_length") cp.head_length = static_cast<uint32_t>(std::min<uint64_t>(n, FileCheckpoint::kHeadBytes));
    else if (key == "head_hash") cp.head_hash = n;
    else return Status::invalid(fmt::format("{}:{}: unknown key '{}'", file, line_number, key));
  }
  if (line_number == 0) return Status::invalid(fmt::format("{}:1: empty checkpoint file", file));
  if (!seen_path || !seen_offset || !seen_inode)
    return Status::invalid(fmt::format("{}:{}: checkpoint lacks path, inode or offset", file, line_number));
  return std::optional<FileCheckpoint>(std::move(cp));
}

Status save_checkpoint(const std::string& file, const FileCheckpoint& cp) {
  if (cp.path.find('\n') != std::string::npos)
    return Status::invalid("checkpoint path contains a newline");
  std::string text = fmt::format("{}\ndevice={}\ninode={}\noffset={}\nhead_length={}\nhead_hash={}\npath={}\n", kMagic,
                                 cp.device, cp.inode, cp.offset, cp.head_length, cp.head_hash, cp.path);
  std::string tmp = file + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::io_error(fmt::format("{}: {}", tmp, std::strerror(errno)));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      return Status::io_error(fmt::format("{}: {}", tmp, std::strerror(e)));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return Status::io_error(fmt::format("{}: {}", tmp, std::strerror(errno)));
  if (::rename(tmp.c_str(), file.c_str()) != 0)
    return Status::io_error(fmt::format("rename {} -> {}: {}", tmp, file, std::strerror(errno)));
  return Status::ok();
}

}  // namespace audetect::io
