// A chunked bump allocator. Memory handed out stays put until reset(); reset() keeps the chunks,
// so a steady stream of similar events allocates nothing once warm.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace audetect {

class Arena {
 public:
  explicit Arena(size_t chunk_size = 16 * 1024) : chunk_size_(chunk_size) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  Arena(Arena&&) noexcept = default;
  Arena& operator=(Arena&&) noexcept = default;

  void* allocate(size_t size, size_t align = alignof(std::max_align_t));

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
  std::vector<Chunk> chunks_;
  size_t current_ = 0;  // index of the chunk being filled
  size_t used_ = 0;     // bytes used in chunks_[current_]
  size_t chunk_size_;
  size_t reserved_ = 0;
};

}  // namespace audetect
