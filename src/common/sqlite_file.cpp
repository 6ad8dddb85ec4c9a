#include "common/sqlite_file.h"

#include <stdexcept>

namespace chrysalis {

sqlite3* open_sqlite_file(const std::filesystem::path& file, const std::string& what) {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  sqlite3* db = nullptr;
  if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + what + " database " + file.string() + ": " + why);
  }
  return db;
}

}  // namespace chrysalis
