#pragma once
#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "proxy/routing_reputation.h"

namespace chrysalis::proxy {

// The proxy's reputation book on disk (SQLite), so a restart does not forget who misbehaved.
class ReputationStore {
 public:
  // Opens or creates the file; throws std::runtime_error naming the file and SQLite's reason.
  explicit ReputationStore(const std::filesystem::path& file);
  ~ReputationStore();
  ReputationStore(const ReputationStore&) = delete;
  ReputationStore& operator=(const ReputationStore&) = delete;

  // Loads every saved worker into `book`; returns how many.
  std::size_t load(ReputationBook& book);
  // Writes every entry of `book` (one transaction).
  void save(const ReputationBook& book);

 private:
  void exec(const char* sql);
  sqlite3* db_ = nullptr;
  std::string file_;
};

}  // namespace chrysalis::proxy
