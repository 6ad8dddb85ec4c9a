#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace chrysalis {

void init_logging(const std::string& node_name, const std::string& level) {
  auto logger = spdlog::stderr_color_mt(node_name);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace chrysalis
