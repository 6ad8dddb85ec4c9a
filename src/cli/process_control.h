#pragma once
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace chrysalis::cli {

// Starts `argv` detached from the terminal (own session), stdout/stderr appended to `log`.
pid_t spawn_detached(const std::vector<std::string>& argv, const std::filesystem::path& log);
bool process_alive(pid_t pid);
// SIGTERM, then SIGKILL after `grace_ms`; true if the process is gone.
bool stop_process(pid_t pid, int grace_ms = 5000);
std::optional<pid_t> read_pid_file(const std::filesystem::path& file);
void write_pid_file(const std::filesystem::path& file, pid_t pid);
std::string tail_file(const std::filesystem::path& file, std::size_t lines);

}  // namespace chrysalis::cli
