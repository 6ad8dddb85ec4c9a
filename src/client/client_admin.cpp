// The client node's owner actions on its client contracts, over HTTP (localhost, behind the
// node's admin token, http/admin_token.h): GET /admin/billing, POST /admin/topup?amount=TON[&stake=TON],
// /admin/withdraw?amount=TON, /admin/close, /admin/charge; each may name one proxy with
// &proxy=<its public key>. Amounts are decimal TON; a bad one is a 400 and nothing is sent.
#include "api/openai_error.h"
#include "client/client_billing.h"
#include "client/client_node.h"
#include "http/node_endpoints.h"
#include "ton/wallet/wallet_sender.h"

namespace chrysalis::client {

namespace asio = boost::asio;

asio::awaitable<void> ClientNode::serve_admin(const http::Request& req, http::Responder& res) {
  if (req.method == "GET" && req.path == "/admin/receipts") {
    co_await api::send_json(res, 200, receipts_json());
    co_return;
  }
  if (!billing_) {
    co_await api::send_error(res,
                             api::invalid_request("billing_disabled", "this client has no [billing] section", "", 404));
    co_return;
  }
  if (req.method == "GET" && req.path == "/admin/billing") {
    auto body = billing_->stats();
    co_await api::send_json(res, 200, body);
    co_return;
  }
  using Action = ClientBilling::Action;
  static const std::map<std::string, Action> actions = {{"/admin/topup", Action::TopUp},
                                                        {"/admin/withdraw", Action::Withdraw},
                                                        {"/admin/close", Action::Close},
                                                        {"/admin/charge", Action::Charge}};
  auto found = actions.find(req.path);
  if (found == actions.end() || req.method != "POST") {
    co_await api::send_error(res, api::unknown_endpoint(req.method, req.path));
    co_return;
  }
  auto query = [&](const std::string& k) {
    auto it = req.query.find(k);
    return it == req.query.end() ? std::string() : it->second;
  };
  std::optional<api::ApiError> bad;
  uint64_t amount = 0, stake = 0;
  try {
    if (found->second == Action::TopUp) {
      stake = query("stake").empty() ? 0 : ton::parse_ton_amount(query("stake"), "stake", true);
      amount = ton::parse_ton_amount(query("amount"), "amount", stake > 0);
      if (amount == 0 && stake == 0) throw std::invalid_argument("amount and stake are both zero: nothing to send");
    } else if (found->second == Action::Withdraw) {
      amount = ton::parse_ton_amount(query("amount"), "amount");
    }
  } catch (const std::invalid_argument& e) {
    bad = api::invalid_request("invalid_amount", e.what(), "amount");
  }
  if (bad) {
    co_await api::send_error(res, *bad);
    co_return;
  }
  nlohmann::json result;
  try {
    std::string proxy = query("proxy");  // named: GCC 12 mishandles temporaries of a throwing co_await
    result = co_await billing_->act(found->second, amount, stake, std::move(proxy));
  } catch (const BillingActionError& e) {
    bad = api::invalid_request("billing_refused", e.what(), "", e.status);
  } catch (const std::exception& e) {
    bad = api::ApiError{502, "upstream_error", "chain_error",
                        std::string("the chain did not complete the action: ") + e.what(), ""};
  }
  if (bad) {
    co_await api::send_error(res, *bad);
    co_return;
  }
  nlohmann::json body = {{"accounts", result}};
  co_await api::send_json(res, 200, body);
}

}  // namespace chrysalis::client
