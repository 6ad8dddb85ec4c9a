#pragma once
// Starts the local TON devnet (node devnet/src/main.mjs) as a child process and learns where
// it listens from the JSON line it prints: {"event":"listening","endpoint":…,"root":…}.
// Used by `chrysalis devnet` (foreground) and by the devnet integration tests (background).
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace chrysalis::ton {

struct DevnetOptions {
  std::filesystem::path devnet_dir;  // holds src/main.mjs; empty = find_devnet_dir()
  std::string host;                  // empty = the config's (127.0.0.1)
  std::optional<uint16_t> port;      // 0 = any free port; unset = the config's (8091)
  std::filesystem::path snapshot;    // empty = the config's
  std::filesystem::path config;      // empty = devnet/config.json
  bool reset = false;
  std::string node = "node";
};

// CHRYSALIS_DEVNET_DIR, else a devnet/ with src/main.mjs next to or above the running binary,
// else next to or above the working directory. Throws std::runtime_error listing where it looked.
std::filesystem::path find_devnet_dir();

// argv of the devnet process for these options (devnet_dir must be set).
std::vector<std::string> devnet_command(const DevnetOptions& options);

struct DevnetListening {
  std::string endpoint;  // "http://127.0.0.1:PORT/api/v2/jsonRPC"
  std::string root;      // raw address of the root contract
  std::string snapshot;
  std::string base_url() const;  // "http://127.0.0.1:PORT"
};
// The listening event from one stdout line, or nullopt for any other line.
std::optional<DevnetListening> parse_listening_line(std::string_view line);

class DevnetProcess {
 public:
  // Spawns the devnet and waits (up to `timeout`) for its listening line. Every stdout line
  // (the listening one included) goes to on_line when given; stderr is inherited.
  // Throws std::runtime_error when it cannot start, exits early or stays silent too long.
  static std::unique_ptr<DevnetProcess> start(DevnetOptions options, std::chrono::milliseconds timeout,
                                              std::function<void(const std::string&)> on_line = {});
  ~DevnetProcess();  // stop()
  DevnetProcess(const DevnetProcess&) = delete;
  DevnetProcess& operator=(const DevnetProcess&) = delete;

  const DevnetListening& listening() const { return listening_; }
  pid_t pid() const { return pid_; }
  void signal(int sig);
  // Waits for the process to end; returns its exit status (128 + signal when killed).
  int wait();
  // SIGTERM, then SIGKILL after a grace period; idempotent.
  void stop();

 private:
  DevnetProcess() = default;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  DevnetListening listening_;
  std::thread reader_;
};

}  // namespace chrysalis::ton
