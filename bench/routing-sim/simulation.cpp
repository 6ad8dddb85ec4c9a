#include "simulation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <queue>
#include <random>
#include <vector>

#include "proxy/routing_config.h"
#include "proxy/routing_deadline.h"
#include "proxy/routing_reputation.h"
#include "proxy/routing_selection_policy.h"
#include "proxy/routing_spot_check.h"

namespace routing_sim {

using namespace chrysalis::proxy;

namespace {

// Misbehaviour kinds. Slow: 10x slower than its hardware suggests (throttled, shared GPU);
// Stall: accepts and never answers; Crash: half its answers die mid-stream; Flaky: half its
// requests fail at once; Wrong: answers fast and complete, but with wrong text.
enum class Kind { Honest, Slow, Stall, Crash, Flaky, Wrong };
constexpr Kind kBadKinds[] = {Kind::Slow, Kind::Stall, Kind::Crash, Kind::Flaky, Kind::Wrong};

struct Worker {
  Kind kind = Kind::Honest;
  double ttft_ms = 0, tps = 0, rtt_ms = 0, contention = 0;
  uint32_t slots = 0;
  bool online = true;                 // false: gone, but the proxy may not know yet
  bool connected = true;              // the proxy's view
  uint32_t epoch = 0;                 // bumped when it goes offline: its pending events are void
  std::vector<uint32_t> active;       // attempt ids
  double avg_sum = 0, avg_count = 0;  // reference policy: decayed sums, 600 s time constant
  double avg_updated_ms = 0;
  std::string key;
};

struct Request {
  double arrival_ms = 0, deadline_ms = 0;
  double prompt_tokens = 0, completion_tokens = 0;
  uint32_t attempts = 0;
  std::vector<uint32_t> tried;
  bool measured = false;
  bool answered = false;          // an attempt produced its first token (a hedge race is over)
  bool hedged = false;
  std::vector<uint32_t> live;     // attempts running now
  int spot_case = -1;             // >= 0: a spot-check duplicate, not a client request
  uint32_t ttft_deadline_ms = 0;  // terms: the first token wanted within this (0: none)
};

struct Attempt {
  uint32_t request = 0, worker = 0, epoch = 0, running_before = 0;
  double start_ms = 0, first_token_ms = 0;
  bool active = true;
};

struct SpotCase {
  std::vector<uint32_t> workers;
  std::vector<std::string> outputs;
};

enum class Ev { Arrival, FirstToken, Complete, EarlyError, FirstTokenTimeout, Hedge, Crash, Down, Detected, Up, BusyRetry };

struct Event {
  double t;
  Ev type;
  uint32_t a;  // request, attempt or worker id
  uint32_t epoch = 0;
  bool operator>(const Event& o) const { return t > o.t; }
};

double lognormal(std::mt19937_64& rng, double median, double sigma) {
  return median * std::exp(sigma * std::normal_distribution<>(0, 1)(rng));
}

// Size distributions (assumed, in the range public LLM traces show): prompt tokens log-normal
// median 400, sigma 1.0, capped at 8000; completion tokens median 150, sigma 0.8, capped at 2000.
double draw_prompt(std::mt19937_64& rng) { return std::min(8000.0, std::max(1.0, lognormal(rng, 400, 1.0))); }
double draw_completion(std::mt19937_64& rng) { return std::min(2000.0, std::max(1.0, lognormal(rng, 150, 0.8))); }
double ttft_factor(double prompt_tokens) { return 0.5 + prompt_tokens / 800; }

constexpr std::string_view kTermsSuffix = "+terms";

std::string base_policy(const std::string& name) {
  return name.ends_with(kTermsSuffix) ? name.substr(0, name.size() - kTermsSuffix.size()) : name;
}

PolicyParams params_of(const Scenario& s) {
  PolicyParams p;
  if (s.trust_penalty >= 0) p.trust_penalty = s.trust_penalty;
  p.trial_share = s.trial_share;
  return p;
}

class Simulation {
 public:
  Simulation(const Scenario& s, const std::string& policy_name)
      : s_(s),
        use_terms_(policy_name.ends_with(kTermsSuffix)),
        policy_(make_selection_policy(base_policy(policy_name), params_of(s))),
        fate_rng_(s.seed * 7 + 2),
        policy_rng_(s.seed * 7 + 3) {
    result_.policy = policy_name;
    oracle_ = policy_name == "oracle";
    make_workers();
    for (std::size_t i = 0; i < cands_.size(); ++i) all_ids_.push_back(i);
    make_arrivals();
  }

