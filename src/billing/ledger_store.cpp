#include "billing/ledger_store.h"

#include "billing/ledger_sql.h"
#include "common/sqlite_file.h"

#include <cstring>

namespace chrysalis::billing {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS state (k INTEGER PRIMARY KEY CHECK (k = 1), seqno INTEGER, chain_hash BLOB,
  last_committed_seqno INTEGER, last_committed_hash BLOB, next_reservation_id INTEGER, total_charged_tokens INTEGER,
  total_earned_tokens INTEGER, total_reserved_tokens INTEGER, commission_nano INTEGER, client_count INTEGER,
  worker_count INTEGER, reservation_count INTEGER, pending_count INTEGER, price_per_token INTEGER,
  worker_fee_per_token INTEGER, prompt_mult INTEGER, cached_mult INTEGER, completion_mult INTEGER,
  reasoning_mult INTEGER, sig BLOB);
CREATE TABLE IF NOT EXISTS clients (id TEXT PRIMARY KEY, balance_nano INTEGER, stake_nano INTEGER,
  chain_tokens_used INTEGER, reserved_tokens INTEGER, charged_tokens INTEGER, committed_tokens INTEGER,
  signed_tokens INTEGER, sig BLOB);
CREATE TABLE IF NOT EXISTS workers (id TEXT PRIMARY KEY, earned_tokens INTEGER, committed_tokens INTEGER,
  signed_tokens INTEGER, sig BLOB);
CREATE TABLE IF NOT EXISTS reservations (id INTEGER PRIMARY KEY, client TEXT, worker TEXT, coefficient INTEGER,
  reserved_tokens INTEGER, sig BLOB);
CREATE TABLE IF NOT EXISTS commits (seqno INTEGER PRIMARY KEY, hash BLOB, sig BLOB);
CREATE TABLE IF NOT EXISTS snapshots (seqno INTEGER, kind TEXT, party TEXT, tokens INTEGER, sig BLOB,
  PRIMARY KEY (seqno, kind, party));
CREATE TABLE IF NOT EXISTS receipt_leaves (id INTEGER PRIMARY KEY, request_id TEXT, leaf BLOB, commit_seqno INTEGER);
CREATE INDEX IF NOT EXISTS receipt_leaves_by_request ON receipt_leaves (request_id);
CREATE INDEX IF NOT EXISTS receipt_leaves_by_commit ON receipt_leaves (commit_seqno);
CREATE TABLE IF NOT EXISTS receipt_commits (seqno INTEGER PRIMARY KEY, prev_hash BLOB, prev_link BLOB, root BLOB,
  link BLOB, count INTEGER, first_leaf INTEGER, last_leaf INTEGER);
)sql";

}  // namespace

LedgerStore::LedgerStore(const std::filesystem::path& file) : file_(file.string()) {
  try {
    db_ = open_sqlite_file(file, "ledger");
  } catch (const std::runtime_error& e) {
    throw LedgerError(e.what());
  }
  try {
    sqlite3_busy_timeout(db_, 5000);
    // Exclusive: a second process on the same file (a clone sharing it) cannot open it.
    exec("PRAGMA locking_mode=EXCLUSIVE");
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");
    exec(kSchema);
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
  writer_ = std::thread([this] { writer_loop(); });
}

LedgerStore::~LedgerStore() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;  // the writer finishes what is queued first
  }
  queue_changed_.notify_all();
  if (writer_.joinable()) writer_.join();
  sqlite3_close(db_);
}

LedgerStore::NonDurable::NonDurable(LedgerStore& s, bool enabled) : store(s), on(enabled) {
  if (on) store.exec("PRAGMA synchronous=NORMAL");
}

LedgerStore::NonDurable::~NonDurable() {
  if (on) sqlite3_exec(store.db_, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
}

void LedgerStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw LedgerError("ledger database " + file_ + ": " + why);
  }
}

