#include "proxy/receipt_proof_route.h"

#include "api/openai_error.h"
#include "http/node_endpoints.h"

namespace chrysalis::proxy {
namespace {

constexpr std::string_view kPrefix = "/receipts/", kSuffix = "/proof";

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

}  // namespace

bool is_receipt_proof_request(const http::Request& req) {
  return req.path.size() > kPrefix.size() + kSuffix.size() && req.path.starts_with(kPrefix) &&
         req.path.ends_with(kSuffix);
}

boost::asio::awaitable<void> serve_receipt_proof(billing::ProxyLedger* ledger, const http::Request& req,
                                                 http::Responder& res) {
  using Status = billing::ReceiptInclusion::Status;
  std::string id = req.path.substr(kPrefix.size(), req.path.size() - kPrefix.size() - kSuffix.size());
  if (req.method != "GET") {
    co_await api::send_error(res, api::unknown_endpoint(req.method, req.path));
    co_return;
  }
  if (!valid_request_id(id)) {
    co_await api::send_error(res, api::invalid_request("invalid_request_id",
                                                       "a request id is 1 to 128 letters, digits, '-', '_' or '.'",
                                                       "request_id", 400));
    co_return;
  }
  if (!ledger) {
    co_await api::send_error(res, api::invalid_request("no_books",
                                                       "this proxy keeps no books (a free network): its receipts "
                                                       "are not committed anywhere",
                                                       "", 404));
    co_return;
  }
  auto inclusion = ledger->receipt_inclusion(id);
  switch (inclusion.status) {
    case Status::proven:
      co_await api::send_json(res, 200, receipts::proof_json(inclusion.proof));
      break;
    case Status::unknown:
      co_await api::send_error(res, api::invalid_request("receipt_not_found",
                                                         "this proxy countersigned no receipt for request " + id +
                                                             " (or it was pruned)",
                                                         "request_id", 404));
      break;
    case Status::waiting:
      co_await api::send_error(res, api::invalid_request("receipt_not_committed",
                                                         "the receipt waits for the proxy's next commit; ask again "
                                                         "after it",
                                                         "", 409));
      break;
    case Status::unconfirmed:
      co_await api::send_error(
          res, api::invalid_request("commit_not_confirmed",
                                    "the receipt is in the commit at seqno " + std::to_string(inclusion.commit_seqno) +
                                        ", not yet seen on chain (the newest seen is " +
                                        std::to_string(inclusion.chain_seqno) + "); ask again shortly",
                                    "", 409));
      break;
  }
}

}  // namespace chrysalis::proxy