  Result run() {
    while (!events_.empty()) {
      Event e = events_.top();
      events_.pop();
      now_ = e.t;
      if (now_ - last_refresh_ms_ >= 1000) refresh_all();
      handle(e);
    }
    return finish();
  }

 private:
  // ---- setup ----

  void make_workers() {
    std::mt19937_64 rng(s_.seed * 7 + 1);
    workers_.resize(s_.workers);
    cands_.resize(s_.workers);
    uint32_t bad = static_cast<uint32_t>(std::lround(s_.bad * s_.workers));
    for (uint32_t i = 0; i < s_.workers; ++i) {
      auto& w = workers_[i];
      // Hardware spread (assumed): decode speed log-normal median 40 tok/s, sigma 0.6 (5th-95th
      // percentile ~15-107 tok/s); base TTFT median 250 ms, sigma 0.5; 4, 8 or 16 slots;
      // batching slows each stream by 15-45 % per extra running request; RTT median 30 ms.
      w.tps = lognormal(rng, 40, 0.6);
      w.ttft_ms = lognormal(rng, 250, 0.5);
      w.slots = 4u << std::uniform_int_distribution<int>(0, 2)(rng);
      w.contention = std::uniform_real_distribution<>(0.15, 0.45)(rng);
      w.rtt_ms = lognormal(rng, 30, 0.7);
      w.key = "w" + std::to_string(i);
      auto& c = cands_[i];
      c.model = "m";
      c.max_concurrent = w.slots;
      c.rtt_ms = w.rtt_ms;
      // Price (assumed): faster hardware asks more, with operators' own spread on top; 0.3x to 4x.
      if (s_.terms) {
        double speed = std::sqrt((w.tps / 40) * (250 / w.ttft_ms));
        c.coefficient =
            static_cast<uint32_t>(std::clamp(1000 * std::pow(speed, 0.8) * lognormal(rng, 1, 0.3), 300.0, 4000.0));
      }
    }
    // Bad workers are spread over the id range, so "first in order" policies meet them too.
    std::vector<uint32_t> ids(s_.workers);
    for (uint32_t i = 0; i < s_.workers; ++i) ids[i] = i;
    std::shuffle(ids.begin(), ids.end(), rng);
    for (uint32_t j = 0; j < bad; ++j) {
      auto& w = workers_[ids[j]];
      w.kind = kBadKinds[j % std::size(kBadKinds)];
      if (w.kind == Kind::Slow) {
        w.tps /= 10;
        w.ttft_ms *= 3;
      }
    }
    // Capacity in requests/s of the workers that produce answers (stalling and flaky ones excluded).
    std::mt19937_64 size_rng(s_.seed * 7 + 5);
    double mean_prompt_factor = 0, mean_tokens = 0;
    for (int i = 0; i < 20000; ++i) {
      mean_prompt_factor += ttft_factor(draw_prompt(size_rng)) / 20000;
      mean_tokens += draw_completion(size_rng) / 20000;
    }
    mean_tokens_ = mean_tokens;
    for (auto& w : workers_) {
      if (w.kind == Kind::Stall || w.kind == Kind::Flaky) continue;
      double full = (w.ttft_ms * mean_prompt_factor + mean_tokens * 1000 / w.tps) * (1 + w.contention * (w.slots - 1));
      capacity_rps_ += w.slots / (full / 1000);
    }
    // Random failures: every worker goes offline after an exponential uptime.
    std::exponential_distribution<> uptime(1.0 / (s_.mtbf_s * 1000));
    for (uint32_t i = 0; i < s_.workers; ++i) push({uptime(rng), Ev::Down, i});
  }

