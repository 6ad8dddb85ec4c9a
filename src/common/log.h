#pragma once
#include <spdlog/spdlog.h>

#include <string>

namespace chrysalis {

// One line per event: time, level, node name, then "key=value" fields; request ids appear as rid=...
void init_logging(const std::string& node_name, const std::string& level);

}  // namespace chrysalis
