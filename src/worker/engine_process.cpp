#include "worker/engine_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

namespace chrysalis::worker {

std::filesystem::path locate_engine_script(const std::string& configured) {
  namespace fs = std::filesystem;
  if (!configured.empty()) return configured;
  std::vector<fs::path> candidates;
  if (const char* home = std::getenv("CHRYSALIS_HOME")) candidates.push_back(fs::path(home) / "engine/server.mjs");
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    candidates.push_back(exe.parent_path() / "../engine/server.mjs");
    candidates.push_back(exe.parent_path() / "../../engine/server.mjs");
  }
  candidates.push_back(fs::current_path() / "engine/server.mjs");
  for (auto& c : candidates)
    if (fs::exists(c)) return fs::weakly_canonical(c);
  throw std::runtime_error("cannot find engine/server.mjs; set engine.script in the worker config or CHRYSALIS_HOME");
}

EngineProcess::EngineProcess(boost::asio::any_io_executor ex, EmbeddedEngineSettings settings)
    : timer_(ex), settings_(std::move(settings)) {}

EngineProcess::~EngineProcess() { stop(); }

void EngineProcess::start() {
  if (!std::filesystem::exists(settings_.model))
    throw std::runtime_error("engine.model " + settings_.model.string() + " does not exist");
  spawn();
  watch();
}

void EngineProcess::spawn() {
  std::vector<std::string> args = {
      "node",       settings_.script.string(),          "--model",   settings_.model.string(),
      "--port",     std::to_string(settings_.port),     "--host",    settings_.host,
      "--threads",  std::to_string(settings_.threads),  "--context", std::to_string(settings_.context),
      "--parallel", std::to_string(settings_.parallel), "--name",    settings_.model_name,
      "--pace-ms",  std::to_string(settings_.pace_ms)};
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed for the embedded engine");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);
    if (!settings_.log_file.empty()) {
      int fd = open(settings_.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
      }
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp("node", argv.data());
    _exit(127);
  }
  pid_ = pid;
  spdlog::info("embedded engine started pid={} port={} model={}", pid_, settings_.port, settings_.model.string());
}

void EngineProcess::watch() {
  timer_.expires_after(std::chrono::milliseconds(500));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    int status = 0;
    if (pid_ > 0 && waitpid(pid_, &status, WNOHANG) == pid_) {
      spdlog::error("embedded engine pid={} exited ({}{}); restarting in {:.1f} s", pid_,
                    WIFEXITED(status) ? "code " : "signal ", WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
                    backoff_s_);
      pid_ = -1;
      timer_.expires_after(std::chrono::milliseconds(static_cast<int64_t>(backoff_s_ * 1000)));
      backoff_s_ = std::min(backoff_s_ * 2, 30.0);
      timer_.async_wait([this](boost::system::error_code ec2) {
        if (ec2 || stopped_) return;
        ++restarts_;
        try {
          spawn();
        } catch (const std::exception& e) {
          spdlog::error("restarting engine: {}", e.what());
        }
        watch();
      });
      return;
    }
    watch();
  });
}

void EngineProcess::stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace chrysalis::worker
