// routing-sim: compares the proxy's worker-selection policies in a discrete-event simulation.
// Usage: routing_sim [--workers N] [--load F] [--bad F] [--seed S] [--duration SECONDS]
//                    [--policy a,b,...] [--first-token-timeout-ms MS] [--spot-check-rate P]
//                    [--mtbf-s S] [--detect-ms MS] [--terms 1 [--interactive-ttft-ms MS] [--batch-ttft-ms MS]]
//                    [--first-token-factor F] [--hedge-after-ms MS] [--hedge-factor F] [--trial-share P]
//                    [--mechanisms 1]
// --mechanisms 1: the "ours" policy with each dependability mechanism off, alone and all together
// (the proxy's defaults), with what each costs in duplicated and wasted worker time.
// Prints a table, then as its last line one JSON object keyed by policy name. With --terms, workers
// have prices and requests deadlines, and the table compares price and deadline outcomes.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "proxy/routing_selection_policy.h"
#include "simulation.h"

namespace {

double number(const std::string& flag, const std::string& text, double min, double max) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (...) {
    used = 0;
  }
  if (used != text.size() || !(v >= min && v <= max))
    throw std::invalid_argument(flag + " must be a number in [" + std::to_string(min) + ", " + std::to_string(max) +
                                "], got '" + text + "'");
  return v;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');)
    if (!part.empty()) out.push_back(part);
  return out;
}

// The price and deadline comparison: how often a deadline was met and what it cost.
int run_terms(const routing_sim::Scenario& s, const std::vector<std::string>& policies) {
  std::printf("deadlines: a third none, a third %.0f ms, a third %.0f ms to the first token\n", s.interactive_ttft_ms,
              s.batch_ttft_ms);
  std::printf("%-15s %10s %9s %10s %10s %10s %9s %9s %9s\n", "policy", "ddl_met_%", "coef_all", "coef_ddl", "coef_none",
              "ttft_p99", "mean_ms", "p99_ms", "fail_%");
  nlohmann::json all = nlohmann::json::object();
  for (auto& name : policies) {
    auto r = routing_sim::simulate(s, name);
    std::printf("%-15s %10.2f %9.0f %10.0f %10.0f %10.0f %9.0f %9.0f %9.3f\n", name.c_str(), 100 * r.deadline_met_rate,
                r.mean_coefficient, r.deadline_mean_coefficient, r.free_mean_coefficient, r.ttft_p99_ms, r.mean_ms,
                r.p99_ms, 100 * r.failure_rate);
    std::fflush(stdout);
    all[name] = {{"deadline_met_rate", r.deadline_met_rate},
                 {"with_deadline", r.with_deadline},
                 {"mean_coefficient", r.mean_coefficient},
                 {"deadline_mean_coefficient", r.deadline_mean_coefficient},
                 {"free_mean_coefficient", r.free_mean_coefficient},
                 {"ttft_p99_ms", r.ttft_p99_ms},
                 {"mean_ms", r.mean_ms},
                 {"p99_ms", r.p99_ms},
                 {"failure_rate", r.failure_rate}};
  }
  std::cout << all.dump() << std::endl;
  return 0;
}

// One configuration of the mechanisms, applied over the scenario's sizes and seeds.
struct Mechanisms {
  const char* name;
  double first_token_ms, first_token_factor, hedge_ms, hedge_factor, spot_rate, trial_share;
};

