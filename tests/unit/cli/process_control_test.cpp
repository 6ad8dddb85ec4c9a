#include "cli/process_control.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace chrysalis::cli {
namespace {

// A process that died but was never reaped by its parent (as a node started by an earlier
// `local up` whose reaper never came): kill(pid, 0) still succeeds on it.
TEST(ProcessControl, AZombieIsNotRunning) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t parent = fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {  // the middle process: starts a child that exits, never reaps it
    pid_t child = fork();
    if (child == 0) _exit(0);
    (void)!write(pipe_fds[1], &child, sizeof child);
    pause();
    _exit(0);
  }
  pid_t zombie = 0;
  ASSERT_EQ(read(pipe_fds[0], &zombie, sizeof zombie), static_cast<ssize_t>(sizeof zombie));
  for (int i = 0; i < 100 && process_alive(zombie); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(kill(zombie, 0), 0) << "the zombie still exists for kill()";
  EXPECT_FALSE(process_alive(zombie));
  EXPECT_TRUE(process_alive(parent));
  kill(parent, SIGKILL);
  waitpid(parent, nullptr, 0);
  EXPECT_FALSE(process_alive(parent));
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

}  // namespace
}  // namespace chrysalis::cli
