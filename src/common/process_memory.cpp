#include "common/process_memory.h"

#include <malloc.h>
#include <unistd.h>

#include <fstream>

namespace chrysalis {

nlohmann::json process_memory_json() {
  uint64_t resident_pages = 0, ignored = 0;
  std::ifstream statm("/proc/self/statm");
  statm >> ignored >> resident_pages;
  struct mallinfo2 heap = mallinfo2();
  return {{"rss_bytes", resident_pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE))},
          {"heap_in_use_bytes", heap.uordblks + heap.hblkhd},  // small blocks + mmap'd large ones
          {"heap_free_bytes", heap.fordblks},                   // freed, kept by malloc (fragmentation)
          {"heap_mapped_bytes", heap.hblkhd}};
}

}  // namespace chrysalis
