#include "proxy/worker_table.h"

#include <algorithm>

#include "attest/ra_tls/attested_peer_verifier.h"
#include "proxy/routing_deadline.h"

namespace chrysalis::proxy {

namespace {

bool contains(const std::vector<uint64_t>& ids, uint64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

double ewma(double avg, double sample) { return avg == 0 ? sample : avg * 0.8 + sample * 0.2; }

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

std::string WorkerTable::key_of(const WorkerEntry& w) {
  const auto& key = w.conn ? w.conn->peer_identity().public_key_hex : std::string();
  return key.empty() ? "id:" + w.id : key;
}

std::vector<WorkerCandidate> WorkerTable::candidates(const std::vector<uint64_t>& excluded, uint64_t prefix_hash,
                                                     std::vector<uint64_t>& ids) {
  std::vector<WorkerCandidate> out;
  ids.clear();
  for (auto& [id, w] : workers_) {
    WorkerCandidate c{.model = w.model,
                      .coefficient = w.coefficient,
                      .max_concurrent = w.max_concurrent,
                      .running = w.running,
                      .enabled = w.enabled,
                      .avg_request_ms = w.avg_request_ms,
                      .excluded = contains(excluded, id),
                      .last_dispatch = w.last_dispatch,
                      .disabled_reason = w.disabled_reason};
    routing_.describe(c, key_of(w), w.conn->rtt_us() / 1000.0, prefix_hash);
    out.push_back(std::move(c));
    ids.push_back(id);
  }
  return out;
}

WorkerPick WorkerTable::choose(const RequestFacts& facts, const proto::InferenceRequest& request,
                               const std::vector<uint64_t>& tried) {
  SelectionTiming::Scope timed(selection_timing_);
  std::vector<uint64_t> ids;
  auto list = candidates(tried, facts.prefix_hash, ids);
  const bool embeddings = request.path() == "/v1/embeddings";
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (embeddings && !workers_.at(ids[i]).embeddings) {
      list[i].enabled = false;
      list[i].disabled_reason = "does not serve /v1/embeddings for its model";
    }
    if (paid_ && workers_.at(ids[i]).contract.empty()) {
      list[i].enabled = false;  // it could not be paid
      list[i].disabled_reason = "names no payout wallet (owner_address) and this proxy bills per token";
    }
  }
  // The client always sets max_coefficient (default 4000), so 0 really means "only free workers".
  // A price cap narrows it further: a worker at coefficient c costs price x c per 1,000 tokens.
  const uint64_t price = price_per_token_();
  const uint32_t price_cap = coefficient_cap(request.max_price(), price);
  const uint32_t cap = std::min(request.max_coefficient(), price_cap);
  WorkerChoice choice = routing_.choose(
      list, facts.model, cap, routing_.shape(facts.model, request.max_tokens(), request.prompt_tokens_estimate()),
      request.ttft_deadline_ms(), price);
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
  pick.route = std::move(choice.reason);
  if (pick.route.empty() && request.max_price() && price)
    pick.route = "within max_price " + std::to_string(request.max_price()) + " nanoTON per 1,000 tokens: coefficient " +
                 std::to_string(workers_.at(ids[choice.index]).coefficient) + " of at most " +
                 std::to_string(price_cap);
  const WorkerEntry& w = workers_.at(ids[choice.index]);
  pick.conn = ids[choice.index];
  pick.key = key_of(w);
  pick.contract = w.contract;
  pick.certificate = w.certificate;
  pick.coefficient = w.coefficient;
  pick.predicted_ttft_ms = choice.predicted_ttft_ms;
  return pick;
}

bool WorkerTable::has_free_worker(const std::string& model, const std::vector<uint64_t>& tried) const {
  return std::any_of(workers_.begin(), workers_.end(), [&](const auto& entry) {
    const WorkerEntry& w = entry.second;
    return !contains(tried, entry.first) && w.model == model && w.enabled && w.running < w.max_concurrent;
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
  for (const auto& [id, w] : workers_) {
    if (!w.enabled || w.model != model) continue;
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
  std::map<std::string, proto::ModelInfo> models;
  std::map<std::string, std::vector<std::string>> keys;  // enabled workers' reputation keys per model
  for (auto& [id, w] : workers_) {
    if (w.model.empty()) continue;
    auto& m = models[w.model];
    m.set_id(w.model);
    if (!w.enabled) continue;
    keys[w.model].push_back(key_of(w));
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
  return reply;
}

nlohmann::json WorkerTable::json() const {
  nlohmann::json list = nlohmann::json::array();
  for (auto& [id, w] : workers_) {
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
                    {"reputation", routing_.worker_json(key_of(w), w.model)}});
  }
  return list;
}

}  // namespace chrysalis::proxy
