#pragma once
#include <sqlite3.h>

#include <filesystem>
#include <functional>
#include <string>

#include "proxy/reputation_table.h"
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
  // The published counters (reputation_table.h), kept beside the book.
  std::size_t load_counters(ReputationTable& table);
  void save_counters(const ReputationTable& table);

 private:
  void exec(const char* sql);
  void prepare(sqlite3_stmt** statement, const std::string& sql);
  void step_done(sqlite3_stmt* statement);  // one row written, else throws
  void in_transaction(const std::function<void()>& write);
  sqlite3* db_ = nullptr;
  std::string file_;
};

}  // namespace chrysalis::proxy
