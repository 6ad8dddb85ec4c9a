#include "ton/toncenter/devnet_process.h"
#include "common/json_bounded.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "common/url.h"

namespace chrysalis::ton {

namespace fs = std::filesystem;

namespace {

bool is_devnet_dir(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / "src" / "main.mjs", ec);
}

std::optional<fs::path> search_upwards(fs::path start, std::vector<std::string>& looked) {
  for (int i = 0; i < 6 && !start.empty(); ++i) {
    looked.push_back((start / "devnet").string());
    if (is_devnet_dir(start / "devnet")) return start / "devnet";
    if (!start.has_parent_path() || start.parent_path() == start) break;
    start = start.parent_path();
  }
  return std::nullopt;
}

}  // namespace

fs::path find_devnet_dir() {
  std::vector<std::string> looked;
  if (const char* env = std::getenv("CHRYSALIS_DEVNET_DIR"); env && *env) {
    if (is_devnet_dir(env)) return fs::absolute(env);
    throw std::runtime_error(std::string("CHRYSALIS_DEVNET_DIR=") + env + " has no src/main.mjs");
  }
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    if (auto found = search_upwards(exe.parent_path(), looked)) return *found;
  }
  if (auto found = search_upwards(fs::current_path(ec), looked)) return *found;
  std::string list;
  for (const auto& l : looked) list += "\n  " + l;
  throw std::runtime_error("devnet directory not found (set CHRYSALIS_DEVNET_DIR); looked in:" + list);
}

std::vector<std::string> devnet_command(const DevnetOptions& o) {
  std::vector<std::string> argv{o.node, (o.devnet_dir / "src" / "main.mjs").string()};
  if (!o.config.empty()) argv.insert(argv.end(), {"--config", o.config.string()});
  if (!o.host.empty()) argv.insert(argv.end(), {"--host", o.host});
  if (o.port) argv.insert(argv.end(), {"--port", std::to_string(*o.port)});
  if (!o.snapshot.empty()) argv.insert(argv.end(), {"--snapshot", o.snapshot.string()});
  if (o.reset) argv.push_back("--reset");
  return argv;
}

std::string DevnetListening::base_url() const {
  auto url = parse_url(endpoint);
  return url ? url->scheme + "://" + url->authority() : endpoint;
}

std::optional<DevnetListening> parse_listening_line(std::string_view line) {
  auto j = parse_json_bounded(line).value;
  if (j.is_discarded() || !j.is_object() || j.value("event", "") != "listening") return std::nullopt;
  if (!j.contains("endpoint") || !j["endpoint"].is_string()) return std::nullopt;
  DevnetListening l;
  l.endpoint = j["endpoint"].get<std::string>();
  l.root = j.value("root", "");
  if (j.contains("snapshot") && j["snapshot"].is_string()) l.snapshot = j["snapshot"].get<std::string>();
  return l;
}

std::unique_ptr<DevnetProcess> DevnetProcess::start(DevnetOptions options, std::chrono::milliseconds timeout,
                                                    std::function<void(const std::string&)> on_line) {
  if (options.devnet_dir.empty()) options.devnet_dir = find_devnet_dir();
  if (!is_devnet_dir(options.devnet_dir))
    throw std::runtime_error(options.devnet_dir.string() + " has no src/main.mjs");
  auto argv = devnet_command(options);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  close(fds[1]);
  std::unique_ptr<DevnetProcess> proc(new DevnetProcess());
  proc->pid_ = pid;
  proc->stdout_fd_ = fds[0];

  // Read lines until the listening event, the deadline or EOF.
  std::string buffer;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto nl = buffer.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      if (on_line) on_line(line);
      if (auto l = parse_listening_line(line)) {
        proc->listening_ = *l;
        break;
      }
      continue;
    }
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0)
      throw std::runtime_error("devnet did not report listening within " + std::to_string(timeout.count()) + " ms");
    pollfd pfd{proc->stdout_fd_, POLLIN, 0};
    int r = poll(&pfd, 1, static_cast<int>(left));
    if (r < 0 && errno != EINTR) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    if (r <= 0) continue;
    char chunk[4096];
    ssize_t n = read(proc->stdout_fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int code = proc->wait();
      throw std::runtime_error("devnet exited (status " + std::to_string(code) + ") before listening: " + argv[0] +
                               " " + argv[1]);
    }
    buffer.append(chunk, static_cast<size_t>(n));
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  int fd = proc->stdout_fd_;
  proc->reader_ = std::thread([fd, on_line, rest = std::move(buffer)]() mutable {
    char chunk[4096];
    for (;;) {
      auto nl = rest.find('\n');
      if (nl != std::string::npos) {
        if (on_line) on_line(rest.substr(0, nl));
        rest.erase(0, nl + 1);
        continue;
      }
      ssize_t n = read(fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      rest.append(chunk, static_cast<size_t>(n));
    }
    if (!rest.empty() && on_line) on_line(rest);
  });
  return proc;
}

void DevnetProcess::signal(int sig) {
  if (pid_ > 0 && !reaped_) kill(pid_, sig);
}

int DevnetProcess::wait() {
  if (pid_ <= 0) return 0;
  while (!reaped_) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, 0);
    if (r < 0 && errno == EINTR) continue;
    reaped_ = true;
    status_ = r < 0 ? 0 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  return status_;
}

void DevnetProcess::stop() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100 && !reaped_; ++i) {
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        reaped_ = true;
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      usleep(50'000);
    }
    if (!reaped_) {
      kill(pid_, SIGKILL);
      wait();
    }
  }
  if (reader_.joinable()) reader_.join();
  if (stdout_fd_ >= 0) {
    close(stdout_fd_);
    stdout_fd_ = -1;
  }
}

DevnetProcess::~DevnetProcess() { stop(); }

}  // namespace chrysalis::ton
