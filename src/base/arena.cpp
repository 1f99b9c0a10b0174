#include "base/arena.h"

#include <algorithm>

namespace audetect {

void* Arena::allocate(size_t size, size_t align) {
  if (size == 0) size = 1;
  while (current_ < chunks_.size()) {
    Chunk& c = chunks_[current_];
    uintptr_t base = reinterpret_cast<uintptr_t>(c.data.get());
    uintptr_t p = (base + used_ + align - 1) & ~(uintptr_t{align} - 1);
    if (p + size <= base + c.size) {
      used_ = p + size - base;
      return reinterpret_cast<void*>(p);
    }
    ++current_;
    used_ = 0;
  }
  size_t n = std::max(chunk_size_, size + align);
  chunks_.push_back(Chunk{std::make_unique<std::byte[]>(n), n});
  reserved_ += n;
  current_ = chunks_.size() - 1;
  used_ = 0;
  return allocate(size, align);
}

void Arena::reset() {
  // Keep one chunk's worth of oversized allocations from pinning memory forever: chunks larger
  // than the standard size (a 1 MB field) are released.
  std::erase_if(chunks_, [this](const Chunk& c) {
    if (c.size > chunk_size_ * 4) {
      reserved_ -= c.size;
      return true;
    }
    return false;
  });
  current_ = 0;
  used_ = 0;
}

}  // namespace audetect
