#pragma once
// Collateral kept fresh for the platforms a node's peers run on (pcs_collateral.h): per FMSPC and
// PCK CA, fetched on first need, kept in memory and on disk (it is signed by Intel and checked on
// every use, so the disk is a cache, not a trust), refreshed before its nextUpdate and at least
// every refresh interval. A peer whose collateral is not there yet is refused, and a fetch starts.
#include <utility>  // before Boost 1.74 awaitable.hpp

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "attest/quote/collateral_source.h"
#include "attest/quote/pcs_collateral.h"

namespace chrysalis::attest {

class CollateralStore : public CollateralSource, public std::enable_shared_from_this<CollateralStore> {
 public:
  static constexpr std::size_t kMaxPlatforms = 64;  // FMSPC x CA pairs kept (peers choose their FMSPC)
  static constexpr std::chrono::seconds kRetryAfterFailure{30};

  // `cache_dir` empty: memory only. Loads what the directory holds.
  CollateralStore(boost::asio::any_io_executor ex, PcsSettings pcs, std::filesystem::path cache_dir,
                  std::chrono::seconds refresh);
  std::shared_ptr<const CollateralEntry> get(const std::string& fmspc, const std::string& ca) override;
  // Starts the refresh timer (checks every few seconds which entries are due).
  void start();
  void stop();
  // Fetches now (tests, the CLI): the entry, or throws naming what failed.
  boost::asio::awaitable<std::shared_ptr<const CollateralEntry>> fetch(std::string fmspc, std::string ca);
  nlohmann::json stats() const;

 private:
  struct Slot {
    std::shared_ptr<const CollateralEntry> entry;
    bool fetching = false;
    std::chrono::system_clock::time_point due{};  // next fetch (refresh, or retry after a failure)
    std::string last_error;
    uint64_t fetches = 0, failures = 0;
  };
  using Key = std::pair<std::string, std::string>;  // (FMSPC upper-case, ca)
  void start_fetch(const Key& key);
  void load_cache();
  void tick();
  std::shared_ptr<const CollateralEntry> entry_of(const std::string& bundle) const;

  boost::asio::any_io_executor ex_;
  PcsSettings pcs_;
  std::filesystem::path cache_dir_;
  std::chrono::seconds refresh_;
  boost::asio::steady_timer timer_;
  mutable std::mutex mutex_;
  std::map<Key, Slot> slots_;
  uint64_t refused_platforms_ = 0;
  bool stopped_ = false;
};

}  // namespace chrysalis::attest
