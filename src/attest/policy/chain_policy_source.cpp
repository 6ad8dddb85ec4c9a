#include "attest/policy/chain_policy_source.h"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "attest/quote/quote_bytes.h"
#include "common/time.h"

namespace chrysalis::attest {

namespace {

int64_t now_s() { return unix_now_us() / 1000000; }

std::set<std::string> hex_set(const std::vector<ton::Hash256>& hashes) {
  std::set<std::string> out;
  for (auto& h : hashes) out.insert(to_hex(h));
  return out;
}

}  // namespace

ChainPolicySource::ChainPolicySource(boost::asio::any_io_executor ex, Policy base, RegistrySettings settings)
    : ex_(std::move(ex)),
      base_(std::move(base)),
      settings_(std::move(settings)),
      root_(ton::Address::parse(settings_.root)) {}

void ChainPolicySource::start() {
  auto self = shared_from_this();
  boost::asio::co_spawn(
      ex_, [self]() { return self->refresh_loop(); }, boost::asio::detached);
}

void ChainPolicySource::stop() {
  *stopped_ = true;
  if (timer_) timer_->cancel();
}

boost::asio::awaitable<void> ChainPolicySource::refresh_loop() {
  auto stopped = stopped_;
  ton::ToncenterOptions options;
  options.endpoint = settings_.endpoint;
  options.api_key = settings_.api_key;
  ton::ToncenterClient client(ex_, options);
  timer_ = std::make_unique<boost::asio::steady_timer>(ex_);
  while (!*stopped) {
    std::string error;
    try {
      auto registry = co_await ton::contracts::read_root_registry(client, root_);
      if (*stopped) co_return;
      adopt(std::move(registry));
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (*stopped) co_return;
    if (!error.empty()) {
      ++failures_;
      if (error != last_error_) spdlog::warn("registry: reading root {} failed: {}", settings_.root, error);
      last_error_ = error;
    }
    timer_->expires_after(std::chrono::seconds(settings_.refresh_s));
    boost::system::error_code ec;
    co_await timer_->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }
}

void ChainPolicySource::refresh_now() {
  if (timer_) timer_->cancel();
}

void ChainPolicySource::adopt(ton::contracts::RootRegistry registry) {
  auto policy = std::make_shared<Policy>(base_);
  policy->allowed_proxy_images = hex_set(registry.proxy_image_hashes);
  policy->allowed_worker_images = hex_set(registry.worker_image_hashes);
  policy->allowed_models = hex_set(registry.model_hashes);
  policy->empty_lists_refuse = true;
  if (!registry_ || registry_->version != registry.version)
    spdlog::info("registry: root {} version {}: {} proxy images, {} worker images, {} models, {} proxies",
                 settings_.root, registry.version, registry.proxy_image_hashes.size(),
                 registry.worker_image_hashes.size(), registry.model_hashes.size(), registry.proxies.size());
  const bool changed = !snapshot_ || snapshot_->allowed_proxy_images != policy->allowed_proxy_images ||
                       snapshot_->allowed_worker_images != policy->allowed_worker_images ||
                       snapshot_->allowed_models != policy->allowed_models;
  snapshot_ = std::move(policy);
  registry_ = std::move(registry);
  fetched_at_s_ = now_s();
  ++reads_;
  last_error_.clear();
  if (changed && on_change_) on_change_();
  for (auto& listener : registry_listeners_) listener(*registry_);
}

std::string ChainPolicySource::unavailable_reason() const {
  if (!registry_)
    return "the root contract's registry has not been read yet" + (last_error_.empty() ? "" : " (" + last_error_ + ")");
  int64_t age = now_s() - fetched_at_s_;
  if (age > settings_.max_age_s)
    return "the registry is " + std::to_string(age) + " s old (limit " + std::to_string(settings_.max_age_s) +
           " s): the chain cannot be read" + (last_error_.empty() ? "" : " (" + last_error_ + ")");
  return "";
}

std::shared_ptr<const Policy> ChainPolicySource::current() const {
  std::string why = unavailable_reason();
  if (why.empty()) return snapshot_;
  auto refusing = std::make_shared<Policy>(base_);
  refusing->unavailable = why;
  return refusing;
}

nlohmann::json ChainPolicySource::stats() const {
  nlohmann::json j = {
      {"root", settings_.root},         {"endpoint", settings_.endpoint}, {"reads", reads_},
      {"failures", failures_},          {"last_error", last_error_},      {"fresh", unavailable_reason().empty()},
      {"problem", unavailable_reason()}};
  if (registry_) {
    j["version"] = registry_->version;
    j["age_s"] = now_s() - fetched_at_s_;
    j["proxy_images"] = registry_->proxy_image_hashes.size();
    j["worker_images"] = registry_->worker_image_hashes.size();
    j["models"] = registry_->model_hashes.size();
  }
  return j;
}

}  // namespace chrysalis::attest
