#include "proxy/routing_reputation.h"

#include <algorithm>
#include <cmath>

namespace chrysalis::proxy {

Reputation::State Reputation::decayed(int64_t now_us, const ReputationParams& p) const {
  State s = state_;
  if (s.updated_us == 0 || now_us <= s.updated_us) {
    s.updated_us = std::max(s.updated_us, now_us);
    return s;
  }
  double f = std::exp2(-static_cast<double>(now_us - s.updated_us) / (p.half_life_s * 1e6));
  for (double* v :
       {&s.successes, &s.early_errors, &s.timeouts, &s.mid_stream_errors, &s.spot_agreements, &s.spot_disagreements,
        &s.speed_weight, &s.ttft_ms_sum, &s.tps_sum, &s.fit_n, &s.fit_y, &s.fit_nn, &s.fit_ny})
    *v *= f;
  s.updated_us = now_us;
  return s;
}

void Reputation::record(Outcome outcome, int64_t now_us, const ReputationParams& p) {
  decay_to(now_us, p);
  state_.lifetime += 1;
  switch (outcome) {
    case Outcome::Success:
      state_.successes += 1;
      break;
    case Outcome::ErrorBeforeFirstToken:
      state_.early_errors += 1;
      break;
    case Outcome::Timeout:
      state_.timeouts += 1;
      break;
    case Outcome::ErrorAfterFirstToken:
      state_.mid_stream_errors += 1;
      break;
  }
}

void Reputation::record_speed(double ttft_ms, double tokens_per_s, int64_t now_us, const ReputationParams& p) {
  if (!(ttft_ms >= 0) || !(tokens_per_s > 0) || !std::isfinite(tokens_per_s)) return;
  decay_to(now_us, p);
  state_.speed_weight += 1;
  state_.ttft_ms_sum += ttft_ms;
  state_.tps_sum += tokens_per_s;
}

void Reputation::record_load_speed(double observed_tokens_per_s, uint32_t running_before, int64_t now_us,
                                   const ReputationParams& p) {
  if (!(observed_tokens_per_s > 0) || !std::isfinite(observed_tokens_per_s)) return;
  decay_to(now_us, p);
  double n = running_before, y = 1 / observed_tokens_per_s;
  state_.fit_n += n;
  state_.fit_y += y;
  state_.fit_nn += n * n;
  state_.fit_ny += n * y;
}

double Reputation::contention() const {
  // Least squares of y = a + b n over the decayed samples (their weight is speed_weight).
  double w = state_.speed_weight;
  if (w < 3) return 0;
  double mean_n = state_.fit_n / w, mean_y = state_.fit_y / w;
  double var_n = state_.fit_nn / w - mean_n * mean_n;
  if (var_n < 0.5) return 0;
  double b = (state_.fit_ny / w - mean_n * mean_y) / var_n;
  double a = mean_y - b * mean_n;
  if (!(a > 0)) return 0;
  return std::clamp(b / a, 0.0, 2.0);
}

void Reputation::record_spot_check(bool agreed, int64_t now_us, const ReputationParams& p) {
  decay_to(now_us, p);
  (agreed ? state_.spot_agreements : state_.spot_disagreements) += 1;
}

double Reputation::reliability(int64_t now_us, const ReputationParams& p) const {
  State s = decayed(now_us, p);
  double good = s.successes + p.prior_successes;
  double bad =
      p.early_error_weight * s.early_errors + p.timeout_weight * s.timeouts + p.mid_stream_weight * s.mid_stream_errors;
  return good / (good + bad);
}

double Reputation::honesty(int64_t now_us, const ReputationParams& p) const {
  State s = decayed(now_us, p);
  double good = s.spot_agreements + 1;
  return good / (good + p.disagreement_weight * s.spot_disagreements);
}

double Reputation::trust(int64_t now_us, const ReputationParams& p) const {
  return reliability(now_us, p) * honesty(now_us, p);
}

double Reputation::score(int64_t now_us, const ReputationParams& p, double model_tps) const {
  double speed = 1;
  if (model_tps > 0 && tokens_per_s() > 0) speed = std::clamp(std::sqrt(tokens_per_s() / model_tps), 0.1, 1.0);
  return trust(now_us, p) * speed;
}

double Reputation::evidence(int64_t now_us, const ReputationParams& p) const {
  State s = decayed(now_us, p);
  return s.successes + s.early_errors + s.timeouts + s.mid_stream_errors;
}

Reputation& ReputationBook::of(const std::string& key, const std::string& model) {
  auto& e = entries_[key];
  if (!model.empty()) e.model = model;
  return e.rep;
}

const Reputation* ReputationBook::find(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second.rep;
}

void ReputationBook::restore(const std::string& key, const std::string& model, const Reputation::State& s) {
  auto& e = entries_[key];
  e.model = model;
  e.rep.restore(s);
}

const ReputationBook::Medians& ReputationBook::medians(const std::string& model, int64_t now_us) {
  auto& m = medians_[model];
  // Medians move slowly; recomputing once a second keeps per-request cost O(1).
  if (m.computed_us >= 0 && now_us - m.computed_us < 1'000'000) return m;
  std::vector<double> tps, ttft;
  for (auto& [key, e] : entries_)
    if (e.model == model && e.rep.tokens_per_s() > 0) {
      tps.push_back(e.rep.tokens_per_s());
      ttft.push_back(e.rep.ttft_ms());
    }
  auto median = [](std::vector<double>& v) {
    if (v.empty()) return 0.0;
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  m.tps = median(tps);
  m.ttft_ms = median(ttft);
  m.computed_us = now_us;
  return m;
}

double ReputationBook::model_tps(const std::string& model, int64_t now_us) { return medians(model, now_us).tps; }
double ReputationBook::model_ttft_ms(const std::string& model, int64_t now_us) {
  return medians(model, now_us).ttft_ms;
}

double ReputationBook::score(const std::string& key, int64_t now_us) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return 1;
  return it->second.rep.score(now_us, params_, model_tps(it->second.model, now_us));
}

}  // namespace chrysalis::proxy
