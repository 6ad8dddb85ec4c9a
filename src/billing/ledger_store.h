#pragma once
// SQLite storage of the proxy's books: WAL, synchronous=FULL, exclusive locking (one process owns
// the file), one transaction per state change. Rows keep their signatures; nothing is checked here.
#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
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

// What the writer thread has done (ledger_store_writer.cpp), for /stats.
struct LedgerWriterStats {
  uint64_t writes = 0;          // state changes and receipt leaves written
  uint64_t groups = 0;          // transactions they went in
  uint64_t durable_groups = 0;  // of those, waited for the disk (one fsync each)
  uint64_t largest_group = 0;
  uint64_t queued = 0;  // waiting now
  uint64_t failures = 0;
};

// Writes go through one writer thread of the store's own, which puts everything queued meanwhile
// in one transaction (group commit): many requests' settlements share one fsync, and the I/O
// thread that queued them does not wait for the disk unless it asks to (write(), wait()).
// Reads first wait until everything queued before them is written.
class LedgerStore {
 public:
  // Creates the file and schema when missing; throws LedgerError naming the file and SQLite's reason.
  explicit LedgerStore(const std::filesystem::path& file);
  ~LedgerStore();
  LedgerStore(const LedgerStore&) = delete;
  LedgerStore& operator=(const LedgerStore&) = delete;

  LedgerRows load();
  // Queues the change and waits until it is written (durable ones: on disk); throws LedgerError
  // with SQLite's reason, and then nothing of it was written.
  void write(const LedgerWrite& change);
  // Queues the change; returns its ticket. Written in queue order, after every earlier one.
  uint64_t submit(LedgerWrite change);
  // Waits until the ticket's write is done; throws LedgerError if it failed.
  void wait(uint64_t ticket);
  // Called on the writer thread: after each transaction with the newest ticket it wrote, and for a
  // queued (not waited for) write that failed, with SQLite's reason. Set before the first write.
  void set_write_hooks(std::function<void(uint64_t written_through)> written,
                       std::function<void(const std::string& error)> failed);
  LedgerWriterStats writer_stats() const;

  // Receipts (ledger_store_receipts.cpp). Recording does not wait for the disk: queued behind the
  // settlement writes, and the next durable write (the settlement or commit after it) flushes it.
  void append_receipt(const std::string& request_id, const ton::Hash256& leaf);
  std::vector<ReceiptLeafRow> receipt_leaves_in(uint64_t commit_seqno);  // 0: those waiting for a commit
  std::optional<ReceiptLeafRow> newest_receipt(const std::string& request_id);
  std::optional<ReceiptCommitRow> receipt_commit(uint64_t seqno);
  std::optional<ReceiptCommitRow> last_receipt_commit();
  std::vector<ReceiptCommitRow> receipt_commits_after(uint64_t seqno, uint64_t up_to);
  uint64_t receipt_count();                          // every leaf kept
  uint64_t receipt_count_in(uint64_t commit_seqno);  // 0: those waiting for a commit
  uint64_t receipt_id_kept_from(uint64_t keep);      // the smallest id among the newest `keep` leaves

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

  // The writer thread (ledger_store_writer.cpp).
  struct ReceiptLeafJob {
    std::string request_id;
    ton::Hash256 leaf;
  };
  struct Job {
    uint64_t ticket = 0;
    bool waited = false;  // write(): the caller learns of a failure; otherwise the failed hook does
    std::variant<LedgerWrite, ReceiptLeafJob> work;
  };
  uint64_t enqueue(Job job);
  void writer_loop();
  void run_group(std::vector<Job>& group);
  void write_rows(const LedgerWrite& change);  // inside the group's transaction
  void insert_receipt_row(const ReceiptLeafJob& leaf);
  void drain();  // until everything queued so far is written

  std::string file_;
  sqlite3* db_ = nullptr;
  mutable std::mutex db_mutex_;  // db_: the writer's transaction or a read, never both
  mutable std::mutex queue_mutex_;
  std::condition_variable queue_changed_;  // a job queued, or stopping
  std::condition_variable written_;        // written_through_ moved on
  std::deque<Job> queue_;
  uint64_t next_ticket_ = 0;
  uint64_t written_through_ = 0;
  std::map<uint64_t, std::string> failed_;  // waited-for tickets that failed, until waited on
  bool stopping_ = false;
  LedgerWriterStats stats_;
  std::function<void(uint64_t)> on_written_;
  std::function<void(const std::string&)> on_failed_;
  std::thread writer_;  // last: started once everything above exists
};

}  // namespace chrysalis::billing
