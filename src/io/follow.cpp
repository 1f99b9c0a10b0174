#include "io/follow.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace audetect::io {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

bool head_matches(int fd, const FileCheckpoint& cp) {
  uint32_t length = 0;
  uint64_t hash = hash_file_head(fd, cp.head_length, length);
  return length == cp.head_length && hash == cp.head_hash;
}

// A file in `dir` with this device and inode (a rotated audit.log.1), if any.
std::optional<std::string> find_by_inode(const std::string& dir, uint64_t device, uint64_t inode) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return std::nullopt;
  std::optional<std::string> found;
  while (dirent* e = ::readdir(d)) {
    if (e->d_ino != inode) continue;
    std::string candidate = dir + "/" + e->d_name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == device && st.st_ino == inode) {
      found = candidate;
      break;
    }
  }
  ::closedir(d);
  return found;
}

void add_note(std::vector<std::string>* notes, std::string text) {
  if (notes) notes->push_back(std::move(text));
}

}  // namespace

FileFollower::FileFollower(FollowOptions options) : options_(std::move(options)) {}

FileFollower::~FileFollower() {
  if (fd_ >= 0) ::close(fd_);
}

void FileFollower::refresh_head() const {
  if (fd_ >= 0 && head_length_ < FileCheckpoint::kHeadBytes)
    head_hash_ = hash_file_head(fd_, FileCheckpoint::kHeadBytes, head_length_);
}

Status FileFollower::open_file(const std::string& file, uint64_t offset) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
  buffer_start_ = 0;
  discarding_long_line_ = false;
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::io_error(fmt::format("{}: {}", file, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return Status::io_error(fmt::format("{}: {}", file, std::strerror(e)));
  }
  if (offset > static_cast<uint64_t>(st.st_size)) offset = 0;  // shorter than we left it: truncated
  if (::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
    int e = errno;
    ::close(fd);
    return Status::io_error(fmt::format("{}: seek: {}", file, std::strerror(e)));
  }
  fd_ = fd;
  device_ = st.st_dev;
  inode_ = st.st_ino;
  read_offset_ = offset;
  head_length_ = 0;
  refresh_head();
  return Status::ok();
}

Status FileFollower::open(std::vector<std::string>* notes) {
  std::optional<FileCheckpoint> cp;
  if (!options_.checkpoint_file.empty()) {
    auto loaded = load_checkpoint(options_.checkpoint_file);
    if (!loaded) {
      add_note(notes, loaded.status().message() + "; ignoring the checkpoint");
    } else {
      cp = *loaded;
    }
  }
  struct stat st {};
  const bool exists = ::stat(options_.path.c_str(), &st) == 0;
  if (cp && cp->path == options_.path) {
    if (exists && static_cast<uint64_t>(st.st_dev) == cp->device && static_cast<uint64_t>(st.st_ino) == cp->inode) {
      if (Status s = open_file(options_.path, cp->offset); !s) return s;
      if (head_matches(fd_, *cp) && read_offset_ == cp->offset) {
        add_note(notes, fmt::format("{}: resuming at byte {} from the checkpoint", options_.path, cp->offset));
        return Status::ok();
      }
      add_note(notes, fmt::format("{}: same inode but different content than the checkpoint (replaced or "
                                  "truncated); reading from the start", options_.path));
      return open_file(options_.path, 0);
    }
    // Rotated while we were stopped: finish the old file first, found by inode beside the path.
    std::string dir = std::filesystem::path(options_.path).parent_path().string();
    if (dir.empty()) dir.push_back('.');  // (not `= "."`: g++ 12 warns falsely about that assignment)
    if (auto rotated = find_by_inode(dir, cp->device, cp->inode)) {
      if (Status s = open_file(*rotated, cp->offset); !s) return s;
      if (head_matches(fd_, *cp) && read_offset_ == cp->offset) {
        add_note(notes, fmt::format("{}: rotated to {} since the checkpoint; reading its rest from byte {} first",
                                    options_.path, *rotated, cp->offset));
        pending_switch_ = options_.path;
        return Status::ok();
      }
    }
    add_note(notes, fmt::format("{}: the checkpointed file (inode {}) is gone; reading the current file from "
                                "the start (lines written to the old file after the checkpoint are lost)",
                                options_.path, cp->inode));
    if (!exists) return Status::ok();  // poll() opens it when it appears
    return open_file(options_.path, 0);
  }
  if (cp) add_note(notes, fmt::format("checkpoint is for {}, not {}; ignoring it", cp->path, options_.path));
  if (!exists) {
    add_note(notes, fmt::format("{}: does not exist yet; waiting for it", options_.path));
    return Status::ok();
  }
  return open_file(options_.path, options_.start_at_end ? static_cast<uint64_t>(st.st_size) : 0);
}

