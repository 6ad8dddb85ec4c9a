#pragma once
// What this process holds in memory, for /stats: resident size, and how much of malloc's heap is
// in use against held free (a large free share is fragmentation, not a table that grows).
#include <nlohmann/json.hpp>

namespace chrysalis {

nlohmann::json process_memory_json();

}  // namespace chrysalis
