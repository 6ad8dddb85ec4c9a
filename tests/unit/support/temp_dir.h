#pragma once
// A fresh directory under the system temp dir for one test, removed with everything in it when the
// TempDir goes out of scope: `TempDir dir("ledger"); auto file = dir / "books.sqlite";`.
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace chrysalis::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / ("chrysalis-" + prefix + "-XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + tmpl);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace chrysalis::test