  void make_arrivals() {
    std::mt19937_64 rng(s_.seed * 7 + 4);
    double rate = s_.load * capacity_rps_ / 1000;  // per ms
    result_.offered_rps = rate * 1000;
    std::exponential_distribution<> gap(rate);
    warmup_ms_ = (s_.warmup_s > 0 ? s_.warmup_s : 0.2 * s_.duration_s) * 1000;
    for (double t = gap(rng); t < s_.duration_s * 1000; t += gap(rng)) {
      Request r;
      r.arrival_ms = t;
      r.deadline_ms = t + s_.deadline_ms;
      r.prompt_tokens = draw_prompt(rng);
      r.completion_tokens = draw_completion(rng);
      r.measured = t >= warmup_ms_;
      if (s_.terms) {
        int kind = std::uniform_int_distribution<int>(0, 2)(rng);
        r.ttft_deadline_ms = kind == 1   ? static_cast<uint32_t>(s_.interactive_ttft_ms)
                             : kind == 2 ? static_cast<uint32_t>(s_.batch_ttft_ms)
                                         : 0;
        if (r.measured && r.ttft_deadline_ms) result_.with_deadline++;
      }
      requests_.push_back(std::move(r));
      push({t, Ev::Arrival, static_cast<uint32_t>(requests_.size() - 1)});
    }
  }

  // Failures stop being scheduled once every request has had its deadline, so the run ends.
  void push(Event e) {
    if ((e.type == Ev::Down || e.type == Ev::Up) && e.t > s_.duration_s * 1000 + s_.deadline_ms) return;
    events_.push(e);
  }
  bool bad(const Worker& w) const { return w.kind != Kind::Honest; }
  int64_t now_us() const { return static_cast<int64_t>(now_ * 1000) + 1; }

  // ---- the proxy's view, as the real proxy would fill WorkerCandidate ----

  void refresh(uint32_t i) {
    auto& w = workers_[i];
    auto& c = cands_[i];
    auto& rep = book_.of(w.key, "m");
    c.enabled = w.connected;
    c.running = static_cast<uint32_t>(w.active.size());
    c.trust = rep.trust(now_us(), book_.params());
    c.trial = rep.on_trial(now_us(), book_.params());
    c.ttft_ms = rep.ttft_ms();
    c.tokens_per_s = rep.tokens_per_s();
    c.contention = rep.contention();
    double decay = std::exp(-(now_ - w.avg_updated_ms) / 600000);
    c.history = w.avg_count * decay;
    c.avg_request_ms = w.avg_count > 0 ? w.avg_sum / w.avg_count : 0;
  }
  void refresh_all() {
    for (uint32_t i = 0; i < workers_.size(); ++i) refresh(i);
    typical_ttft_ = typical_ttft_ms(cands_, all_ids_);
    last_refresh_ms_ = now_;
  }

  // ---- dispatch ----

