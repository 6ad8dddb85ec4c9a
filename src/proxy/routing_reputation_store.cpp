#include "proxy/routing_reputation_store.h"

#include "common/sqlite_file.h"

#include <stdexcept>

namespace chrysalis::proxy {

namespace {

struct Statement {
  sqlite3_stmt* s = nullptr;
  ~Statement() { sqlite3_finalize(s); }
};

// Column order shared by load and save.
constexpr const char* kColumns =
    "key, model, successes, early_errors, timeouts, mid_stream_errors, spot_agreements, spot_disagreements, "
    "speed_weight, ttft_ms_sum, tps_sum, fit_n, fit_y, fit_nn, fit_ny, lifetime, updated_us";

double* fields(Reputation::State& s, int i) {
  double* all[] = {&s.successes,       &s.early_errors,
                   &s.timeouts,        &s.mid_stream_errors,
                   &s.spot_agreements, &s.spot_disagreements,
                   &s.speed_weight,    &s.ttft_ms_sum,
                   &s.tps_sum,         &s.fit_n,
                   &s.fit_y,           &s.fit_nn,
                   &s.fit_ny,          &s.lifetime};
  return all[i];
}
constexpr int kFields = 14;

std::string column_text(sqlite3_stmt* s, int col) {
  auto* p = sqlite3_column_text(s, col);
  return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
}

}  // namespace

void ReputationStore::prepare(sqlite3_stmt** statement, const std::string& sql) {
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, statement, nullptr) != SQLITE_OK)
    throw std::runtime_error("reputation database " + file_ + ": " + sqlite3_errmsg(db_));
}

void ReputationStore::step_done(sqlite3_stmt* statement) {
  if (sqlite3_step(statement) != SQLITE_DONE)
    throw std::runtime_error("reputation database " + file_ + ": " + sqlite3_errmsg(db_));
  sqlite3_reset(statement);
}

void ReputationStore::in_transaction(const std::function<void()>& write) {
  exec("BEGIN");
  try {
    write();
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

ReputationStore::ReputationStore(const std::filesystem::path& file) : file_(file.string()) {
  db_ = open_sqlite_file(file, "reputation");
  exec(
      "CREATE TABLE IF NOT EXISTS reputation (key TEXT PRIMARY KEY, model TEXT NOT NULL, successes REAL, "
      "early_errors REAL, timeouts REAL, mid_stream_errors REAL, spot_agreements REAL, spot_disagreements REAL, "
      "speed_weight REAL, ttft_ms_sum REAL, tps_sum REAL, fit_n REAL, fit_y REAL, fit_nn REAL, fit_ny REAL, "
      "lifetime REAL, updated_us INTEGER)");
  exec(
      "CREATE TABLE IF NOT EXISTS reputation_counters (subject TEXT NOT NULL, model TEXT NOT NULL, counters TEXT "
      "NOT NULL, PRIMARY KEY (subject, model))");
}

std::size_t ReputationStore::load_counters(ReputationTable& table) {
  Statement st;
  prepare(&st.s, "SELECT subject, model, counters FROM reputation_counters");
  std::size_t n = 0;
  while (sqlite3_step(st.s) == SQLITE_ROW) {
    auto counters = ReputationCounters::from_json(nlohmann::json::parse(column_text(st.s, 2), nullptr, false));
    if (!counters) throw std::runtime_error("reputation database " + file_ + ": a counters row is not readable");
    table.restore(column_text(st.s, 0), column_text(st.s, 1), *counters);
    ++n;
  }
  return n;
}

std::size_t ReputationStore::save_counters(const ReputationTable& table) {
  std::size_t rows = 0;
  in_transaction([&] {
    Statement st;
    prepare(&st.s, "INSERT OR REPLACE INTO reputation_counters (subject, model, counters) VALUES (?,?,?)");
    for (const auto& [subject, model] : table.unsaved()) {
      const ReputationCounters* c = table.find(subject, model);
      if (!c) continue;
      std::string json = c->json().dump();
      sqlite3_bind_text(st.s, 1, subject.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st.s, 2, model.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st.s, 3, json.c_str(), -1, SQLITE_TRANSIENT);
      step_done(st.s);
      ++rows;
    }
  });
  return rows;
}

ReputationStore::~ReputationStore() { sqlite3_close(db_); }

void ReputationStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : "unknown error";
    sqlite3_free(err);
    throw std::runtime_error("reputation database " + file_ + ": " + why);
  }
}

std::size_t ReputationStore::load(ReputationBook& book) {
  Statement st;
  prepare(&st.s, std::string("SELECT ") + kColumns + " FROM reputation");
  std::size_t n = 0;
  while (sqlite3_step(st.s) == SQLITE_ROW) {
    Reputation::State s;
    for (int i = 0; i < kFields; ++i) *fields(s, i) = sqlite3_column_double(st.s, 2 + i);
    s.updated_us = sqlite3_column_int64(st.s, 2 + kFields);
    book.restore(column_text(st.s, 0), column_text(st.s, 1), s);
    ++n;
  }
  return n;
}

void ReputationStore::save(const ReputationBook& book) {
  std::unordered_set<std::string> keys;
  for (const auto& [key, e] : book.entries()) keys.insert(key);
  save(book, keys);
}

std::size_t ReputationStore::save(const ReputationBook& book, const std::unordered_set<std::string>& keys) {
  std::size_t rows = 0;
  in_transaction([&] {
    Statement st;
    prepare(&st.s,
            std::string("INSERT OR REPLACE INTO reputation (") + kColumns + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    for (const auto& key : keys) {
      auto it = book.entries().find(key);
      if (it == book.entries().end()) continue;
      const auto& e = it->second;
      Reputation::State s = e.rep.state();
      sqlite3_bind_text(st.s, 1, key.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st.s, 2, e.model.c_str(), -1, SQLITE_TRANSIENT);
      for (int i = 0; i < kFields; ++i) sqlite3_bind_double(st.s, 3 + i, *fields(s, i));
      sqlite3_bind_int64(st.s, 3 + kFields, s.updated_us);
      step_done(st.s);
      ++rows;
    }
  });
  return rows;
}

}  // namespace chrysalis::proxy
