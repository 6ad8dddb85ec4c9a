#pragma once
// A scripted router, a recording biller and helpers to read a flow's actions, for the unit tests
// of the proxy's request state machine.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "proxy/request_flow.h"

namespace chrysalis::proxy::testing {

struct FakeWorker {
  uint64_t conn = 0;
  std::string model = "m";
  std::string contract = "worker-contract";
  uint32_t coefficient = 1000;
  bool enabled = true;
  uint32_t running = 0, max_concurrent = 4;
  double predicted_ttft_ms = 0;
};

struct Recorded {
  std::string key;
  Outcome outcome;
};

class ScriptedRouter final : public RequestRouter {
 public:
  std::vector<FakeWorker> workers;
  std::string problem;
  std::vector<Recorded> records;
  std::vector<AnswerReport> answers;
  std::vector<uint64_t> failures;
  bool spot_due = false;                 // what spot_check_due draws
  std::vector<SpotOffer> spot_offers;
  uint64_t next_stream = 0;

  static std::string key_for(uint64_t conn) { return "key" + std::to_string(conn); }
  FakeWorker* find(uint64_t conn) {
    auto it = std::find_if(workers.begin(), workers.end(), [&](auto& w) { return w.conn == conn; });
    return it == workers.end() ? nullptr : &*it;
  }
  bool tried(const std::vector<uint64_t>& list, uint64_t conn) const {
    return std::find(list.begin(), list.end(), conn) != list.end();
  }

  std::string serving_problem() const override { return problem; }
  WorkerPick choose(const RequestFacts& facts, const proto::InferenceRequest&,
                    const std::vector<uint64_t>& excluded) override {
    for (auto& w : workers)
      if (w.model == facts.model && w.enabled && w.running < w.max_concurrent && !tried(excluded, w.conn))
        return WorkerPick{.conn = w.conn,
                          .key = key_for(w.conn),
                          .contract = w.contract,
                          .certificate = "cert-" + std::to_string(w.conn),
                          .coefficient = w.coefficient,
                          .predicted_ttft_ms = w.predicted_ttft_ms};
    bool busy = std::any_of(workers.begin(), workers.end(), [&](auto& w) {
      return w.model == facts.model && w.enabled && !tried(excluded, w.conn);
    });
    if (busy) return WorkerPick{.http_status = 429, .code = "all_workers_busy", .message = "all at capacity"};
    return WorkerPick{.http_status = 503, .code = "no_ready_workers", .message = "no worker is ready"};
  }
  bool has_free_worker(const std::string& model, const std::vector<uint64_t>& excluded) const override {
    return std::any_of(workers.begin(), workers.end(), [&](auto& w) {
      return w.model == model && w.enabled && w.running < w.max_concurrent && !tried(excluded, w.conn);
    });
  }
  WorkerSlot take_slot(uint64_t conn) override {
    auto* w = find(conn);
    WorkerSlot slot{next_stream += 2, w->running};
    w->running++;
    return slot;
  }
  // Every worker of the model at capacity.
  void fill_all() {
    for (auto& w : workers) w.running = w.max_concurrent;
  }
  void release_slot(uint64_t conn) override {
    if (auto* w = find(conn); w && w->running > 0) w->running--;
  }
  bool connected(uint64_t conn) const override {
    return std::any_of(workers.begin(), workers.end(), [&](auto& w) { return w.conn == conn; });
  }
  void record(const std::string& key, const std::string&, Outcome outcome, const std::string&,
              const proto::Receipt* receipt) override {
    records.push_back({key, outcome});
    if (receipt) recorded_receipts.push_back(*receipt);
  }
  std::vector<proto::Receipt> recorded_receipts;
  void count_failure(uint64_t conn, uint64_t) override { failures.push_back(conn); }
  void answered(const AnswerReport& report) override { answers.push_back(report); }
  bool spot_check_due() override { return spot_due; }
  void offer_spot_check(SpotOffer offer) override { spot_offers.push_back(std::move(offer)); }
  void disconnect(uint64_t conn) {
    workers.erase(std::remove_if(workers.begin(), workers.end(), [&](auto& w) { return w.conn == conn; }),
                  workers.end());
  }
};

// Holds per reservation id; remembers what each release charged.
class RecordingBiller final : public RequestBiller {
 public:
  BillingRefusal admit_refusal;
  int funds_for = 1000;  // how many more reservations the client's funds cover
  uint64_t next_id = 0;
  std::map<uint64_t, bool> open;                            // id -> still held
  std::map<uint64_t, std::optional<proto::Usage>> charged;  // id -> what its release charged (nullopt: nothing)
  std::vector<std::pair<uint64_t, uint64_t>> shrunk;        // (id, prompt tokens)

  BillingRefusal admit(uint64_t, std::string& contract) override {
    contract = "client-contract";
    return admit_refusal;
  }
  Reservation reserve(const std::string&, const std::string&, uint32_t, const proto::InferenceRequest&) override {
    if (funds_for <= 0) return {0, {402, "billing_error", "insufficient_funds", "the client contract lacks funds"}};
    funds_for--;
    open[++next_id] = true;
    return {next_id, {}};
  }
  void hold_exact_prompt(uint64_t id, uint64_t prompt_tokens, uint64_t) override {
    shrunk.emplace_back(id, prompt_tokens);
  }
  void release(uint64_t id, const proto::Usage* produced, proto::Billing* out) override {
    if (id == 0) return;
    open[id] = false;
    charged[id] = produced ? std::optional(*produced) : std::nullopt;
    if (out && produced) out->set_charged_tokens(produced->prompt_tokens() + produced->completion_tokens());
  }
  size_t held() const {
    return std::count_if(open.begin(), open.end(), [](auto& e) { return e.second; });
  }
};

template <class T>
std::vector<T> all_of(const FlowActions& actions) {
  std::vector<T> out;
  for (auto& a : actions)
    if (auto* t = std::get_if<T>(&a)) out.push_back(*t);
  return out;
}

template <class T>
bool has(const FlowActions& actions) {
  return !all_of<T>(actions).empty();
}

// Frames a worker sends.
inline proto::Frame head_frame(uint64_t stream, uint64_t prompt_tokens = 0) {
  proto::Frame f;
  f.set_stream(stream);
  f.mutable_head()->set_status(200);
  f.mutable_head()->set_prompt_tokens(prompt_tokens);
  return f;
}

inline proto::Frame part_frame(uint64_t stream, const std::string& text, int events = 1) {
  proto::Frame f;
  f.set_stream(stream);
  for (int i = 0; i < events; ++i)
    f.mutable_part()->add_events(R"({"choices":[{"delta":{"content":")" + text + R"("}}]})");
  return f;
}

inline proto::Frame end_frame(uint64_t stream, uint64_t prompt, uint64_t completion) {
  proto::Frame f;
  f.set_stream(stream);
  f.mutable_end()->mutable_usage()->set_prompt_tokens(prompt);
  f.mutable_end()->mutable_usage()->set_completion_tokens(completion);
  return f;
}

inline proto::Frame error_frame(uint64_t stream, uint32_t status, const std::string& code, uint64_t completion = 0) {
  proto::Frame f;
  f.set_stream(stream);
  auto* e = f.mutable_error();
  e->set_http_status(status);
  e->set_type("upstream_error");
  e->set_code(code);
  e->set_message(code + " happened");
  e->set_hop("engine");
  if (completion) {
    e->mutable_usage()->set_prompt_tokens(10);
    e->mutable_usage()->set_completion_tokens(completion);
  }
  return f;
}

}  // namespace chrysalis::proxy::testing
