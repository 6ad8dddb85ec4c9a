#include "cli/receipt_inclusion.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "billing/committed_leaf.h"
#include "cli/chain_client.h"
#include "http/http_client.h"
#include "receipts/receipt_proof.h"

namespace chrysalis::cli {
namespace {

namespace asio = boost::asio;

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
    auto checked = co_await billing::check_committed_leaf(chain, *proof, leaf, proxy_key);
    result = {checked.ok(), checked.detail};
    if (checked.status == billing::CommittedLeaf::Status::chain_behind)
      result.detail += " (" + chain_endpoint + ")";
    if (checked.status != billing::CommittedLeaf::Status::chain_ahead) co_return result;
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
