#pragma once
// One prepared SQLite statement of the ledger's database, with the binders and readers the ledger's
// rows need; every failure throws LedgerError naming the file and SQLite's reason.
#include <sqlite3.h>

#include <array>
#include <cstring>
#include <string>

#include "billing/ledger_types.h"

namespace chrysalis::billing {

class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& file, const char* sql) : db_(db), file_(file) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) fail("prepare");
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt& u64(int i, uint64_t v) {
    sqlite3_bind_int64(s_, i, static_cast<sqlite3_int64>(v));  // bit-cast: round-trips all 64 bits
    return *this;
  }
  Stmt& text(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  template <size_t N>
  Stmt& blob(int i, const std::array<uint8_t, N>& v) {
    sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(N), SQLITE_TRANSIENT);
    return *this;
  }
  void run() {
    if (sqlite3_step(s_) != SQLITE_DONE) fail("write");
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  bool next() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail("read");
    return false;
  }
  uint64_t col_u64(int i) const { return static_cast<uint64_t>(sqlite3_column_int64(s_, i)); }
  std::string col_text(int i) const {
    auto* p = sqlite3_column_text(s_, i);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s_, i)) : std::string();
  }
  // A blob of the wrong size reads as zeros, which then fails signature verification.
  template <size_t N>
  std::array<uint8_t, N> col_blob(int i) const {
    std::array<uint8_t, N> out{};
    if (sqlite3_column_bytes(s_, i) == static_cast<int>(N)) std::memcpy(out.data(), sqlite3_column_blob(s_, i), N);
    return out;
  }

 private:
  [[noreturn]] void fail(const char* what) {
    throw LedgerError("ledger database " + file_ + ": " + what + ": " + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  const std::string& file_;
  sqlite3_stmt* s_ = nullptr;
};

}  // namespace chrysalis::billing
