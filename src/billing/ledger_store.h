#pragma once
// SQLite storage of the proxy's books: WAL, synchronous=FULL, exclusive locking (one process owns
// the file), one transaction per state change. Rows keep their signatures; nothing is checked here.
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "billing/ledger_types.h"

namespace chrysalis::billing {

struct LedgerRows {
  std::optional<LedgerState> state;  // absent in a new database
  std::vector<ClientAccount> clients;
  std::vector<WorkerAccount> workers;
  std::vector<Reservation> reservations;
  std::vector<PendingCommit> commits;
  std::vector<CommitSnapshot> snapshots;
};

// Everything one state change writes, committed atomically.
struct LedgerWrite {
  LedgerState state;
  std::vector<ClientAccount> clients;
  std::vector<WorkerAccount> workers;
  std::vector<Reservation> reservations;
  std::vector<uint64_t> deleted_reservations;
  std::vector<PendingCommit> commits;
  std::vector<CommitSnapshot> snapshots;
  std::optional<uint64_t> delete_commits_up_to;  // commits and snapshots with seqno ≤ this
  // false: committed without waiting for the disk (synchronous=NORMAL for this transaction). Only
  // for changes a restart recovers anyway (holds, chain reads): a kill -9 keeps them (the OS has
  // the pages), a power loss may drop them, and the next durable write flushes them in order.
  bool durable = true;
};

class LedgerStore {
 public:
  // Creates the file and schema when missing; throws LedgerError naming the file and SQLite's reason.
  explicit LedgerStore(const std::filesystem::path& file);
  ~LedgerStore();
  LedgerStore(const LedgerStore&) = delete;
  LedgerStore& operator=(const LedgerStore&) = delete;

  LedgerRows load();
  void write(const LedgerWrite& change);

 private:
  void exec(const char* sql);
  std::string file_;
  sqlite3* db_ = nullptr;
};

}  // namespace chrysalis::billing
