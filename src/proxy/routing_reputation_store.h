#pragma once
#include <sqlite3.h>

#include <filesystem>
#include <functional>
#include <string>
#include <unordered_set>

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
  // Writes the entries of `book` named in `keys` (one transaction); returns how many rows.
  std::size_t save(const ReputationBook& book, const std::unordered_set<std::string>& keys);
  // The published counters (reputation_table.h), kept beside the book: the entries changed since
  // the table's last mark_saved(); returns how many rows.
  std::size_t load_counters(ReputationTable& table);
  std::size_t save_counters(const ReputationTable& table);

 private:
  void exec(const char* sql);
  void prepare(sqlite3_stmt** statement, const std::string& sql);
  void step_done(sqlite3_stmt* statement);  // one row written, else throws
  void in_transaction(const std::function<void()>& write);
  sqlite3* db_ = nullptr;
  std::string file_;
};

}  // namespace chrysalis::proxy
