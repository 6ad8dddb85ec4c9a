// `chrysalis reputation verify --endpoint PROXY_URL [--chain URL] [--subject S]`: fetches a proxy's
// reputation table (GET /reputation?history=1), checks the proxy's signature over its root, every
// entry's Merkle proof, that each entry's recent events (with the workers' signed receipts) replay to
// its counters, and with a chain, that the root is in the books the proxy committed on chain
// (GET /receipts/{commit_id}/proof against the proxy contract). One JSON object; exit 0 only when
// everything asked holds.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <iostream>

#include "cli/commands.h"
#include "cli/receipt_inclusion.h"
#include "common/hex.h"
#include "http/http_client.h"
#include "proxy/reputation_history_check.h"
#include "receipts/reputation_proof.h"

namespace chrysalis::cli {
namespace {

namespace asio = boost::asio;

nlohmann::json fetch_table(const std::string& endpoint) {
  asio::io_context io;
  http::SimpleResponse response;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto ex = co_await asio::this_coro::executor;
        response = co_await http::http_get(ex, endpoint + "/reputation?history=1", std::chrono::seconds(15));
      },
      asio::detached);
  io.run();
  if (!response.ok()) throw CLI::RuntimeError("reputation verify: " + endpoint + " did not answer: " + response.message, 2);
  if (response.status != 200)
    throw CLI::RuntimeError("reputation verify: " + endpoint + "/reputation answered HTTP " +
                                std::to_string(response.status),
                            2);
  auto table = nlohmann::json::parse(response.body, nullptr, false);
  if (!table.is_object()) throw CLI::RuntimeError("reputation verify: the table is not a JSON object", 2);
  return table;
}

std::string raw_of(const std::string& hex) {
  auto bytes = from_hex(hex);
  return {bytes.begin(), bytes.end()};
}

}  // namespace

void register_reputation_commands(CLI::App& app) {
  auto* group = app.add_subcommand("reputation", "Proxies' published worker reputation");
  group->require_subcommand(1);
  auto* verify = group->add_subcommand("verify", "Check a proxy's reputation table; one JSON object, exit 0 when it holds");
  auto endpoint = std::make_shared<std::string>();
  auto chain = std::make_shared<std::string>();
  auto subject = std::make_shared<std::string>();
  verify->add_option("--endpoint", *endpoint, "the proxy's HTTP URL")->required();
  verify->add_option("--chain", *chain, "the chain's toncenter URL: prove the table's root is committed on chain");
  verify->add_option("--subject", *subject, "print this subject's entries (\"owner:<address>\" or a worker key)");
  verify->callback([endpoint, chain, subject] {
    auto table = fetch_table(*endpoint);
    std::string problem = receipts::reputation_table_problem(table);
    nlohmann::json out = {{"table", problem.empty()}, {"entries", table.value("entries", nlohmann::json::array()).size()}};
    if (problem.empty()) {
      auto history = proxy::check_histories(table, table.value("proxy_key", ""));
      out["history"] = history.json();
      if (!history.problem.empty()) problem = "history: " + history.problem;
    }
    if (!problem.empty()) out["problem"] = problem;
    out["root"] = table.value("root", "");
    out["proxy_key"] = table.value("proxy_key", "");
    bool ok = problem.empty();
    if (ok && !chain->empty()) {
      if (!table.contains("commit_id")) {
        out["committed"] = {{"ok", false}, {"detail", "the proxy keeps no books: the table is signed, not committed"}};
        ok = false;
      } else {
        std::string leaf = receipts::reputation_commit_leaf(raw_of(table["root"]), table["count"].get<uint64_t>(),
                                                            table["generated_ms"].get<uint64_t>());
        auto included = check_leaf_inclusion(table["commit_id"].get<std::string>(), leaf, raw_of(table["proxy_key"]),
                                             *endpoint, *chain);
        out["committed"] = {{"ok", included.ok}, {"detail", included.detail}};
        ok = included.ok;
      }
    }
    if (!subject->empty()) {
      nlohmann::json mine = nlohmann::json::array();
      for (const auto& e : table.value("entries", nlohmann::json::array()))
        if (e.value("subject", "") == *subject) mine.push_back({{"model", e["model"]}, {"counters", e["counters"]}});
      out["subject"] = {{"id", *subject}, {"entries", mine}};
    }
    out["ok"] = ok;
    std::cout << out.dump(2) << "\n";
    if (!ok) throw CLI::RuntimeError(1);
  });
}

}  // namespace chrysalis::cli
