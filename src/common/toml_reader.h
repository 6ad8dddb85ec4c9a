#pragma once
#include <toml++/toml.h>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace chrysalis {

// Reads typed values from a TOML file; every error names the file and the key.
class TomlReader {
 public:
  explicit TomlReader(const std::filesystem::path& file);
  static TomlReader from_string(std::string_view text, std::string name);

  std::string string(std::string_view key, std::string fallback) const;
  int64_t integer(std::string_view key, int64_t fallback, int64_t min, int64_t max) const;
  double number(std::string_view key, double fallback) const;
  bool boolean(std::string_view key, bool fallback) const;
  std::vector<std::string> strings(std::string_view key, std::vector<std::string> fallback) const;
  // A table of strings (`key = { "a" = "x" }` or a [key] section); absent: empty.
  std::map<std::string, std::string> string_table(std::string_view key) const;
  bool has(std::string_view key) const;
  // Throws naming the file and the first key nothing asked for: a typo must not silently leave a
  // setting at its default (an allow-list emptied by a misspelt key would accept everyone).
  // Call once every reader of this config has run.
  void refuse_unknown_keys() const;
  const std::filesystem::path& base_dir() const { return base_dir_; }
  // Relative paths in a config are relative to the working directory, like every other tool.
  std::filesystem::path path(std::string_view key, std::string fallback) const {
    return string(key, std::move(fallback));
  }

 private:
  TomlReader(toml::table table, std::string name, std::filesystem::path base);
  [[noreturn]] void fail(std::string_view key, std::string_view expected) const;
  const toml::node_view<const toml::node> at(std::string_view key) const;
  toml::table table_;
  mutable std::set<std::string, std::less<>> asked_;
  std::string name_;
  std::filesystem::path base_dir_;
};

}  // namespace chrysalis
