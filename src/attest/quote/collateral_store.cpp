#include "attest/quote/collateral_store.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "attest/quote/quote_crypto.h"
#include "common/file_io.h"
#include "common/hex.h"
#include "crypto/sha256.h"

namespace chrysalis::attest {

namespace asio = boost::asio;
using Clock = std::chrono::system_clock;

namespace {

// The earliest nextUpdate of the signed documents and the CRLs: when the bundle stops being current.
Clock::time_point next_update_of(const Collateral& c) {
  auto next = Clock::time_point::max();
  for (const auto* item : {&c.tcb_info, &c.qe_identity})
    if (item->body.contains("nextUpdate") && item->body["nextUpdate"].is_string())
      next = std::min(next, parse_rfc3339(item->body["nextUpdate"].get<std::string>()));
  for (const auto& crl : {c.pck_crl, c.root_ca_crl})
    if (crl)
      if (const ASN1_TIME* t = X509_CRL_get0_nextUpdate(crl.get())) next = std::min(next, asn1_time_point(t));
  return next;
}

std::string file_name(const std::string& fmspc, const std::string& ca) { return fmspc + "-" + ca + ".json"; }

}  // namespace

CollateralStore::CollateralStore(asio::any_io_executor ex, PcsSettings pcs, std::filesystem::path cache_dir,
                                 std::chrono::seconds refresh)
    : ex_(ex), pcs_(std::move(pcs)), cache_dir_(std::move(cache_dir)), refresh_(refresh), timer_(ex) {
  load_cache();
}

std::shared_ptr<const CollateralEntry> CollateralStore::entry_of(const std::string& bundle) const {
  auto entry = std::make_shared<CollateralEntry>();
  entry->collateral = parse_collateral(bundle);
  entry->fingerprint = to_hex(std::span(reinterpret_cast<const uint8_t*>(crypto::sha256(bundle).data()), 32));
  entry->fetched = Clock::now();
  entry->next_update = next_update_of(entry->collateral);
  return entry;
}

void CollateralStore::load_cache() {
  if (cache_dir_.empty() || !std::filesystem::is_directory(cache_dir_)) return;
  for (const auto& file : std::filesystem::directory_iterator(cache_dir_)) {
    auto name = file.path().filename().string();
    auto dash = name.find('-');
    if (dash != 12 || file.path().extension() != ".json") continue;
    Key key{name.substr(0, 12), name.substr(13, name.size() - 13 - 5)};
    try {
      auto entry = entry_of(read_file(file.path()));
      auto& slot = slots_[key];
      slot.entry = entry;
      // Fetched anew soon: the file says nothing of whether Intel changed its mind since.
      slot.due = Clock::now();
      spdlog::info("collateral: FMSPC {} ({} CA) loaded from {}, current until {}", key.first, key.second,
                   file.path().string(), format_rfc3339(entry->next_update));
    } catch (const std::exception& e) {
      spdlog::warn("collateral: {} is not usable ({}); fetching it again", file.path().string(), e.what());
    }
  }
}

std::shared_ptr<const CollateralEntry> CollateralStore::get(const std::string& fmspc_in, const std::string& ca) {
  Key key{canonical_fmspc(fmspc_in), ca};
  std::lock_guard lock(mutex_);
  auto it = slots_.find(key);
  if (it == slots_.end()) {
    if (slots_.size() >= kMaxPlatforms) {
      ++refused_platforms_;
      return nullptr;
    }
    it = slots_.emplace(key, Slot{}).first;
  }
  if (!it->second.entry && !it->second.fetching && Clock::now() >= it->second.due) {
    it->second.fetching = true;
    asio::post(ex_, [self = shared_from_this(), key] { self->start_fetch(key); });
  }
  return it->second.entry;
}

void CollateralStore::start_fetch(const Key& key) {
  asio::co_spawn(
      ex_,
      [self = shared_from_this(), key]() -> asio::awaitable<void> {
        try {
          co_await self->fetch(key.first, key.second);
        } catch (const std::exception&) {
          // fetch() recorded the failure and when to try again
        }
      },
      asio::detached);
}

asio::awaitable<std::shared_ptr<const CollateralEntry>> CollateralStore::fetch(std::string fmspc, std::string ca) {
  Key key{canonical_fmspc(fmspc), ca};
  {
    std::lock_guard lock(mutex_);
    auto& slot = slots_[key];
    slot.fetching = true;
    ++slot.fetches;
  }
  std::string error;
  std::shared_ptr<const CollateralEntry> entry;
  try {
    std::string bundle = co_await fetch_collateral_bundle(ex_, pcs_, key.first, key.second);
    entry = entry_of(bundle);
    if (!cache_dir_.empty()) {
      std::filesystem::create_directories(cache_dir_);
      write_file(cache_dir_ / file_name(key.first, key.second), bundle, std::filesystem::perms(0644));
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  std::lock_guard lock(mutex_);
  auto& slot = slots_[key];
  slot.fetching = false;
  if (!entry) {
    ++slot.failures;
    slot.last_error = error;
    slot.due = Clock::now() + kRetryAfterFailure;
    spdlog::warn("collateral: FMSPC {} ({} CA): {}", key.first, key.second, error);
    throw std::runtime_error(error);
  }
  bool changed = !slot.entry || slot.entry->fingerprint != entry->fingerprint;
  slot.entry = entry;
  slot.last_error.clear();
  // Refreshed before it lapses (an hour ahead), and at least every refresh interval.
  auto before_lapse = entry->next_update - std::chrono::hours(1);
  slot.due = std::min(Clock::now() + refresh_, std::max(before_lapse, Clock::now() + kRetryAfterFailure));
  if (changed)
    spdlog::info("collateral: FMSPC {} ({} CA) fetched from {}, current until {}", key.first, key.second, pcs_.url,
                 format_rfc3339(entry->next_update));
  co_return entry;
}

void CollateralStore::start() {
  timer_.expires_after(std::chrono::seconds(2));
  timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->stopped_) return;
    self->tick();
    self->start();
  });
}

void CollateralStore::stop() {
  stopped_ = true;
  timer_.cancel();
}

void CollateralStore::tick() {
  std::vector<Key> due;
  {
    std::lock_guard lock(mutex_);
    for (auto& [key, slot] : slots_)
      if (!slot.fetching && Clock::now() >= slot.due) {
        slot.fetching = true;
        due.push_back(key);
      }
  }
  for (const auto& key : due) start_fetch(key);
}

nlohmann::json CollateralStore::stats() const {
  std::lock_guard lock(mutex_);
  nlohmann::json platforms = nlohmann::json::array();
  for (const auto& [key, slot] : slots_) {
    nlohmann::json p = {{"fmspc", key.first}, {"ca", key.second}, {"fetches", slot.fetches}, {"failures", slot.failures}};
    if (slot.entry) {
      p["fingerprint"] = slot.entry->fingerprint;
      p["next_update"] = format_rfc3339(slot.entry->next_update);
      p["tcb_evaluation_number"] = slot.entry->collateral.tcb_info.body.value("tcbEvaluationDataNumber", 0);
    }
    if (!slot.last_error.empty()) p["last_error"] = slot.last_error;
    platforms.push_back(std::move(p));
  }
  return {{"url", pcs_.url},
          {"refresh_s", refresh_.count()},
          {"platforms", std::move(platforms)},
          {"platforms_limit", kMaxPlatforms},
          {"platforms_refused", refused_platforms_}};
}

}  // namespace chrysalis::attest
