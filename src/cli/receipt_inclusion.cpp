#include "cli/receipt_inclusion.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "cli/chain_client.h"
#include "common/hex.h"
#include "http/http_client.h"
#include "receipts/receipt_proof.h"
#include "ton/contracts/contract_get_methods.h"

namespace chrysalis::cli {
namespace {

namespace asio = boost::asio;

std::string hex_of(std::string_view raw) { return to_hex({reinterpret_cast<const uint8_t*>(raw.data()), raw.size()}); }

// The proof as the proxy serves it; a refusal carries the proxy's own reason.
asio::awaitable<std::optional<receipts::ReceiptProof>> fetch_proof(const std::string& proxy_url,
                                                                  const std::string& request_id,
                                                                  InclusionResult& result) {
  auto executor = co_await asio::this_coro::executor;
  auto response = co_await http::http_get(executor, proxy_url + "/receipts/" + request_id + "/proof",
                                          std::chrono::seconds(15));
  if (!response.ok()) {
    result.detail = "the proxy at " + proxy_url + " did not answer: " + response.message;
    co_return std::nullopt;
  }
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (response.status != 200) {
    std::string why = body.is_object() && body.contains("error") && body["error"].is_object()
                          ? body["error"].value("message", response.body)
                          : response.body;
    result.detail = "the proxy has no proof (HTTP " + std::to_string(response.status) + "): " + why;
    co_return std::nullopt;
  }
  std::string error;
  auto proof = receipts::proof_from_json(body, error);
  if (!proof) result.detail = "the proxy's proof does not parse: " + error;
  co_return proof;
}

asio::awaitable<InclusionResult> check(const std::string& request_id, const std::string& leaf,
                                       const std::string& proxy_key, const std::string& proxy_url,
                                       const std::string& chain_endpoint, ton::ToncenterClient& chain) {
  InclusionResult result;
  // The chain may move on between the proof and the read: ask again a few times.
  for (int attempt = 0; attempt < 4; ++attempt) {
    auto proof = co_await fetch_proof(proxy_url, request_id, result);
    if (!proof) co_return result;
    std::string error;
    auto hash = receipts::committed_hash_of(*proof, leaf, error);
    if (!hash) {
      result.detail = "the proof does not hold: " + error;
      co_return result;
    }
    ton::Address contract;
    try {
      contract = ton::Address::parse(proof->proxy_contract);
    } catch (const std::exception& e) {
      result.detail = "the proof names no valid proxy contract: " + std::string(e.what());
      co_return result;
    }
    auto held = co_await ton::contracts::read_proxy_data(chain, contract);
    std::string held_key(held.public_key.begin(), held.public_key.end());
    if (proxy_key.empty() || held_key != proxy_key) {
      result.detail = "the proxy contract " + proof->proxy_contract + " belongs to another key than the one that "
                      "signed";
      co_return result;
    }
    std::string held_hash(held.last_session_hash.begin(), held.last_session_hash.end());
    if (held.last_seqno == proof->chain_seqno) {
      result.ok = held_hash == *hash;
      result.detail = result.ok ? "in the books committed on chain at seqno " + std::to_string(held.last_seqno) +
                                      " (contract " + proof->proxy_contract + ", tree of commit " +
                                      std::to_string(proof->commit_seqno) + ", leaf " +
                                      std::to_string(proof->index) + " of " + std::to_string(proof->count) + ")"
                                : "the chain holds hash " + hex_of(held_hash) + " at seqno " +
                                      std::to_string(held.last_seqno) + " but the proof leads to " + hex_of(*hash);
      co_return result;
    }
    if (held.last_seqno < proof->chain_seqno) {
      result.detail = "the proof names commit " + std::to_string(proof->chain_seqno) + " but the chain (" +
                      chain_endpoint + ") holds only " + std::to_string(held.last_seqno);
      co_return result;
    }
    result.detail = "the chain holds a newer commit (" + std::to_string(held.last_seqno) + ") than every proof the "
                    "proxy gave (" + std::to_string(proof->chain_seqno) + ")";
    asio::steady_timer pause(co_await asio::this_coro::executor, std::chrono::seconds(1));
    co_await pause.async_wait(asio::use_awaitable);
  }
  co_return result;
}

}  // namespace

InclusionResult check_receipt_inclusion(const proto::Receipt& receipt, const receipts::Opened& opened,
                                        const std::string& proxy_url, const std::string& chain_endpoint) {
  return check_leaf_inclusion(opened.worker.request_id(), receipts::receipt_leaf(receipt),
                              opened.proxy ? opened.proxy->proxy_key() : std::string(), proxy_url, chain_endpoint);
}

InclusionResult check_leaf_inclusion(const std::string& id, const std::string& leaf, const std::string& proxy_key,
                                     const std::string& proxy_url, const std::string& chain_endpoint) {
  if (chain_endpoint.empty())
    return {false, "no chain to check against: give --chain URL or a --config with [registry] endpoint"};
  asio::io_context io;
  auto chain = make_chain_client(io, chain_endpoint);
  InclusionResult result;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        try {
          result = co_await check(id, leaf, proxy_key, proxy_url, chain_endpoint, *chain);
        } catch (const std::exception& e) {
          result = {false, std::string("reading the chain failed: ") + e.what()};
        }
      },
      asio::detached);
  io.run();
  return result;
}

}  // namespace chrysalis::cli
