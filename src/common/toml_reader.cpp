#include "common/toml_reader.h"

namespace chrysalis {

TomlReader::TomlReader(toml::table table, std::string name, std::filesystem::path base)
    : table_(std::move(table)), name_(std::move(name)), base_dir_(std::move(base)) {}

TomlReader::TomlReader(const std::filesystem::path& file) : name_(file.string()), base_dir_(file.parent_path()) {
  if (!std::filesystem::exists(file)) throw std::runtime_error("config file not found: " + file.string());
  try {
    table_ = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    throw std::runtime_error(name_ + ": " + std::string(e.description()) + " at line " +
                             std::to_string(e.source().begin.line));
  }
}

TomlReader TomlReader::from_string(std::string_view text, std::string name) {
  try {
    return TomlReader(toml::parse(text), std::move(name), ".");
  } catch (const toml::parse_error& e) {
    throw std::runtime_error(name + ": " + std::string(e.description()));
  }
}

const toml::node_view<const toml::node> TomlReader::at(std::string_view key) const {
  asked_.emplace(key);
  return table_.at_path(key);
}

namespace {
// Dotted paths of every value (arrays count as values) under `table`.
void collect_keys(const toml::table& table, const std::string& prefix, std::vector<std::string>& out) {
  for (auto& [k, v] : table) {
    std::string path = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (auto* sub = v.as_table())
      collect_keys(*sub, path, out);
    else
      out.push_back(path);
  }
}
}  // namespace

void TomlReader::refuse_unknown_keys() const {
  std::vector<std::string> keys;
  collect_keys(table_, "", keys);
  for (auto& key : keys)
    if (!asked_.count(key))
      throw std::runtime_error(name_ + ": unknown key '" + key + "' (misspelt, or not a setting of this node)");
}

void TomlReader::fail(std::string_view key, std::string_view expected) const {
  throw std::runtime_error(name_ + ": '" + std::string(key) + "' must be " + std::string(expected));
}

bool TomlReader::has(std::string_view key) const { return static_cast<bool>(at(key)); }

std::string TomlReader::string(std::string_view key, std::string fallback) const {
  auto node = at(key);
  if (!node) return fallback;
  if (auto v = node.value<std::string>(); v && node.is_string()) return *v;
  fail(key, "a string");
}

int64_t TomlReader::integer(std::string_view key, int64_t fallback, int64_t min, int64_t max) const {
  auto node = at(key);
  if (!node) return fallback;
  if (!node.is_integer()) fail(key, "an integer");
  int64_t v = *node.value<int64_t>();
  if (v < min || v > max) fail(key, "between " + std::to_string(min) + " and " + std::to_string(max));
  return v;
}

double TomlReader::number(std::string_view key, double fallback) const {
  auto node = at(key);
  if (!node) return fallback;
  if (!node.is_number()) fail(key, "a number");
  return *node.value<double>();
}

bool TomlReader::boolean(std::string_view key, bool fallback) const {
  auto node = at(key);
  if (!node) return fallback;
  if (!node.is_boolean()) fail(key, "true or false");
  return *node.value<bool>();
}

std::vector<std::string> TomlReader::strings(std::string_view key, std::vector<std::string> fallback) const {
  auto node = at(key);
  if (!node) return fallback;
  auto* arr = node.as_array();
  if (!arr) fail(key, "an array of strings");
  std::vector<std::string> out;
  for (auto& item : *arr) {
    auto s = item.value<std::string>();
    if (!s || !item.is_string()) fail(key, "an array of strings");
    out.push_back(*s);
  }
  return out;
}

std::map<std::string, std::string> TomlReader::string_table(std::string_view key) const {
  auto node = at(key);
  if (!node) return {};
  auto* table = node.as_table();
  if (!table) fail(key, "a table of strings");
  std::map<std::string, std::string> out;
  for (auto& [k, v] : *table) {
    std::string entry = std::string(key) + "." + std::string(k.str());
    asked_.insert(entry);  // the same dotted path refuse_unknown_keys() builds
    auto s = v.value<std::string>();
    if (!s || !v.is_string()) fail(entry, "a string");
    out.emplace(std::string(k.str()), *s);
  }
  return out;
}

}  // namespace chrysalis
