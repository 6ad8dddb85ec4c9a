#include "common/file_io.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace chrysalis {

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::filesystem::path& file, const std::string& data, std::filesystem::perms perms) {
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << data;
    if (!out) throw std::runtime_error("cannot write " + file.string());
  }
  std::filesystem::permissions(file, perms);
}

}  // namespace chrysalis