namespace {

// The one signed state row (more than one is tampering).
void load_state(sqlite3* db, const std::string& file, LedgerRows& rows) {
  Stmt s(db, file,
         "SELECT seqno, chain_hash, last_committed_seqno, last_committed_hash, next_reservation_id, "
         "total_charged_tokens, "
         "total_earned_tokens, total_reserved_tokens, commission_nano, client_count, worker_count, reservation_count, "
         "pending_count, price_per_token, worker_fee_per_token, prompt_mult, cached_mult, completion_mult, "
         "reasoning_mult, sig FROM state");
  while (s.next()) {
    if (rows.state) throw LedgerTampered("state", "more than one state row");
    LedgerState st;
    st.seqno = s.col_u64(0);
    st.chain_hash = s.col_blob<32>(1);
    st.last_committed_seqno = s.col_u64(2);
    st.last_committed_hash = s.col_blob<32>(3);
    uint64_t* u[] = {&st.next_reservation_id,   &st.total_charged_tokens, &st.total_earned_tokens,
                     &st.total_reserved_tokens, &st.commission_nano,      &st.client_count,
                     &st.worker_count,          &st.reservation_count,    &st.pending_count,
                     &st.price_per_token,       &st.worker_fee_per_token};
    for (int i = 0; i < 11; ++i) *u[i] = s.col_u64(4 + i);
    uint32_t* m[] = {&st.prompt_mult, &st.cached_mult, &st.completion_mult, &st.reasoning_mult};
    for (int i = 0; i < 4; ++i) *m[i] = static_cast<uint32_t>(s.col_u64(15 + i));
    st.sig = s.col_blob<64>(19);
    rows.state = st;
  }
}

// Client accounts, by id.
void load_clients(sqlite3* db, const std::string& file, LedgerRows& rows) {
  Stmt s(db, file,
         "SELECT id, balance_nano, stake_nano, chain_tokens_used, reserved_tokens, charged_tokens, committed_tokens, "
         "signed_tokens, sig FROM clients ORDER BY id");
  while (s.next()) {
    ClientAccount c;
    c.id = s.col_text(0);
    uint64_t* u[] = {&c.balance_nano,   &c.stake_nano,       &c.chain_tokens_used, &c.reserved_tokens,
                     &c.charged_tokens, &c.committed_tokens, &c.signed_tokens};
    for (int i = 0; i < 7; ++i) *u[i] = s.col_u64(1 + i);
    c.sig = s.col_blob<64>(8);
    rows.clients.push_back(std::move(c));
  }
}

// Worker accounts, by id.
void load_workers(sqlite3* db, const std::string& file, LedgerRows& rows) {
  Stmt s(db, file, "SELECT id, earned_tokens, committed_tokens, signed_tokens, sig FROM workers ORDER BY id");
  while (s.next()) {
    WorkerAccount w;
    w.id = s.col_text(0);
    w.earned_tokens = s.col_u64(1);
    w.committed_tokens = s.col_u64(2);
    w.signed_tokens = s.col_u64(3);
    w.sig = s.col_blob<64>(4);
    rows.workers.push_back(std::move(w));
  }
}

// Open reservations, by id.
void load_reservations(sqlite3* db, const std::string& file, LedgerRows& rows) {
  Stmt s(db, file, "SELECT id, client, worker, coefficient, reserved_tokens, sig FROM reservations ORDER BY id");
  while (s.next()) {
    Reservation r;
    r.id = s.col_u64(0);
    r.client = s.col_text(1);
    r.worker = s.col_text(2);
    r.coefficient = static_cast<uint32_t>(s.col_u64(3));
    r.reserved_tokens = s.col_u64(4);
    r.sig = s.col_blob<64>(5);
    rows.reservations.push_back(std::move(r));
  }
}

// Commit records, by seqno.
void load_commits(sqlite3* db, const std::string& file, LedgerRows& rows) {
  Stmt s(db, file, "SELECT seqno, hash, sig FROM commits ORDER BY seqno");
  while (s.next()) rows.commits.push_back({s.col_u64(0), s.col_blob<32>(1), s.col_blob<64>(2)});
}

// Per-party commit snapshots.
void load_snapshots(sqlite3* db, const std::string& file, LedgerRows& rows) {
  Stmt s(db, file, "SELECT seqno, kind, party, tokens, sig FROM snapshots ORDER BY seqno, kind, party");
  while (s.next()) {
    CommitSnapshot snap;
    snap.seqno = s.col_u64(0);
    auto kind = s.col_text(1);
    snap.kind = kind.size() == 1 ? kind[0] : '?';
    snap.party = s.col_text(2);
    snap.tokens = s.col_u64(3);
    snap.sig = s.col_blob<64>(4);
    rows.snapshots.push_back(std::move(snap));
  }
}

}  // namespace