  void try_dispatch(uint32_t rid, bool hedge = false) {
    auto& r = requests_[rid];
    if (now_ >= r.deadline_ms) return hedge ? void() : fail(rid);
    for (auto t : r.tried) cands_[t].excluded = true;
    RequestShape shape;
    shape.expected_tokens = observed_tokens_count_ > 0 ? observed_tokens_sum_ / observed_tokens_count_ : 256;
    shape.prompt_tokens = r.prompt_tokens;
    if (oracle_)
      for (uint32_t i = 0; i < workers_.size(); ++i) {
        auto& w = workers_[i];
        bool useless = !w.online || w.kind == Kind::Stall || w.kind == Kind::Flaky || w.kind == Kind::Crash ||
                       w.kind == Kind::Wrong;
        double slow = 1 + w.contention * static_cast<double>(w.active.size());
        // It knows every worker's true speed and conduct, not how long this answer will be.
        cands_[i].true_expected_ms =
            useless
                ? 1e18
                : w.rtt_ms + (w.ttft_ms * ttft_factor(r.prompt_tokens) + shape.expected_tokens * 1000 / w.tps) * slow;
      }
    WorkerChoice choice;
    if (use_terms_ && r.ttft_deadline_ms) {  // the proxy's rule for requests with terms
      auto eligible = eligible_workers(cands_, "m", 4000);
      if (!eligible.empty())
        choice.index =
            static_cast<int>(choose_for_deadline(cands_, eligible, shape, r.ttft_deadline_ms, params_of(s_), 0).index);
    } else {
      choice = select_worker(cands_, "m", 4000, *policy_, shape, policy_rng_);
    }
    for (auto t : r.tried) cands_[t].excluded = false;
    if (choice.index < 0 && hedge) return;  // nobody free to race: the first attempt goes on alone
    if (choice.index < 0) {
      // No free slot anywhere: the proxy answers 429 and the client backs off and retries.
      if (r.spot_case >= 0) return;  // a spot check is simply dropped
      if (r.measured) result_.busy_waits++;
      push({now_ + 250, Ev::BusyRetry, rid});
      return;
    }
    double predicted = predicted_ttft_ms(cands_[choice.index], shape, params_of(s_), typical_ttft_);
    start_attempt(rid, static_cast<uint32_t>(choice.index), predicted);
    if (hedge) {
      r.hedged = true;
      if (r.measured) result_.hedges++;
    }
  }


  void start_attempt(uint32_t rid, uint32_t wid, double predicted_ms) {
    auto& r = requests_[rid];
    auto& w = workers_[wid];
    r.attempts++;
    r.tried.push_back(wid);
    Attempt a;
    a.request = rid;
    a.worker = wid;
    a.epoch = w.epoch;
    a.start_ms = now_;
    a.running_before = static_cast<uint32_t>(w.active.size());
    attempts_.push_back(a);
    uint32_t aid = static_cast<uint32_t>(attempts_.size() - 1);
    r.live.push_back(aid);
    w.active.push_back(aid);
    cands_[wid].running = static_cast<uint32_t>(w.active.size());
    cands_[wid].last_dispatch = ++dispatch_seq_;
    if (r.measured && r.spot_case < 0) {
      result_.attempts++;
      if (bad(w)) result_.attempts_on_bad++;
    }
    // Without a first-token limit the request's own deadline ends a stalled attempt.
    // The proxy's own rule (routing_config.h): max(floor, factor x predicted); 0: off.
    double limit = stall_limit_ms(static_cast<uint32_t>(s_.first_token_timeout_ms), s_.first_token_factor, predicted_ms);
    push({limit > 0 ? now_ + limit : r.deadline_ms, Ev::FirstTokenTimeout, aid});
    double hedge = stall_limit_ms(static_cast<uint32_t>(s_.hedge_after_ms), s_.hedge_factor, predicted_ms);
    if (hedge > 0 && !r.hedged && r.spot_case < 0 && now_ + hedge < r.deadline_ms)
      push({now_ + hedge, Ev::Hedge, aid});
    if (!w.online || w.kind == Kind::Stall) return;  // nothing will come back
    if (w.kind == Kind::Flaky && std::bernoulli_distribution(0.5)(fate_rng_)) {
      push({now_ + w.rtt_ms + 20, Ev::EarlyError, aid, w.epoch});
      return;
    }
    double slow = 1 + w.contention * a.running_before;
    push({now_ + w.rtt_ms + w.ttft_ms * ttft_factor(r.prompt_tokens) * slow, Ev::FirstToken, aid, w.epoch});
  }

  // `delivered`: its answer reached a client (the only work that is not waste).
  void end_attempt(uint32_t aid, bool delivered = false) {
    auto& a = attempts_[aid];
    a.active = false;
    (delivered ? useful_ms_ : wasted_ms_) += now_ - a.start_ms;
    auto& live = requests_[a.request].live;
    live.erase(std::remove(live.begin(), live.end(), aid), live.end());
    auto& w = workers_[a.worker];
    auto it = std::find(w.active.begin(), w.active.end(), aid);
    if (it != w.active.end()) {
      *it = w.active.back();
      w.active.pop_back();
    }
    refresh(a.worker);
  }

