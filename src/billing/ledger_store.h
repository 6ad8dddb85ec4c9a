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
  // A commit's receipts tree: the row, and its leaves (first..last, pending ones) marked as in it.
  std::optional<ReceiptCommitRow> receipt_commit;
  std::optional<uint64_t> prune_receipts_below;  // leaves with a smaller id, and commits wholly below
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

  // Receipts (ledger_store_receipts.cpp). Recording does not wait for the disk: a kill -9 keeps the
  // row, and the next durable write (the commit that includes it) flushes it in order.
  uint64_t append_receipt(const std::string& request_id, const ton::Hash256& leaf);
  std::vector<ReceiptLeafRow> receipt_leaves_in(uint64_t commit_seqno);  // 0: those waiting for a commit
  std::optional<ReceiptLeafRow> newest_receipt(const std::string& request_id);
  std::optional<ReceiptCommitRow> receipt_commit(uint64_t seqno);
  std::optional<ReceiptCommitRow> last_receipt_commit();
  std::vector<ReceiptCommitRow> receipt_commits_after(uint64_t seqno, uint64_t up_to);
  uint64_t receipt_count();                             // every leaf kept
  uint64_t receipt_count_in(uint64_t commit_seqno);     // 0: those waiting for a commit
  uint64_t receipt_id_kept_from(uint64_t keep);  // the smallest id among the newest `keep` leaves

 private:
  void exec(const char* sql);
  // synchronous=NORMAL while it lives (when `on`), FULL again whatever happens.
  struct NonDurable {
    NonDurable(LedgerStore& store, bool on);
    ~NonDurable();
    LedgerStore& store;
    bool on;
  };
  void write_receipt_changes(const LedgerWrite& change);  // inside write()'s transaction
  std::string file_;
  sqlite3* db_ = nullptr;
};

}  // namespace chrysalis::billing
