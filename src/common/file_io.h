#pragma once
#include <filesystem>
#include <string>

namespace chrysalis {

// Whole file as bytes; empty when it cannot be read.
std::string read_file(const std::filesystem::path& file);
// Replaces `file` atomically with `data`, created with `perms` from the start and fsynced (file and
// directory); throws std::runtime_error naming the file.
void write_file(const std::filesystem::path& file, const std::string& data, std::filesystem::perms perms);

// A bearer token kept in `file` (0600): read when there, else 32 random bytes in hex written there.
// Throws when the file is readable by others.
std::string read_or_create_secret_token(const std::filesystem::path& file);

}  // namespace chrysalis