  void retry_or_fail(uint32_t rid) {
    auto& r = requests_[rid];
    if (r.spot_case >= 0) return;
    if (r.attempts <= s_.max_retries && now_ < r.deadline_ms) {
      if (r.measured) result_.retries++;
      return try_dispatch(rid);
    }
    fail(rid);
  }

  void fail(uint32_t rid) {
    auto& r = requests_[rid];
    if (r.measured && r.spot_case < 0) result_.failed++;
  }

  // ---- events ----

  void handle(const Event& e) {
    switch (e.type) {
      case Ev::Arrival:
      case Ev::BusyRetry:
        try_dispatch(e.a);
        return;
      case Ev::Down:
        return worker_down(e.a);
      case Ev::Detected:
        return worker_detected(e.a, e.epoch);
      case Ev::Up:
        return worker_up(e.a);
      default:
        break;
    }
    auto& a = attempts_[e.a];
    if (!a.active) return;
    auto& w = workers_[a.worker];
    auto& r = requests_[a.request];
    auto& rep = book_.of(w.key, "m");
    if (e.type == Ev::Hedge) {
      if (a.first_token_ms > 0 || r.answered || r.hedged) return;
      return try_dispatch(a.request, /*hedge=*/true);
    }
    if (e.type == Ev::FirstTokenTimeout) {
      if (a.first_token_ms > 0) return;
      end_attempt(e.a);
      rep.record(Outcome::Timeout, now_us(), book_.params());
      if (!r.live.empty()) return;  // its hedge races on
      return retry_or_fail(a.request);
    }
    if (e.epoch != a.epoch) return;  // the worker went offline meanwhile
    if (e.type == Ev::EarlyError) {
      end_attempt(e.a);
      rep.record(Outcome::ErrorBeforeFirstToken, now_us(), book_.params());
      if (!r.live.empty()) return;
      return retry_or_fail(a.request);
    }
    if (e.type == Ev::FirstToken) {
      if (r.answered) return end_attempt(e.a);  // lost the race: cancelled (not a fault)
      r.answered = true;
      // The first to produce wins; the other racer is cancelled and counted as slow.
      for (auto other : std::vector<uint32_t>(r.live))
        if (other != e.a) {
          end_attempt(other);
          book_.of(workers_[attempts_[other].worker].key, "m").record(Outcome::Timeout, now_us(), book_.params());
          if (r.measured && r.hedged && attempts_[other].start_ms < a.start_ms) result_.hedges_won++;
        }
      a.first_token_ms = now_;
      if (r.measured && r.spot_case < 0) {
        ttfts_.push_back(now_ - r.arrival_ms);
        if (r.ttft_deadline_ms && now_ - r.arrival_ms <= r.ttft_deadline_ms) result_.deadline_met++;
      }
      double gen_ms = r.completion_tokens * 1000 / w.tps * (1 + w.contention * a.running_before);
      if (w.kind == Kind::Crash && std::bernoulli_distribution(0.5)(fate_rng_))
        push({now_ + gen_ms * std::uniform_real_distribution<>(0, 1)(fate_rng_), Ev::Crash, e.a, a.epoch});
      else
        push({now_ + gen_ms, Ev::Complete, e.a, a.epoch});
      return;
    }
    if (e.type == Ev::Crash) {
      end_attempt(e.a);
      rep.record(Outcome::ErrorAfterFirstToken, now_us(), book_.params());
      return fail(a.request);
    }
    // Complete: what the proxy measures is what reputation and the averages learn from.
    end_attempt(e.a, /*delivered=*/r.spot_case < 0);
    double ttft = a.first_token_ms - a.start_ms, gen_s = (now_ - a.first_token_ms) / 1000;
    double observed_tps = r.completion_tokens / gen_s;
    rep.record_load_speed(observed_tps, a.running_before, now_us(), book_.params());
    double c = rep.contention() > 0 ? rep.contention() : PolicyParams{}.contention;
    double normalize = 1 + c * a.running_before;  // back to a single-stream speed
    rep.record(Outcome::Success, now_us(), book_.params());
    if (gen_s > 0)
      rep.record_speed(ttft / normalize / prompt_ttft_scale(r.prompt_tokens), r.completion_tokens / gen_s * normalize,
                       now_us(), book_.params());
    double decay = std::exp(-(now_ - w.avg_updated_ms) / 600000);
    w.avg_sum = w.avg_sum * decay + (now_ - a.start_ms);
    w.avg_count = w.avg_count * decay + 1;
    w.avg_updated_ms = now_;
    observed_tokens_sum_ += r.completion_tokens;
    observed_tokens_count_ += 1;
    refresh(a.worker);
    if (r.spot_case >= 0) return spot_answer(r.spot_case, a.worker);
    if (r.measured) {
      result_.succeeded++;
      latencies_.push_back(now_ - r.arrival_ms);
      if (w.kind == Kind::Wrong) result_.wrong++;
      double paid = cands_[a.worker].coefficient * r.completion_tokens;
      (r.ttft_deadline_ms ? deadline_paid_ : free_paid_) += paid;
      (r.ttft_deadline_ms ? deadline_tokens_ : free_tokens_) += r.completion_tokens;
    }
    if (std::bernoulli_distribution(s_.spot_check_rate)(fate_rng_)) start_spot_check(a.request, a.worker);
  }

