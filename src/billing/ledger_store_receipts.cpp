// The receipt tables of the ledger's database (ledger_store.h): leaves as the proxy countersigns
// answers, and per commit the tree they formed.
#include "billing/ledger_sql.h"
#include "billing/ledger_store.h"

namespace chrysalis::billing {
namespace {

constexpr const char* kLeafColumns = "SELECT id, request_id, leaf, commit_seqno FROM receipt_leaves ";
constexpr const char* kCommitColumns =
    "SELECT seqno, prev_hash, prev_link, root, link, count, first_leaf, last_leaf FROM receipt_commits ";

ReceiptLeafRow leaf_row(const Stmt& s) { return {s.col_u64(0), s.col_text(1), s.col_blob<32>(2), s.col_u64(3)}; }

ReceiptCommitRow commit_row(const Stmt& s) {
  ReceiptCommitRow r;
  r.seqno = s.col_u64(0);
  r.prev_hash = s.col_blob<32>(1);
  r.prev_link = s.col_blob<32>(2);
  r.root = s.col_blob<32>(3);
  r.link = s.col_blob<32>(4);
  r.count = s.col_u64(5);
  r.first_leaf = s.col_u64(6);
  r.last_leaf = s.col_u64(7);
  return r;
}

}  // namespace

void LedgerStore::append_receipt(const std::string& request_id, const ton::Hash256& leaf) {
  Job job;
  job.work = ReceiptLeafJob{request_id, leaf};
  enqueue(std::move(job));
}

void LedgerStore::insert_receipt_row(const ReceiptLeafJob& leaf) {
  Stmt s(db_, file_, "INSERT INTO receipt_leaves (request_id, leaf, commit_seqno) VALUES (?, ?, 0)");
  s.text(1, leaf.request_id).blob(2, leaf.leaf).run();
}

std::vector<ReceiptLeafRow> LedgerStore::receipt_leaves_in(uint64_t commit_seqno) {
  drain();
  std::lock_guard db_lock(db_mutex_);
  Stmt s(db_, file_, (std::string(kLeafColumns) + "WHERE commit_seqno = ? ORDER BY id").c_str());
  s.u64(1, commit_seqno);
  std::vector<ReceiptLeafRow> out;
  while (s.next()) out.push_back(leaf_row(s));
  return out;
}

std::optional<ReceiptLeafRow> LedgerStore::newest_receipt(const std::string& request_id) {
  drain();
  std::lock_guard db_lock(db_mutex_);
  Stmt s(db_, file_, (std::string(kLeafColumns) + "WHERE request_id = ? ORDER BY id DESC LIMIT 1").c_str());
  s.text(1, request_id);
  if (!s.next()) return std::nullopt;
  return leaf_row(s);
}

std::optional<ReceiptCommitRow> LedgerStore::receipt_commit(uint64_t seqno) {
  drain();
  std::lock_guard db_lock(db_mutex_);
  Stmt s(db_, file_, (std::string(kCommitColumns) + "WHERE seqno = ?").c_str());
  s.u64(1, seqno);
  if (!s.next()) return std::nullopt;
  return commit_row(s);
}

std::optional<ReceiptCommitRow> LedgerStore::last_receipt_commit() {
  drain();
  std::lock_guard db_lock(db_mutex_);
  Stmt s(db_, file_, (std::string(kCommitColumns) + "ORDER BY seqno DESC LIMIT 1").c_str());
  if (!s.next()) return std::nullopt;
  return commit_row(s);
}

std::vector<ReceiptCommitRow> LedgerStore::receipt_commits_after(uint64_t seqno, uint64_t up_to) {
  drain();
  std::lock_guard db_lock(db_mutex_);
  Stmt s(db_, file_, (std::string(kCommitColumns) + "WHERE seqno > ? AND seqno <= ? ORDER BY seqno").c_str());
  s.u64(1, seqno).u64(2, up_to);
  std::vector<ReceiptCommitRow> out;
  while (s.next()) out.push_back(commit_row(s));
  return out;
}

uint64_t LedgerStore::receipt_count() {
  drain();
  std::lock_guard db_lock(db_mutex_);
  Stmt s(db_, file_, "SELECT COUNT(*) FROM receipt_leaves");
  return s.next() ? s.col_u64(0) : 0;
}

uint64_t LedgerStore::receipt_count_in(uint64_t commit_seqno) {
  drain();
  std::lock_guard db_lock(db_mutex_);
  Stmt s(db_, file_, "SELECT COUNT(*) FROM receipt_leaves WHERE commit_seqno = ?");
  s.u64(1, commit_seqno);
  return s.next() ? s.col_u64(0) : 0;
}

uint64_t LedgerStore::receipt_id_kept_from(uint64_t keep) {
  drain();
  std::lock_guard db_lock(db_mutex_);
  Stmt s(db_, file_, "SELECT id FROM receipt_leaves ORDER BY id DESC LIMIT 1 OFFSET ?");
  s.u64(1, keep > 0 ? keep - 1 : 0);
  return s.next() ? s.col_u64(0) : 0;
}

void LedgerStore::write_receipt_changes(const LedgerWrite& w) {
  if (w.receipt_commit) {
    const auto& c = *w.receipt_commit;
    Stmt s(db_, file_, "INSERT OR REPLACE INTO receipt_commits VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    s.u64(1, c.seqno).blob(2, c.prev_hash).blob(3, c.prev_link).blob(4, c.root).blob(5, c.link);
    s.u64(6, c.count).u64(7, c.first_leaf).u64(8, c.last_leaf).run();
    if (c.count > 0) {
      Stmt m(db_, file_, "UPDATE receipt_leaves SET commit_seqno = ? WHERE id BETWEEN ? AND ? AND commit_seqno = 0");
      m.u64(1, c.seqno).u64(2, c.first_leaf).u64(3, c.last_leaf).run();
    }
  }
  if (w.prune_receipts_below) {
    // Only committed leaves go. A proof walks every commit from its leaf's to the newest on chain,
    // so commits go only when older than the oldest kept leaf's (the newest always stays).
    Stmt a(db_, file_, "DELETE FROM receipt_leaves WHERE id < ? AND commit_seqno != 0");
    a.u64(1, *w.prune_receipts_below).run();
    exec(
        "DELETE FROM receipt_commits WHERE seqno < (SELECT MIN(commit_seqno) FROM receipt_leaves "
        "WHERE commit_seqno != 0)");
  }
}

}  // namespace chrysalis::billing