// The proxy's defaults (proxy/routing_config.h) and what each part adds.
int run_mechanisms(routing_sim::Scenario s) {
  const Mechanisms rows[] = {
      {"none", 0, 0, 0, 0, 0, 0},
      {"trial_only", 0, 0, 0, 0, 0, 0.05},
      {"retry_fixed_5s", 5000, 0, 0, 0, 0, 0.05},
      {"retry", 10000, 4, 0, 0, 0, 0.05},
      {"retry+hedge", 10000, 4, 1000, 2, 0, 0.05},
      {"hedge_fixed_1s", 10000, 4, 1000, 0, 0, 0.05},
      {"retry+spot", 10000, 4, 0, 0, 0.02, 0.05},
      {"defaults", 10000, 4, 1000, 2, 0.02, 0.05},
  };
  std::printf("%-15s %8s %8s %8s %9s %8s %8s %8s %7s %7s %7s %7s %8s\n", "mechanisms", "mean_ms", "p50_ms", "p99_ms",
              "ttft_p99", "fail_%", "wrong_%", "bad_at%", "retries", "hedges", "h_won", "spot_r", "waste_%");
  nlohmann::json all = nlohmann::json::object();
  for (const auto& m : rows) {
    s.first_token_timeout_ms = m.first_token_ms;
    s.first_token_factor = m.first_token_factor;
    s.hedge_after_ms = m.hedge_ms;
    s.hedge_factor = m.hedge_factor;
    s.spot_check_rate = m.spot_rate;
    s.trial_share = m.trial_share;
    auto r = routing_sim::simulate(s, "ours");
    std::printf("%-15s %8.0f %8.0f %8.0f %9.0f %8.3f %8.3f %8.2f %7llu %7llu %7llu %7llu %8.2f\n", m.name, r.mean_ms,
                r.p50_ms, r.p99_ms, r.ttft_p99_ms, 100 * r.failure_rate, 100 * r.wrong_rate, 100 * r.bad_share,
                static_cast<unsigned long long>(r.retries), static_cast<unsigned long long>(r.hedges),
                static_cast<unsigned long long>(r.hedges_won), static_cast<unsigned long long>(r.spot_runs),
                100 * r.wasted_share);
    std::fflush(stdout);
    all[m.name] = {{"mean_ms", r.mean_ms},         {"p99_ms", r.p99_ms},         {"ttft_p99_ms", r.ttft_p99_ms},
                   {"failure_rate", r.failure_rate}, {"wrong_rate", r.wrong_rate}, {"hedges", r.hedges},
                   {"spot_runs", r.spot_runs},       {"wasted_share", r.wasted_share}};
  }
  std::cout << all.dump() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  routing_sim::Scenario s;
  std::vector<std::string> policies = chrysalis::proxy::selection_policy_names();
  bool policies_given = false;
  bool mechanisms = false;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string flag = argv[i];
      if (flag == "--help" || flag == "-h") {
        std::cout << "routing_sim --workers N --load FRACTION --bad FRACTION --seed S --duration SECONDS\n"
                     "            [--policy random,round_robin,reference,ours,oracle] [--first-token-timeout-ms MS]\n"
                     "            [--spot-check-rate P] [--mtbf-s S] [--detect-ms MS] [--warmup SECONDS]\n            "
                     "[--trust-penalty X] [--terms 1] [--interactive-ttft-ms MS] [--batch-ttft-ms MS]\n"
                     "            [--first-token-factor F] [--hedge-after-ms MS] [--hedge-factor F] [--trial-share P]\n"
                     "            [--mechanisms 1]\n"
                     "            policies with --terms: cheapest, fastest, price_weighted, ours, ours+terms\n";
        return 0;
      }
      if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
      std::string v = argv[++i];
      if (flag == "--workers")
        s.workers = static_cast<uint32_t>(number(flag, v, 1, 100000));
      else if (flag == "--load")
        s.load = number(flag, v, 0.01, 2);
      else if (flag == "--bad")
        s.bad = number(flag, v, 0, 1);
      else if (flag == "--seed")
        s.seed = static_cast<uint64_t>(number(flag, v, 0, 1e15));
      else if (flag == "--duration")
        s.duration_s = number(flag, v, 1, 86400);
      else if (flag == "--warmup")
        s.warmup_s = number(flag, v, 0, 86400);
      else if (flag == "--first-token-timeout-ms")
        s.first_token_timeout_ms = number(flag, v, 0, 600000);
      else if (flag == "--first-token-factor")
        s.first_token_factor = number(flag, v, 0, 100);
      else if (flag == "--hedge-after-ms")
        s.hedge_after_ms = number(flag, v, 0, 600000);
      else if (flag == "--hedge-factor")
        s.hedge_factor = number(flag, v, 0, 100);
      else if (flag == "--trial-share")
        s.trial_share = number(flag, v, 0, 1);
      else if (flag == "--mechanisms")
        mechanisms = number(flag, v, 0, 1) != 0;
      else if (flag == "--spot-check-rate")
        s.spot_check_rate = number(flag, v, 0, 1);
      else if (flag == "--mtbf-s")
        s.mtbf_s = number(flag, v, 1, 1e9);
      else if (flag == "--detect-ms")
        s.detect_ms = number(flag, v, 0, 600000);
      else if (flag == "--trust-penalty")
        s.trust_penalty = number(flag, v, 0, 1000);
      else if (flag == "--terms")
        s.terms = number(flag, v, 0, 1) != 0;
      else if (flag == "--interactive-ttft-ms")
        s.interactive_ttft_ms = number(flag, v, 1, 600000);
      else if (flag == "--batch-ttft-ms")
        s.batch_ttft_ms = number(flag, v, 1, 600000);
      else if (flag == "--policy") {
        policies = split(v);
        policies_given = true;
        for (auto& p : policies)  // names checked up front
          chrysalis::proxy::make_selection_policy(p.ends_with("+terms") ? p.substr(0, p.size() - 6) : p);
        if (policies.empty()) throw std::invalid_argument("--policy names no policy");
      } else
        throw std::invalid_argument("unknown flag " + flag + " (see --help)");
    }
  } catch (const std::exception& e) {
    std::cerr << "routing_sim: " << e.what() << "\n";
    return 2;
  }

  if (mechanisms) {
    std::printf("workers=%u load=%.2f bad=%.3f seed=%llu duration=%.0fs policy=ours\n", s.workers, s.load, s.bad,
                static_cast<unsigned long long>(s.seed), s.duration_s);
    return run_mechanisms(s);
  }
  std::printf(
      "workers=%u load=%.2f bad=%.3f seed=%llu duration=%.0fs first_token_timeout=%.0fms spot_check_rate=%.3f\n",
      s.workers, s.load, s.bad, static_cast<unsigned long long>(s.seed), s.duration_s, s.first_token_timeout_ms,
      s.spot_check_rate);
  if (s.terms)
    return run_terms(s, policies_given
                            ? policies
                            : std::vector<std::string>{"cheapest", "fastest", "price_weighted", "ours", "ours+terms"});
  std::printf("%-12s %9s %9s %9s %10s %9s %9s %9s %9s %8s\n", "policy", "mean_ms", "p50_ms", "p99_ms", "ttft_p99",
              "fail_%", "wrong_%", "rps", "bad_att%", "retries");
  nlohmann::json all = nlohmann::json::object();
  for (auto& name : policies) {
    auto r = routing_sim::simulate(s, name);
    std::printf("%-12s %9.0f %9.0f %9.0f %10.0f %9.3f %9.3f %9.1f %9.2f %8llu\n", name.c_str(), r.mean_ms, r.p50_ms,
                r.p99_ms, r.ttft_p99_ms, 100 * r.failure_rate, 100 * r.wrong_rate, r.throughput_rps, 100 * r.bad_share,
                static_cast<unsigned long long>(r.retries));
    std::fflush(stdout);
    all[name] = {{"mean_ms", r.mean_ms},
                 {"p50_ms", r.p50_ms},
                 {"p99_ms", r.p99_ms},
                 {"ttft_p99_ms", r.ttft_p99_ms},
                 {"failure_rate", r.failure_rate},
                 {"wrong_rate", r.wrong_rate},
                 {"throughput_rps", r.throughput_rps},
                 {"offered_rps", r.offered_rps},
                 {"bad_share", r.bad_share},
                 {"requests", r.measured},
                 {"retries", r.retries},
                 {"busy_waits", r.busy_waits},
                 {"spot_checks", r.spot_checks},
                 {"spot_disagreements", r.spot_disagreements}};
  }
  std::cout << all.dump() << std::endl;
  return 0;
}