  // ---- spot checks: duplicate to a second worker at the network's cost; a third on mismatch ----

  std::string output_of(uint32_t wid) const {
    return workers_[wid].kind == Kind::Wrong ? "wrong from " + workers_[wid].key : "right";
  }

  void start_spot_check(uint32_t rid, uint32_t first_worker) {
    spot_cases_.push_back({{first_worker}, {output_of(first_worker)}});
    spot_duplicate(requests_[rid], static_cast<int>(spot_cases_.size() - 1));
    if (requests_[rid].measured) result_.spot_checks++;
  }

  void spot_duplicate(const Request& original, int case_id) {
    Request dup = original;
    dup.attempts = 0;
    dup.arrival_ms = now_;
    dup.deadline_ms = now_ + s_.deadline_ms;
    dup.measured = false;
    dup.spot_case = case_id;
    dup.answered = dup.hedged = false;
    dup.live.clear();
    dup.tried = spot_cases_[case_id].workers;
    result_.spot_runs++;
    requests_.push_back(std::move(dup));
    try_dispatch(static_cast<uint32_t>(requests_.size() - 1));
  }

  void spot_answer(int case_id, uint32_t wid) {
    auto& sc = spot_cases_[case_id];
    sc.workers.push_back(wid);
    sc.outputs.push_back(output_of(wid));
    auto verdicts = judge_spot_check(sc.outputs);
    if (verdicts.front() == SpotVerdict::Undecided) {
      if (sc.outputs.size() == 2) {
        // Find the request this case started from: any request works, only sizes matter.
        Request basis;
        basis.prompt_tokens = 400;
        basis.completion_tokens = 150;
        spot_duplicate(basis, case_id);
      }
      return;
    }
    for (std::size_t i = 0; i < verdicts.size(); ++i) {
      bool agreed = verdicts[i] == SpotVerdict::Agree;
      if (!agreed) result_.spot_disagreements++;
      book_.of(workers_[sc.workers[i]].key, "m").record_spot_check(agreed, now_us(), book_.params());
      refresh(sc.workers[i]);
    }
  }

  // ---- random failures ----

  void worker_down(uint32_t wid) {
    auto& w = workers_[wid];
    w.online = false;
    w.epoch++;
    push({now_ + s_.detect_ms, Ev::Detected, wid, w.epoch});
    double down_ms = std::uniform_real_distribution<>(30000, 120000)(fate_rng_);
    push({now_ + std::max(down_ms, s_.detect_ms + 1), Ev::Up, wid});
  }

