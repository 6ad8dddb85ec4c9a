#include "proxy/worker_table.h"

#include <algorithm>

#include "attest/ra_tls/attested_peer_verifier.h"
#include "common/time.h"
#include "proxy/routing_deadline.h"

namespace chrysalis::proxy {

namespace {

bool contains(const std::vector<uint64_t>& ids, uint64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

double ewma(double avg, double sample) { return avg == 0 ? sample : avg * 0.8 + sample * 0.2; }

// The reputation key: the public key survives reconnects and restarts; the id is a fallback.
std::string reputation_key_of(const WorkerEntry& w) {
  const auto& key = w.conn ? w.conn->peer_identity().public_key_hex : std::string();
  return key.empty() ? "id:" + w.id : key;
}

}  // namespace

WorkerTable::WorkerTable(RoutingState& routing, bool paid, std::function<std::string()> serving_problem,
                         SpotCheckOffer spot_check)
    : routing_(routing),
      paid_(paid),
      serving_problem_(std::move(serving_problem)),
      spot_check_(std::move(spot_check)) {}

WorkerEntry* WorkerTable::find(uint64_t conn) {
  auto it = workers_.find(conn);
  return it == workers_.end() ? nullptr : &it->second;
}

WorkerEntry& WorkerTable::add(uint64_t conn, WorkerEntry entry) {
  remove(conn);
  entry.conn_id = conn;
  entry.key = reputation_key_of(entry);
  WorkerEntry& w = workers_[conn] = std::move(entry);
  index_model(w, true);
  by_key_[w.key] = conn;
  changed();
  return w;
}

void WorkerTable::remove(uint64_t conn) {
  auto it = workers_.find(conn);
  if (it == workers_.end()) return;
  index_model(it->second, false);
  if (auto k = by_key_.find(it->second.key); k != by_key_.end() && k->second == conn) by_key_.erase(k);
  workers_.erase(it);
  changed();
}

void WorkerTable::set_model(WorkerEntry& w, const std::string& model) {
  if (w.model == model) return;
  index_model(w, false);
  w.model = model;
  index_model(w, true);
  changed();
}

void WorkerTable::index_model(WorkerEntry& w, bool add) {
  if (w.model.empty()) return;
  if (add) {
    by_model_[w.model].push_back(&w);
    return;
  }
  auto it = by_model_.find(w.model);
  if (it == by_model_.end()) return;
  auto& list = it->second;
  if (auto pos = std::find(list.begin(), list.end(), &w); pos != list.end()) {
    *pos = list.back();  // order does not matter: samples start at a random point
    list.pop_back();
  }
  if (list.empty()) by_model_.erase(it);
}

bool WorkerTable::eligible(const WorkerEntry& w, const Eligibility& need,
                           const std::vector<uint64_t>& excluded) const {
  return w.enabled && w.running < w.max_concurrent && w.coefficient <= need.max_coefficient &&
         (!need.embeddings || w.embeddings) && (!paid_ || !w.contract.empty()) && !contains(excluded, w.conn_id);
}

WorkerCandidate WorkerTable::candidate_of(const WorkerEntry& w, bool excluded) const {
  return WorkerCandidate{.model = w.model,
                         .coefficient = w.coefficient,
                         .max_concurrent = w.max_concurrent,
                         .running = w.running,
                         .enabled = w.enabled,
                         .avg_request_ms = w.avg_request_ms,
                         .excluded = excluded,
                         .last_dispatch = w.last_dispatch,
                         .disabled_reason = w.disabled_reason};
}

WorkerTable::CandidateList WorkerTable::candidates(const Eligibility& need, const std::vector<uint64_t>& excluded) {
  CandidateList out;
  auto model = by_model_.find(need.model);
  if (model == by_model_.end()) return out;  // nobody serves it: the policy says model_not_found
  const std::vector<WorkerEntry*>& all = model->second;
  const std::string affinity_key = need.prefix_hash ? routing_.affinity_worker(need.prefix_hash) : std::string();
  // A worker the request's kind or this proxy's billing rules out counts as disabled, with why.
  auto add = [&](const WorkerEntry& w, bool describe) {
    WorkerCandidate c = candidate_of(w, contains(excluded, w.conn_id));
    if (need.embeddings && !w.embeddings) {
      c.enabled = false;
      c.disabled_reason = "does not serve /v1/embeddings for its model";
    }
    if (paid_ && w.contract.empty()) {
      c.enabled = false;  // it could not be paid
      c.disabled_reason = "names no payout wallet (owner_address) and this proxy bills per token";
    }
    if (describe) routing_.describe(c, w.key, w.conn ? w.conn->rtt_us() / 1000.0 : 0, affinity_key);
    out.candidates.push_back(std::move(c));
    out.ids.push_back(w.conn_id);
  };
  if (all.size() <= kSampleAll) {
    for (const WorkerEntry* w : all) add(*w, true);
    return out;
  }
  // The prompt-prefix worker first (its engine may hold the prompt's cache), then a window of
  // eligible workers from a random start.
  const WorkerEntry* affine = nullptr;
  if (!affinity_key.empty()) {
    auto k = by_key_.find(affinity_key);
    if (k != by_key_.end()) {
      const WorkerEntry& w = workers_.at(k->second);
      if (w.model == need.model && eligible(w, need, excluded)) affine = &w;
    }
  }
  if (affine) add(*affine, true);
  std::size_t start = std::uniform_int_distribution<std::size_t>(0, all.size() - 1)(sample_rng_);
  for (std::size_t n = 0; n < all.size() && out.ids.size() < kSampleSize + (affine ? 1 : 0); ++n) {
    const WorkerEntry* w = all[(start + n) % all.size()];
    if (w != affine && eligible(*w, need, excluded)) add(*w, true);
  }
  if (!out.ids.empty()) return out;
  // Nobody eligible: every worker of the model, so the error names why (busy, disabled, too dear).
  for (const WorkerEntry* w : all) add(*w, false);
  return out;
}

WorkerPick WorkerTable::choose(const RequestFacts& facts, const proto::InferenceRequest& request,
                               const std::vector<uint64_t>& tried) {
  SelectionTiming::Scope timed(selection_timing_);
  // The client always sets max_coefficient (default 4000), so 0 really means "only free workers".
  // A price cap narrows it further: a worker at coefficient c costs price x c per 1,000 tokens.
  const uint64_t price = price_per_token_();
  const uint32_t price_cap = coefficient_cap(request.max_price(), price);
  const uint32_t cap = std::min(request.max_coefficient(), price_cap);
  auto list = candidates({.model = facts.model,
                          .max_coefficient = cap,
                          .embeddings = request.path() == "/v1/embeddings",
                          .prefix_hash = facts.prefix_hash},
                         tried);
  WorkerChoice choice = routing_.choose(
      list.candidates, facts.model, cap,
      routing_.shape(facts.model, request.max_tokens(), request.prompt_tokens_estimate()), request.ttft_deadline_ms(),
      price);
  WorkerPick pick;
  if (choice.index < 0) {
    pick.http_status = choice.http_status;
    pick.code = choice.code;
    pick.message = choice.message;
    if (choice.code == "price_too_high" && price_cap < request.max_coefficient())
      pick.message += " (max_price " + std::to_string(request.max_price()) + " nanoTON per 1,000 tokens at " +
                      std::to_string(price) + " nanoTON per token admits coefficients up to " +
                      std::to_string(price_cap) + ")";
    return pick;
  }
  const WorkerEntry& w = workers_.at(list.ids[static_cast<std::size_t>(choice.index)]);
  pick.route = std::move(choice.reason);
  if (pick.route.empty() && request.max_price() && price)
    pick.route = "within max_price " + std::to_string(request.max_price()) + " nanoTON per 1,000 tokens: coefficient " +
                 std::to_string(w.coefficient) + " of at most " + std::to_string(price_cap);
  pick.conn = w.conn_id;
  pick.key = w.key;
  pick.contract = w.contract;
  pick.certificate = w.certificate;
  pick.coefficient = w.coefficient;
  pick.predicted_ttft_ms = choice.predicted_ttft_ms;
  return pick;
}

uint64_t WorkerTable::choose_other(const std::string& model, uint32_t max_coefficient, const RequestShape& shape,
                                   const std::vector<uint64_t>& excluded) {
  auto list = candidates({.model = model, .max_coefficient = max_coefficient}, excluded);
  auto choice = routing_.choose(list.candidates, model, max_coefficient, shape);
  return choice.index < 0 ? 0 : list.ids[static_cast<std::size_t>(choice.index)];
}

bool WorkerTable::has_free_worker(const std::string& model, const std::vector<uint64_t>& tried) const {
  auto it = by_model_.find(model);
  if (it == by_model_.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(), [&](const WorkerEntry* w) {
    return w->enabled && w->running < w->max_concurrent && !contains(tried, w->conn_id);
  });
}

WorkerSlot WorkerTable::take_slot(uint64_t worker_conn) {
  WorkerEntry& w = workers_.at(worker_conn);
  WorkerSlot slot{w.conn->next_stream_id(), w.running};
  routing_.record_dispatch(w.model, w.coefficient);
  w.running++;
  w.last_dispatch = ++dispatch_seq_;
  return slot;
}

void WorkerTable::release_slot(uint64_t worker_conn) {
  auto* w = find(worker_conn);
  if (!w || w->running == 0) return;
  w->running--;
  if (slot_released_) slot_released_(w->model);
}

ModelCapacity WorkerTable::capacity(const std::string& model) const {
  ModelCapacity c;
  double ms_sum = 0;
  uint32_t measured = 0;
  auto it = by_model_.find(model);
  if (it == by_model_.end()) return c;
  for (const WorkerEntry* entry : it->second) {
    const WorkerEntry& w = *entry;
    if (!w.enabled) continue;
    c.slots += w.max_concurrent;
    if (w.avg_request_ms > 0) {
      ms_sum += w.avg_request_ms;
      ++measured;
    }
  }
  c.request_ms = measured ? ms_sum / measured : 0;
  return c;
}

void WorkerTable::record(const std::string& key, const std::string& model, Outcome outcome,
                         const std::string& request_id, const proto::Receipt* receipt) {
  routing_.record(key, model, outcome, request_id, receipt);
}

void WorkerTable::count_failure(uint64_t worker_conn, uint64_t tokens) {
  if (auto* w = find(worker_conn)) {
    w->failed++;
    w->tokens += tokens;
  }
}

void WorkerTable::answered(const AnswerReport& r) {
  RoutingState::Answer answer;
  answer.request_id = r.request_id;
  answer.ttft_ms = r.attempt_ttft_ms;
  answer.generation_ms = r.generation_ms;
  answer.completion_tokens = r.usage.completion_tokens();
  answer.prompt_tokens = r.prompt_tokens_estimate;
  answer.running_before = r.running_before;
  answer.receipt = r.receipt ? &*r.receipt : nullptr;
  routing_.record_answer(r.worker_key, r.model, answer);
  if (r.prefix_hash) routing_.remember_prefix(r.prefix_hash, r.worker_key);
  WorkerEntry* w = find(r.worker_conn);
  if (!w) return;
  w->avg_request_ms = ewma(w->avg_request_ms, r.total_ms);
  if (r.ttft_ms >= 0) w->avg_ttft_ms = ewma(w->avg_ttft_ms, r.ttft_ms);
  w->served++;
  w->tokens += r.usage.prompt_tokens() + r.usage.completion_tokens();
}

bool WorkerTable::spot_check_due() { return spot_check_ && routing_.spot_check_due(); }

void WorkerTable::offer_spot_check(SpotOffer offer) {
  if (spot_check_) spot_check_(std::move(offer));
}

proto::ModelsReply WorkerTable::models() const {
  int64_t now = steady_now_us();
  if (now < models_cache_until_us_) return models_cache_;
  std::map<std::string, proto::ModelInfo> models;
  std::map<std::string, std::vector<std::string>> keys;  // enabled workers' reputation keys per model
  for (auto& [id, w] : workers_) {
    if (w.model.empty()) continue;
    auto& m = models[w.model];
    m.set_id(w.model);
    if (!w.enabled) continue;
    keys[w.model].push_back(w.key);
    m.set_min_coefficient(m.workers() == 0 ? w.coefficient : std::min(m.min_coefficient(), w.coefficient));
    m.set_max_coefficient(std::max(m.max_coefficient(), w.coefficient));
    m.set_workers(m.workers() + 1);
    m.set_running(m.running() + w.running);
    m.set_capacity(m.capacity() + w.max_concurrent);
  }
  proto::ModelsReply reply;
  for (auto& [name, info] : models) {
    auto rep = routing_.model_json(name, keys[name]);
    info.set_reputation_best(rep["best"].is_number() ? rep["best"].get<double>() : -1);
    info.set_reputation_median(rep["median"].is_number() ? rep["median"].get<double>() : -1);
    for (auto& [band, requests] : routing_.dispatched(name)) {
      auto* b = info.add_dispatched();
      b->set_coefficient(band);
      b->set_requests(requests);
    }
    *reply.add_models() = info;
  }
  models_cache_ = reply;
  models_cache_until_us_ = now + kModelsCacheUs;
  return reply;
}

nlohmann::json WorkerTable::json(std::size_t offset, std::size_t limit) const {
  nlohmann::json list = nlohmann::json::array();
  auto first = workers_.begin();
  std::advance(first, std::min(offset, workers_.size()));
  for (auto it = first; it != workers_.end() && list.size() < limit; ++it) {
    const auto& [id, w] = *it;
    list.push_back({{"id", w.id},
                    {"connection", id},
                    {"remote", w.conn->remote()},
                    {"public_key", w.conn->peer_identity().public_key_hex},
                    {"model", w.model},
                    {"model_hash", w.model_hash},
                    {"coefficient", w.coefficient},
                    {"max_concurrent", w.max_concurrent},
                    {"running", w.running},
                    {"enabled", w.enabled},
                    {"disabled_reason", w.disabled_reason},
                    {"embeddings", w.embeddings},
                    {"owner", w.owner},
                    {"owner_proven", !w.proven_owner.empty()},
                    {"avg_request_ms", w.avg_request_ms},
                    {"avg_ttft_ms", w.avg_ttft_ms},
                    {"rtt_ms", w.conn->rtt_us() / 1000.0},
                    {"served", w.served},
                    {"failed", w.failed},
                    {"tokens", w.tokens},
                    {"attestation", attest::peer_attestation_json(w.conn->peer_identity())},
                    {"reputation", routing_.worker_json(w.key, w.model)}});
  }
  return list;
}

}  // namespace chrysalis::proxy
