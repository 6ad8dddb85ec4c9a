#pragma once
#include <sqlite3.h>

#include <filesystem>
#include <string>

namespace chrysalis {

// Opens (creating it and its directory when missing) the SQLite database `file`; throws
// std::runtime_error "cannot open <what> database <file>: <SQLite's reason>".
sqlite3* open_sqlite_file(const std::filesystem::path& file, const std::string& what);

}  // namespace chrysalis
