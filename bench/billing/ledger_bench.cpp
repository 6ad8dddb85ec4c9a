// Cost of the proxy's books (ProxyLedger on SQLite, WAL, synchronous=FULL) on this machine:
// one request's accounting (reserve + settle: two durable transactions), a state commit
// (prepare + mark committed) and a restart (load and verify every signed row), against how many
// clients and workers the books hold. Prints a table and, as its last line, a JSON object.
// Usage: ledger_bench [--requests N] [--dir DIR]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "billing/proxy_ledger.h"

using namespace chrysalis;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::string party(char kind, int i) {
  char buf[80];
  std::snprintf(buf, sizeof buf, "0:%c%063x", kind, i);
  return buf;
}

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

}  // namespace

int main(int argc, char** argv) {
  int requests = 2000;
  fs::path dir = fs::temp_directory_path() / ("chrysalis-ledger-bench-" + std::to_string(std::random_device{}()));
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--requests")
      requests = std::stoi(argv[i + 1]);
    else if (a == "--dir")
      dir = argv[i + 1];
  }
  fs::create_directories(dir);
  billing::Prices prices{.price_per_token = 1000, .worker_fee_per_token = 600, .cached_mult = 2500};
  auto key = ton::Ed25519Key::generate();
  nlohmann::json results = nlohmann::json::array();
  std::printf("%-10s %-10s %12s %12s %16s %12s %12s\n", "clients", "workers", "request_ms", "requests/s",
              "batched_req_ms", "commit_ms", "reopen_ms");
  for (int parties : {10, 100, 1000}) {
    fs::path file = dir / ("books-" + std::to_string(parties) + ".sqlite");
    billing::LedgerOptions options{file, key, prices, ton::Address::parse(party('a', 0)),
                                   ton::Address::parse(party('b', 0))};
    auto ledger = billing::ProxyLedger::open(options);
    ledger->verify_against_chain({0, {}});
    for (int i = 0; i < parties; ++i)
      ledger->update_client_chain(party('c', i), {1'000'000'000'000, 1'000'000'000'000, 0});
    // One request = reserve before dispatch + settle at the end.
    auto t0 = Clock::now();
    for (int r = 0; r < requests; ++r) {
      auto t = ledger->reserve({.client = party('c', r % parties),
                                .worker = party('e', r % parties),
                                .prompt_tokens = 200,
                                .max_tokens = 500});
      ledger->settle(t.id, {.prompt = 200, .cached = 50, .completion = 120});
    }
    double request_ms = ms_since(t0) / requests;
    // The same with the settlements of 32 requests written together (one turn of the event loop).
    t0 = Clock::now();
    constexpr int kBatch = 32;
    for (int r = 0; r < requests; r += kBatch) {
      std::vector<std::pair<uint64_t, billing::TokenUsage>> batch;
      for (int k = 0; k < kBatch && r + k < requests; ++k) {
        auto t = ledger->reserve({.client = party('c', (r + k) % parties),
                                  .worker = party('e', (r + k) % parties),
                                  .prompt_tokens = 200,
                                  .max_tokens = 500});
        batch.push_back({t.id, {.prompt = 200, .cached = 50, .completion = 120}});
      }
      ledger->settle_batch(batch);
    }
    double batched_ms = ms_since(t0) / requests;
    const int commits = 20;
    t0 = Clock::now();
    for (int c = 0; c < commits; ++c) {
      auto req = ledger->prepare_commit();
      ledger->verify_against_chain({req.seqno, req.hash});
    }
    double commit_ms = ms_since(t0) / commits;
    auto bad = ledger->check_invariants();
    if (!bad.empty()) {
      std::cerr << "invariant broken: " << bad.front() << "\n";
      return 1;
    }
    auto state = ledger->state();
    ledger.reset();
    t0 = Clock::now();
    auto reopened = billing::ProxyLedger::open(options);
    double reopen_ms = ms_since(t0);
    std::printf("%-10d %-10d %12.3f %12.0f %16.3f %12.3f %12.1f\n", parties, parties, request_ms, 1000.0 / request_ms,
                batched_ms, commit_ms, reopen_ms);
    results.push_back({{"clients", parties},
                       {"workers", parties},
                       {"requests", requests},
                       {"request_ms", request_ms},
                       {"requests_per_s", 1000.0 / request_ms},
                       {"batched_request_ms", batched_ms},
                       {"commit_ms", commit_ms},
                       {"reopen_ms", reopen_ms},
                       {"seqno", state.seqno},
                       {"charged_tokens", state.total_charged_tokens}});
  }
  fs::remove_all(dir);
  std::cout << nlohmann::json{{"benchmark", "chrysalis-ledger"}, {"results", results}}.dump() << "\n";
  return 0;
}
