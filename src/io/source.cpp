#include "io/source.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace audetect::io {
namespace {

constexpr size_t kBlock = 1u << 20;

class FdSource final : public LineSource {
 public:
  FdSource(std::string name, int fd, bool owned) : LineSource(std::move(name)), fd_(fd), owned_(owned) {}
  ~FdSource() override {
    if (owned_) ::close(fd_);
  }

 protected:
  long read(char* buf, size_t n) override {
    while (true) {
      ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) return r;
      if (errno == EINTR) continue;
      status_ = Status::io_error(name() + ": " + std::strerror(errno));
      return -1;
    }
  }

 private:
  int fd_;
  bool owned_;
};

class GzipSource final : public LineSource {
 public:
  GzipSource(std::string name, gzFile f) : LineSource(std::move(name)), f_(f) {}
  ~GzipSource() override { gzclose(f_); }

 protected:
  long read(char* buf, size_t n) override {
    int r = gzread(f_, buf, static_cast<unsigned>(n));
    if (r < 0) {
      int errnum = 0;
      const char* msg = gzerror(f_, &errnum);
      status_ = Status::io_error(name() + ": gzip: " + (msg ? msg : "read error"));
      return -1;
    }
    return r;
  }

 private:
  gzFile f_;
};

}  // namespace

Result<std::unique_ptr<LineSource>> LineSource::open(const std::string& path) {
  if (path == "-") return std::unique_ptr<LineSource>(new FdSource("<stdin>", STDIN_FILENO, false));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::io_error(path + ": " + std::strerror(errno));
  unsigned char magic[2] = {0, 0};
  ssize_t n = ::pread(fd, magic, 2, 0);
  if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
    gzFile f = gzdopen(fd, "rb");
    if (!f) {
      ::close(fd);
      return Status::io_error(path + ": cannot open as gzip");
    }
    gzbuffer(f, 256 * 1024);
    return std::unique_ptr<LineSource>(new GzipSource(path, f));
  }
  return std::unique_ptr<LineSource>(new FdSource(path, fd, true));
}

bool LineSource::fill() {
  if (eof_) return false;
  // Move the partial line to the front, then read behind it.
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() < end_ + kBlock) buf_.resize(end_ + kBlock);
  long r = read(buf_.data() + end_, buf_.size() - end_);
  if (r <= 0) {
    eof_ = true;
    return false;
  }
  bytes_ += static_cast<uint64_t>(r);
  end_ += static_cast<size_t>(r);
  return true;
}

long LineSource::read_block(char* buf, size_t n) {
  if (eof_) return 0;
  long r = read(buf, n);
  if (r <= 0) {
    eof_ = true;
    return r;
  }
  bytes_ += static_cast<uint64_t>(r);
  return r;
}

bool LineSource::next(Line& line) {
  while (true) {
    const char* start = buf_.data() + begin_;
    const void* nl = begin_ < end_ ? std::memchr(start, '\n', end_ - begin_) : nullptr;
    if (nl) {
      size_t len = static_cast<const char*>(nl) - start;
      begin_ += len + 1;
      if (skipping_) {  // the end of an over-long line already delivered
        skipping_ = false;
        continue;
      }
      ++line_no_;
      line = Line{{start, len}, line_no_, false};
      return true;
    }
    size_t pending = end_ - begin_;
    if (!skipping_ && pending >= kMaxLine) {
      // Deliver the first kMaxLine bytes, flagged; drop the rest up to the newline.
      ++line_no_;
      line = Line{{start, kMaxLine}, line_no_, true};
      begin_ = end_;
      skipping_ = true;
      return true;
    }
    if (skipping_) begin_ = end_;
    if (!fill()) {
      if (begin_ < end_ && !skipping_) {  // last line without a newline
        ++line_no_;
        line = Line{{buf_.data() + begin_, end_ - begin_}, line_no_, false};
        begin_ = end_;
        return true;
      }
      return false;
    }
  }
}

}  // namespace audetect::io