bool FileFollower::deliver_buffered_lines(const LineSink& sink, size_t max_lines, size_t& delivered) {
  while (delivered < max_lines && buffer_start_ < buffer_.size()) {
    size_t nl = buffer_.find('\n', buffer_start_);
    if (discarding_long_line_) {
      if (nl == std::string::npos) {
        buffer_start_ = buffer_.size();
        return false;
      }
      buffer_start_ = nl + 1;
      discarding_long_line_ = false;
      continue;
    }
    if (nl == std::string::npos) {
      if (buffer_.size() - buffer_start_ > options_.max_line_bytes) {
        // A hostile or broken line: cut it, drop the rest up to the next newline.
        sink(std::string_view(buffer_).substr(buffer_start_, options_.max_line_bytes));
        ++counters_.lines;
        ++counters_.long_lines;
        ++delivered;
        buffer_start_ = buffer_.size();
        discarding_long_line_ = true;
      }
      return false;
    }
    std::string_view line(buffer_.data() + buffer_start_, nl - buffer_start_);
    if (line.size() > options_.max_line_bytes) {
      line = line.substr(0, options_.max_line_bytes);
      ++counters_.long_lines;
    }
    counters_.bytes += nl + 1 - buffer_start_;
    buffer_start_ = nl + 1;
    ++counters_.lines;
    ++delivered;
    sink(line);
  }
  return delivered < max_lines;
}

Result<size_t> FileFollower::drain(const LineSink& sink, size_t max_lines, bool at_final_end) {
  size_t delivered = 0;
  if (fd_ < 0) return delivered;
  while (true) {
    if (!deliver_buffered_lines(sink, max_lines, delivered) && delivered >= max_lines) return delivered;
    if (delivered >= max_lines) return delivered;
    if (buffer_start_ > 0) {
      buffer_.erase(0, buffer_start_);
      buffer_start_ = 0;
    }
    size_t old = buffer_.size();
    buffer_.resize(old + kReadChunk);
    ssize_t n;
    do {
      n = ::read(fd_, buffer_.data() + old, kReadChunk);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      buffer_.resize(old);
      return Status::io_error(fmt::format("{}: read: {}", options_.path, std::strerror(errno)));
    }
    buffer_.resize(old + static_cast<size_t>(n));
    read_offset_ += static_cast<uint64_t>(n);
    if (n == 0) {
      if (at_final_end && buffer_start_ < buffer_.size() && !discarding_long_line_) {
        // The writer is done with this file: its unterminated last line is complete.
        std::string_view line(buffer_.data() + buffer_start_, buffer_.size() - buffer_start_);
        if (line.size() > options_.max_line_bytes) line = line.substr(0, options_.max_line_bytes);
        counters_.bytes += buffer_.size() - buffer_start_;
        ++counters_.lines;
        ++delivered;
        sink(line);
        buffer_start_ = buffer_.size();
      }
      return delivered;
    }
  }
}

Result<size_t> FileFollower::poll(const LineSink& sink, size_t max_lines) {
  if (fd_ < 0) {
    struct stat st {};
    if (::stat(options_.path.c_str(), &st) != 0) return size_t{0};
    if (Status s = open_file(options_.path, 0); !s) return s;
  }
  {
    // Truncated (shorter than our offset), or truncated and rewritten past it between two polls (the
    // first bytes changed): read the new content from the start.
    struct stat fd_st {};
    bool truncated = ::fstat(fd_, &fd_st) == 0 && static_cast<uint64_t>(fd_st.st_size) < read_offset_;
    if (!truncated && head_length_ > 0) {
      uint32_t length = 0;
      uint64_t hash = hash_file_head(fd_, head_length_, length);
      truncated = length != head_length_ || hash != head_hash_;
    }
    if (truncated) {
      ++counters_.truncations;
      if (Status s = open_file(options_.path, 0); !s) return s;
    }
  }
  auto got = drain(sink, max_lines, false);
  if (!got || *got > 0) return got;

  // Nothing new in the current file: has it been rotated away or truncated?
  if (pending_switch_) {
    auto rest = drain(sink, max_lines, true);
    if (!rest) return rest;
    std::string next = *pending_switch_;
    pending_switch_.reset();
    ++counters_.rotations;
    if (Status s = open_file(next, 0); !s) {
      ::close(fd_);
      fd_ = -1;
      return *rest;
    }
    return *rest;
  }
  struct stat path_st {};
  if (::stat(options_.path.c_str(), &path_st) != 0) return size_t{0};  // mid-rotation: keep the old file
  if (static_cast<uint64_t>(path_st.st_dev) != device_ || static_cast<uint64_t>(path_st.st_ino) != inode_) {
    auto rest = drain(sink, max_lines, true);  // what the writer appended before switching
    if (!rest) return rest;
    ++counters_.rotations;
    if (Status s = open_file(options_.path, 0); !s) return s;
    return *rest;
  }
  refresh_head();
  return size_t{0};
}

FileCheckpoint FileFollower::checkpoint() const {
  FileCheckpoint cp;
  cp.path = options_.path;
  cp.device = device_;
  cp.inode = inode_;
  cp.offset = read_offset_ - (buffer_.size() - buffer_start_);
  refresh_head();
  cp.head_length = head_length_;
  cp.head_hash = head_hash_;
  return cp;
}

Status FileFollower::save_checkpoint() const {
  if (options_.checkpoint_file.empty()) return Status::ok();
  if (fd_ < 0) return Status::ok();
  return io::save_checkpoint(options_.checkpoint_file, checkpoint());
}

}  // namespace audetect::io
