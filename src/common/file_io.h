#pragma once
#include <filesystem>
#include <string>

namespace chrysalis {

// Whole file as bytes; empty when it cannot be read.
std::string read_file(const std::filesystem::path& file);
// Replaces `file` with `data` and sets `perms`; throws std::runtime_error naming the file.
void write_file(const std::filesystem::path& file, const std::string& data, std::filesystem::perms perms);

}  // namespace chrysalis
