#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <sys/types.h>
#include <filesystem>
#include <string>
#include <vector>

namespace chrysalis::worker {

struct EmbeddedEngineSettings {
  std::filesystem::path script;  // engine/server.mjs
  std::filesystem::path model;   // GGUF file
  std::string model_name;
  std::string host = "127.0.0.1";
  uint16_t port = 12100;
  int threads = 2;
  int context = 2048;
  int parallel = 4;
  int pace_ms = 0;  // the least time between two tokens of one sequence (0: as fast as it runs)
  std::filesystem::path log_file;
};

// Runs the embedded engine (Node + node-llama-cpp) as a child process and restarts it with
// backoff when it exits. The child dies with the worker (PR_SET_PDEATHSIG).
class EngineProcess {
 public:
  EngineProcess(boost::asio::any_io_executor ex, EmbeddedEngineSettings settings);
  ~EngineProcess();
  void start();
  void stop();
  std::string url() const { return "http://" + settings_.host + ":" + std::to_string(settings_.port); }
  pid_t pid() const { return pid_; }
  uint64_t restarts() const { return restarts_; }

 private:
  void spawn();
  void watch();
  boost::asio::steady_timer timer_;
  EmbeddedEngineSettings settings_;
  pid_t pid_ = -1;
  uint64_t restarts_ = 0;
  double backoff_s_ = 0.5;
  bool stopped_ = false;
};

// Finds engine/server.mjs: the configured path, $CHRYSALIS_HOME/engine, or next to the binary.
std::filesystem::path locate_engine_script(const std::string& configured);

}  // namespace chrysalis::worker