LedgerRows LedgerStore::load() {
  drain();
  std::lock_guard db_lock(db_mutex_);
  LedgerRows rows;
  load_state(db_, file_, rows);
  load_clients(db_, file_, rows);
  load_workers(db_, file_, rows);
  load_reservations(db_, file_, rows);
  load_commits(db_, file_, rows);
  load_snapshots(db_, file_, rows);
  return rows;
}

void LedgerStore::write_rows(const LedgerWrite& w) {
  {
    {
      Stmt s(db_, file_,
             "INSERT OR REPLACE INTO state VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      const auto& st = w.state;
      s.u64(1, st.seqno).blob(2, st.chain_hash).u64(3, st.last_committed_seqno).blob(4, st.last_committed_hash);
      uint64_t u[] = {st.next_reservation_id,   st.total_charged_tokens, st.total_earned_tokens,
                      st.total_reserved_tokens, st.commission_nano,      st.client_count,
                      st.worker_count,          st.reservation_count,    st.pending_count,
                      st.price_per_token,       st.worker_fee_per_token, st.prompt_mult,
                      st.cached_mult,           st.completion_mult,      st.reasoning_mult};
      for (int i = 0; i < 15; ++i) s.u64(5 + i, u[i]);
      s.blob(20, st.sig).run();
    }
    if (!w.clients.empty()) {
      Stmt s(db_, file_, "INSERT OR REPLACE INTO clients VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
      for (const auto& c : w.clients) {
        s.text(1, c.id)
            .u64(2, c.balance_nano)
            .u64(3, c.stake_nano)
            .u64(4, c.chain_tokens_used)
            .u64(5, c.reserved_tokens);
        s.u64(6, c.charged_tokens).u64(7, c.committed_tokens).u64(8, c.signed_tokens).blob(9, c.sig).run();
      }
    }
    if (!w.workers.empty()) {
      Stmt s(db_, file_, "INSERT OR REPLACE INTO workers VALUES (?, ?, ?, ?, ?)");
      for (const auto& x : w.workers)
        s.text(1, x.id).u64(2, x.earned_tokens).u64(3, x.committed_tokens).u64(4, x.signed_tokens).blob(5, x.sig).run();
    }
    if (!w.reservations.empty()) {
      Stmt s(db_, file_, "INSERT OR REPLACE INTO reservations VALUES (?, ?, ?, ?, ?, ?)");
      for (const auto& r : w.reservations)
        s.u64(1, r.id)
            .text(2, r.client)
            .text(3, r.worker)
            .u64(4, r.coefficient)
            .u64(5, r.reserved_tokens)
            .blob(6, r.sig)
            .run();
    }
    if (!w.deleted_reservations.empty()) {
      Stmt s(db_, file_, "DELETE FROM reservations WHERE id = ?");
      for (auto id : w.deleted_reservations) s.u64(1, id).run();
    }
    if (w.delete_commits_up_to) {
      Stmt a(db_, file_, "DELETE FROM commits WHERE seqno <= ?");
      a.u64(1, *w.delete_commits_up_to).run();
      Stmt b(db_, file_, "DELETE FROM snapshots WHERE seqno <= ?");
      b.u64(1, *w.delete_commits_up_to).run();
    }
    if (!w.commits.empty()) {
      Stmt s(db_, file_, "INSERT OR REPLACE INTO commits VALUES (?, ?, ?)");
      for (const auto& c : w.commits) s.u64(1, c.seqno).blob(2, c.hash).blob(3, c.sig).run();
    }
    if (!w.snapshots.empty()) {
      Stmt s(db_, file_, "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?, ?, ?)");
      for (const auto& x : w.snapshots)
        s.u64(1, x.seqno).text(2, std::string(1, x.kind)).text(3, x.party).u64(4, x.tokens).blob(5, x.sig).run();
    }
    write_receipt_changes(w);
  }
}

}  // namespace chrysalis::billing
