#include "base/arena.h"

#include <algorithm>

namespace audetect {

void Arena::enter_chunk(size_t index) {
  current_ = index;
  cur_ = reinterpret_cast<char*>(chunks_[index].data.get());
  end_ = cur_ + chunks_[index].size;
}

void* Arena::allocate_slow(size_t size, size_t align) {
  if (size == 0) size = 1;
  for (;;) {
    uintptr_t p = (reinterpret_cast<uintptr_t>(cur_) + align - 1) & ~(uintptr_t{align} - 1);
    if (cur_ && p + size <= reinterpret_cast<uintptr_t>(end_)) {
      cur_ = reinterpret_cast<char*>(p + size);
      return reinterpret_cast<void*>(p);
    }
    if (cur_ && current_ + 1 < chunks_.size()) {
      enter_chunk(current_ + 1);
      continue;
    }
    if (!cur_ && !chunks_.empty()) {  // after reset(): start over in the first kept chunk
      enter_chunk(0);
      continue;
    }
    size_t n = std::max(chunk_size_, size + align);
    chunks_.push_back(Chunk{std::make_unique<std::byte[]>(n), n});
    reserved_ += n;
    enter_chunk(chunks_.size() - 1);
  }
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
  cur_ = end_ = nullptr;  // the slow path re-enters the first chunk
}

}  // namespace audetect
