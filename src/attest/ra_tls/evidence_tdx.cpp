#include "attest/ra_tls/evidence_tdx.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace chrysalis::attest {
namespace {

std::atomic<uint64_t> g_entry_counter{0};

std::string read_attribute(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("configfs-tsm: cannot read " + file.string() + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint64_t read_generation(const std::filesystem::path& entry) {
  std::string text = read_attribute(entry / "generation");
  try {
    return std::stoull(text);
  } catch (const std::exception&) {
    throw std::runtime_error("configfs-tsm: " + (entry / "generation").string() + " is not a number: " + text);
  }
}

// Removes the report entry however the attempt ends.
struct EntryGuard {
  std::filesystem::path path;
  ~EntryGuard() { ::rmdir(path.c_str()); }
};

}  // namespace

TdxEvidence::TdxEvidence(std::filesystem::path root) : root_(std::move(root)) {}

std::string TdxEvidence::quote(const std::array<uint8_t, 64>& report_data) {
  if (!std::filesystem::is_directory(root_))
    throw std::runtime_error("attestation provider \"tdx\": " + root_.string() +
                             " does not exist: this is not a TDX guest (or the kernel lacks configfs-tsm, "
                             "Linux >= 6.7, or configfs is not mounted); use provider \"sim\" for development");
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto entry = root_ / ("chrysalis-" + std::to_string(::getpid()) + "-" + std::to_string(g_entry_counter++));
    if (::mkdir(entry.c_str(), 0700) != 0)
      throw std::runtime_error("configfs-tsm: cannot create " + entry.string() + ": " + std::strerror(errno));
    EntryGuard guard{entry};
    std::string provider = read_attribute(entry / "provider");
    while (!provider.empty() && (provider.back() == '\n' || provider.back() == ' ')) provider.pop_back();
    if (provider != "tdx_guest")
      throw std::runtime_error("configfs-tsm provider is \"" + provider + "\", not tdx_guest: not a TDX guest");
    uint64_t before = read_generation(entry);
    {
      std::ofstream inblob(entry / "inblob", std::ios::binary);
      inblob.write(reinterpret_cast<const char*>(report_data.data()), report_data.size());
      inblob.flush();
      if (!inblob)
        throw std::runtime_error("configfs-tsm: writing inblob failed: " + std::string(std::strerror(errno)));
    }
    std::string quote = read_attribute(entry / "outblob");
    uint64_t after = read_generation(entry);
    if (after != before + 1) continue;  // someone else wrote to our entry: the quote may not be ours
    if (quote.empty()) throw std::runtime_error("configfs-tsm returned an empty quote (is the host's QGS running?)");
    return quote;
  }
  throw std::runtime_error("configfs-tsm: generation counter moved unexpectedly in 3 attempts (concurrent writers)");
}

}  // namespace chrysalis::attest