  // Missed pings: the proxy drops the worker; requests before their first token fail over.
  void worker_detected(uint32_t wid, uint32_t epoch) {
    auto& w = workers_[wid];
    if (w.epoch != epoch || w.online) return;
    w.connected = false;
    auto active = w.active;
    for (auto aid : active) {
      auto& a = attempts_[aid];
      if (!a.active) continue;
      bool started = a.first_token_ms > 0;
      end_attempt(aid);
      book_.of(w.key, "m").record(started ? Outcome::ErrorAfterFirstToken : Outcome::Timeout, now_us(), book_.params());
      if (started)
        fail(a.request);
      else if (requests_[a.request].live.empty())
        retry_or_fail(a.request);
    }
    refresh(wid);
  }

  void worker_up(uint32_t wid) {
    auto& w = workers_[wid];
    w.online = true;
    w.connected = true;
    refresh(wid);
    std::exponential_distribution<> uptime(1.0 / (s_.mtbf_s * 1000));
    push({now_ + uptime(fate_rng_), Ev::Down, wid});
  }

  // ---- figures ----

  Result finish() {
    auto pct = [](std::vector<double>& v, double q) {
      if (v.empty()) return 0.0;
      auto k = static_cast<std::size_t>(q * (v.size() - 1));
      std::nth_element(v.begin(), v.begin() + k, v.end());
      return v[k];
    };
    Result& r = result_;
    r.measured = r.succeeded + r.failed;
    double sum = 0;
    for (double l : latencies_) sum += l;
    r.mean_ms = latencies_.empty() ? 0 : sum / latencies_.size();
    r.p50_ms = pct(latencies_, 0.5);
    r.p99_ms = pct(latencies_, 0.99);
    r.ttft_p99_ms = pct(ttfts_, 0.99);
    double window_s = s_.duration_s - warmup_ms_ / 1000;
    r.throughput_rps = window_s > 0 ? r.succeeded / window_s : 0;
    r.failure_rate = r.measured ? static_cast<double>(r.failed) / r.measured : 0;
    r.wrong_rate = r.succeeded ? static_cast<double>(r.wrong) / r.succeeded : 0;
    r.bad_share = r.attempts ? static_cast<double>(r.attempts_on_bad) / r.attempts : 0;
    r.deadline_met_rate = r.with_deadline ? static_cast<double>(r.deadline_met) / r.with_deadline : 0;
    double tokens = deadline_tokens_ + free_tokens_;
    r.mean_coefficient = tokens > 0 ? (deadline_paid_ + free_paid_) / tokens : 0;
    r.wasted_share = useful_ms_ > 0 ? wasted_ms_ / useful_ms_ : 0;
    r.deadline_mean_coefficient = deadline_tokens_ > 0 ? deadline_paid_ / deadline_tokens_ : 0;
    r.free_mean_coefficient = free_tokens_ > 0 ? free_paid_ / free_tokens_ : 0;
    return r;
  }

  Scenario s_;
  bool use_terms_ = false;
  std::unique_ptr<SelectionPolicy> policy_;
  bool oracle_ = false;
  ReputationBook book_;
  std::mt19937_64 fate_rng_, policy_rng_;
  std::vector<Worker> workers_;
  std::vector<WorkerCandidate> cands_;
  std::vector<Request> requests_;
  std::vector<Attempt> attempts_;
  std::vector<SpotCase> spot_cases_;
  std::vector<std::size_t> all_ids_;       // every candidate: the typical TTFT is over all of them
  double useful_ms_ = 0, wasted_ms_ = 0;
  double typical_ttft_ = kUnmeasuredTtftMs;  // refreshed each simulated second  // worker time on delivered answers, and on everything else
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> events_;
  std::vector<double> latencies_, ttfts_;
  double now_ = 0, last_refresh_ms_ = 0, warmup_ms_ = 0, capacity_rps_ = 0, mean_tokens_ = 0;
  double observed_tokens_sum_ = 0, observed_tokens_count_ = 0;
  double deadline_paid_ = 0, deadline_tokens_ = 0, free_paid_ = 0, free_tokens_ = 0;  // coefficient x tokens
  uint64_t dispatch_seq_ = 0;
  Result result_;
};

}  // namespace

Result simulate(const Scenario& scenario, const std::string& policy) { return Simulation(scenario, policy).run(); }

}  // namespace routing_sim
