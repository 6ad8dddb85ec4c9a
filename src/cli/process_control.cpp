#include "cli/process_control.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace chrysalis::cli {

pid_t spawn_detached(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    setsid();
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

bool process_alive(pid_t pid) {
  if (pid <= 0) return false;
  int status = 0;
  // Reap our own exited children so they do not linger as zombies that look alive.
  if (waitpid(pid, &status, WNOHANG) == pid) return false;
  if (kill(pid, 0) != 0) return false;
  // A node started by an earlier `local up` is not our child: when it dies and nobody reaps it
  // (a container's init may not), it stays a zombie that kill() still finds.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto after_name = text.rfind(')');
  if (after_name == std::string::npos || after_name + 2 >= text.size()) return true;  // no procfs: trust kill()
  char state = text[after_name + 2];
  return state != 'Z' && state != 'X';
}

bool stop_process(pid_t pid, int grace_ms) {
  if (!process_alive(pid)) return true;
  kill(pid, SIGTERM);
  for (int waited = 0; waited < grace_ms; waited += 50) {
    if (!process_alive(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return !process_alive(pid);
}

std::optional<pid_t> read_pid_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return std::nullopt;
  return static_cast<pid_t>(pid);
}

void write_pid_file(const std::filesystem::path& file, pid_t pid) {
  std::ofstream out(file, std::ios::trunc);
  out << pid << "\n";
}

std::string tail_file(const std::filesystem::path& file, std::size_t lines) {
  std::ifstream in(file);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (auto& l : last) out += "    " + l + "\n";
  return out;
}

}  // namespace chrysalis::cli
