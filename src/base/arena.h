// A chunked bump allocator. Memory handed out stays put until reset(); reset() keeps the chunks,
// so a steady stream of similar events allocates nothing once warm.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace audetect {

class Arena {
 public:
  explicit Arena(size_t chunk_size = 16 * 1024) : chunk_size_(chunk_size) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  Arena(Arena&& o) noexcept { *this = std::move(o); }
  Arena& operator=(Arena&& o) noexcept {
    chunks_ = std::move(o.chunks_);
    current_ = std::exchange(o.current_, 0);
    cur_ = std::exchange(o.cur_, nullptr);
    end_ = std::exchange(o.end_, nullptr);
    chunk_size_ = o.chunk_size_;
    reserved_ = std::exchange(o.reserved_, 0);
    o.chunks_.clear();
    return *this;
  }

  // Inline bump within the current chunk; a new chunk (or a too-big request) takes the slow path.
  void* allocate(size_t size, size_t align = alignof(std::max_align_t)) {
    uintptr_t p = (reinterpret_cast<uintptr_t>(cur_) + align - 1) & ~(uintptr_t{align} - 1);
    if (size != 0 && p + size <= reinterpret_cast<uintptr_t>(end_)) {
      cur_ = reinterpret_cast<char*>(p + size);
      return reinterpret_cast<void*>(p);
    }
    return allocate_slow(size, align);
  }

  template <class T>
  T* allocate_array(size_t n) {
    return static_cast<T*>(allocate(n * sizeof(T), alignof(T)));
  }

  // Copies `s` into the arena; the view stays valid until reset().
  std::string_view copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = static_cast<char*>(allocate(s.size(), 1));
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

  void reset();
  size_t bytes_reserved() const { return reserved_; }

 private:
  struct Chunk {
    std::unique_ptr<std::byte[]> data;
    size_t size;
  };
  void* allocate_slow(size_t size, size_t align);
  void enter_chunk(size_t index);

  std::vector<Chunk> chunks_;
  size_t current_ = 0;     // index of the chunk being filled
  char* cur_ = nullptr;    // next free byte of chunks_[current_]
  char* end_ = nullptr;    // end of chunks_[current_]
  size_t chunk_size_ = 16 * 1024;
  size_t reserved_ = 0;
};

}  // namespace audetect
