#include "common/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/random.h"

namespace chrysalis {

namespace {

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& file) {
  throw std::runtime_error("cannot " + what + " " + file.string() + ": " + std::strerror(errno));
}

void fsync_path(const std::filesystem::path& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) fail("open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) fail("fsync", path);
}

}  // namespace

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::filesystem::path& file, const std::string& data, std::filesystem::perms perms) {
  // Created with its final mode (never briefly readable under the umask), complete on disk before
  // it replaces the old file, and the rename itself made durable.
  auto dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  auto tmp = dir / ("." + file.filename().string() + "." + random_hex(6) + ".tmp");
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(perms) & 0777);
  if (fd < 0) fail("create", tmp);
  (void)::fchmod(fd, static_cast<mode_t>(perms) & 0777);  // the umask may have taken bits the caller asked for
  std::size_t written = 0;
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      fail("write", tmp);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    ::unlink(tmp.c_str());
    fail("fsync", tmp);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    ::unlink(tmp.c_str());
    fail("rename onto", file);
  }
  fsync_path(dir, O_RDONLY | O_DIRECTORY);
}

std::string read_or_create_secret_token(const std::filesystem::path& file) {
  std::string token = read_file(file);
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  if (token.size() >= 32) {
    auto mode = std::filesystem::status(file).permissions();
    using P = std::filesystem::perms;
    if ((mode & (P::group_all | P::others_all)) != P::none)
      throw std::runtime_error(file.string() + " is readable by other users; chmod 600 it or delete it");
    return token;
  }
  token = random_hex(32);
  write_file(file, token + "\n", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return token;
}

}  // namespace chrysalis
