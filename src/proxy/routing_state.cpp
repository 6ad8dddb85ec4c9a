#include "proxy/routing_state.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/time.h"
#include "proxy/reputation_event.h"
#include "proxy/routing_deadline.h"

namespace chrysalis::proxy {

namespace {
PolicyParams policy_params_for(const RoutingConfig& c) {
  PolicyParams p;
  p.trial_share = c.trial_share;
  return p;
}

ReputationParams params_for(const RoutingConfig& c) {
  ReputationParams p;
  p.half_life_s = c.reputation_half_life_s;
  return p;
}
}  // namespace

RoutingState::RoutingState(RoutingConfig config, std::filesystem::path db_file)
    : config_(std::move(config)),
      book_(params_for(config_)),
      policy_(make_selection_policy(config_.policy, policy_params_for(config_))),
      rng_(std::random_device{}()) {
  if (!db_file.empty()) {
    store_ = std::make_unique<ReputationStore>(db_file);
    loaded_ = store_->load(book_);
    store_->load_counters(table_);
  }
  saved_us_ = unix_now_us();
}

RequestShape RoutingState::shape(const std::string& model, uint32_t max_tokens, uint64_t prompt_tokens) const {
  RequestShape s;
  auto it = typical_tokens_.find(model);
  double typical = it == typical_tokens_.end() ? 256 : it->second;
  s.expected_tokens = max_tokens > 0 ? std::min<double>(max_tokens, typical) : typical;
  s.prompt_tokens = static_cast<double>(prompt_tokens);
  return s;
}

uint64_t RoutingState::prefix_hash(const nlohmann::json& body) const {
  return prompt_prefix_hash(body, config_.affinity_prefix_chars);
}

void RoutingState::set_owner(const std::string& key, const std::string& owner, const std::string& owner_proof) {
  if (owner.empty()) {
    owners_.erase(key);
    owner_proofs_.erase(key);
  } else if (owners_.count(key) || owners_.size() < kMaxOwnerLinks) {
    owners_[key] = owner;
    owner_proofs_[key] = owner_proof;
  }
}

std::string RoutingState::owner_proof_of(const std::string& key) const {
  auto it = owner_proofs_.find(key);
  return it == owner_proofs_.end() ? std::string() : it->second;
}

void RoutingState::publish(const std::string& key, const std::string& model, const nlohmann::json& event) {
  if (!table_.record(subject_of(key), model, event))
    spdlog::error("reputation: an event the table does not take: {}", event.dump().substr(0, 300));
}

std::string RoutingState::subject_of(const std::string& key) const {
  auto it = owners_.find(key);
  return it == owners_.end() ? key : "owner:" + it->second;
}

void RoutingState::changed(const std::string& key, const std::string& model) {
  unsaved_keys_.insert(key);
  if (auto it = owners_.find(key); it != owners_.end()) unsaved_keys_.insert("owner:" + it->second + "|" + model);
}

Reputation* RoutingState::owner_record(const std::string& key, const std::string& model) {
  auto it = owners_.find(key);
  if (it == owners_.end()) return nullptr;
  return &book_.of("owner:" + it->second + "|" + model, model);
}

void RoutingState::describe(WorkerCandidate& c, const std::string& key, double rtt_ms,
                            const std::string& affinity_key) {
  int64_t now = unix_now_us();
  auto& rep = book_.of(key, c.model);
  c.trust = rep.trust(now, book_.params());
  c.trial = rep.on_trial(now, book_.params());
  if (auto* owner = owner_record(key, c.model)) {  // a fresh key does not wash a bad owner clean
    c.trust = std::min(c.trust, owner->trust(now, book_.params()));
    c.trial = owner->on_trial(now, book_.params());
  }
  c.ttft_ms = rep.ttft_ms();
  c.tokens_per_s = rep.tokens_per_s();
  c.contention = rep.contention();
  c.rtt_ms = std::max(0.0, rtt_ms);
  c.history = rep.evidence(now, book_.params());
  c.affinity = !affinity_key.empty() && affinity_key == key;
}

WorkerChoice RoutingState::choose(const std::vector<WorkerCandidate>& candidates, const std::string& model,
                                  uint32_t max_coefficient, const RequestShape& shape, uint32_t ttft_deadline_ms,
                                  uint64_t price_per_token) {
  WorkerChoice choice;
  auto eligible = eligible_workers(candidates, model, max_coefficient);
  if (ttft_deadline_ms == 0) {
    choice = select_worker(candidates, model, max_coefficient, *policy_, shape, rng_);
  } else if (eligible.empty()) {
    return choose_worker(candidates, model, max_coefficient);
  } else {
    auto pick =
        choose_for_deadline(candidates, eligible, shape, ttft_deadline_ms, policy_params_for(config_), price_per_token);
    choice.index = static_cast<int>(pick.index);
    choice.reason = std::move(pick.reason);
  }
  if (choice.index >= 0)
    choice.predicted_ttft_ms = predicted_ttft_ms(candidates[static_cast<std::size_t>(choice.index)], shape,
                                                 policy_params_for(config_), typical_ttft_ms(candidates, eligible));
  return choice;
}

void RoutingState::record_dispatch(const std::string& model, uint32_t coefficient) {
  // Bands of 0.1x; the table stays small whatever coefficients workers announce.
  uint32_t band = std::min<uint32_t>(coefficient, kMaxBand) / 100 * 100;
  ++dispatch_by_band_[band];
  if (dispatch_by_model_.count(model) || dispatch_by_model_.size() < kMaxDispatchModels)
    ++dispatch_by_model_[model][band];
}

std::vector<std::pair<uint32_t, uint64_t>> RoutingState::dispatched(const std::string& model) const {
  auto it = dispatch_by_model_.find(model);
  if (it == dispatch_by_model_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

void RoutingState::record(const std::string& key, const std::string& model, Outcome outcome,
                          const std::string& request_id, const proto::Receipt* receipt) {
  // A success is published only with the worker's receipt; without one the answer was unaccountable.
  if (outcome == Outcome::Success && !receipt) outcome = Outcome::ErrorAfterFirstToken;
  book_.of(key, model).record(outcome, unix_now_us(), book_.params());
  if (auto* owner = owner_record(key, model)) owner->record(outcome, unix_now_us(), book_.params());
  publish(key, model, outcome_event(request_id, key, outcome, -1, 0, receipt, owner_proof_of(key)));
  changed(key, model);
  save();
}

void RoutingState::record_answer(const std::string& key, const std::string& model, const Answer& a) {
  if (!a.receipt || a.ttft_ms < 0) return record(key, model, Outcome::Success, a.request_id, a.receipt);
  int64_t now = unix_now_us();
  auto& rep = book_.of(key, model);
  rep.record(Outcome::Success, now, book_.params());
  if (auto* owner = owner_record(key, model)) owner->record(Outcome::Success, now, book_.params());
  double observed =
      a.completion_tokens > 1 && a.generation_ms > 0 ? a.completion_tokens * 1000.0 / a.generation_ms : 0;
  publish(key, model,
          outcome_event(a.request_id, key, Outcome::Success, a.ttft_ms, observed, a.receipt, owner_proof_of(key)));
  auto& typical = typical_tokens_[model];
  typical = typical == 0 ? a.completion_tokens : typical * 0.95 + a.completion_tokens * 0.05;
  if (observed > 0) {
    rep.record_load_speed(observed, a.running_before, now, book_.params());
    double c = rep.contention() > 0 ? rep.contention() : PolicyParams{}.contention;
    double normalize = 1 + c * a.running_before;
    rep.record_speed(a.ttft_ms / normalize / prompt_ttft_scale(static_cast<double>(a.prompt_tokens)),
                     observed * normalize, now, book_.params());
  }
  changed(key, model);
  save();
}

void RoutingState::record_spot_check(const std::string& key, const std::string& model, bool agreed,
                                     const std::string& request_id, std::size_t self,
                                     const std::vector<proto::Receipt>& receipts) {
  book_.of(key, model).record_spot_check(agreed, unix_now_us(), book_.params());
  if (auto* owner = owner_record(key, model)) owner->record_spot_check(agreed, unix_now_us(), book_.params());
  publish(key, model, spot_event(request_id, key, agreed, self, receipts, owner_proof_of(key)));
  changed(key, model);
  save();
}

nlohmann::json RoutingState::worker_json(const std::string& key, const std::string& model) {
  int64_t now = unix_now_us();
  const Reputation* rep = &book_.of(key, model);
  const auto& p = book_.params();
  const auto& s = rep->state();
  nlohmann::json j = {{"score", book_.score(key, now)},
          {"trust", rep->trust(now, p)},
          {"reliability", rep->reliability(now, p)},
          {"honesty", rep->honesty(now, p)},
          {"trial", rep->on_trial(now, p)},
          {"ttft_ms", rep->ttft_ms()},
          {"tokens_per_s", rep->tokens_per_s()},
          {"contention", rep->contention()},
          {"outcomes", s.lifetime},
          {"spot_agreements", s.spot_agreements},
          {"spot_disagreements", s.spot_disagreements}};
  j["subject"] = subject_of(key);
  if (const auto* owner = owner_record(key, model)) {
    j["owner_trust"] = owner->trust(now, p);
    j["owner_trial"] = owner->on_trial(now, p);
    j["owner_outcomes"] = owner->state().lifetime;
  }
  return j;
}

nlohmann::json RoutingState::model_json(const std::string& model, const std::vector<std::string>& keys) {
  std::vector<double> scores;
  for (auto& k : keys) scores.push_back(book_.score(k, unix_now_us()));
  if (scores.empty()) return {{"best", nullptr}, {"median", nullptr}};
  std::sort(scores.begin(), scores.end());
  return {{"best", scores.back()}, {"median", scores[scores.size() / 2]}};
}

nlohmann::json RoutingState::json() const {
  // Which prices win traffic: requests dispatched per coefficient band ("1000" = 1.0x to 1.099x;
  // "10000" = 10x and above), so a worker operator can see where to price.
  nlohmann::json bands = nlohmann::json::object();
  for (const auto& [band, count] : dispatch_by_band_) bands[std::to_string(band)] = count;
  return {{"policy", config_.policy},
          {"dispatched_by_coefficient", std::move(bands)},
          {"first_token_timeout_ms", config_.first_token_timeout_ms},
          {"first_token_factor", config_.first_token_factor},
          {"hedge_after_ms", config_.hedge_after_ms},
          {"hedge_factor", config_.hedge_factor},
          {"trial_share", config_.trial_share},
          {"spot_check_rate", config_.spot_check_rate},
          {"affinity_prefix_chars", config_.affinity_prefix_chars},
          {"reputation_half_life_s", config_.reputation_half_life_s},
          {"known_workers", book_.entries().size()},
          {"owner_links", {{"held", owners_.size()}, {"limit", kMaxOwnerLinks}}},
          {"dispatch_models", {{"held", dispatch_by_model_.size()}, {"limit", kMaxDispatchModels}}},
          {"persisted", store_ != nullptr},
          {"last_save_rows", last_save_rows_}};
}

void RoutingState::save(bool force) {
  if (!store_ || (unsaved_keys_.empty() && table_.unsaved().empty())) return;
  int64_t now = unix_now_us();
  if (!force && now - saved_us_ < 2'000'000) return;
  try {
    // Only what changed since the last save: rows for every known worker each time stalled the loop.
    last_save_rows_ = store_->save(book_, unsaved_keys_);
    last_save_rows_ += store_->save_counters(table_);
    unsaved_keys_.clear();
    table_.mark_saved();
  } catch (const std::exception& e) {
    spdlog::error("routing: {}", e.what());
  }
  saved_us_ = now;
}

}  // namespace chrysalis::proxy
