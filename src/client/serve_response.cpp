// POST /v1/responses: OpenAI's newer endpoint, run through the network as a chat request (the
// workers, billing and receipts see chat) and answered as Responses events or a Response object.
#include "api/responses_as_chat.h"
#include "client/client_node.h"
#include "client/completion.h"
#include "http/node_endpoints.h"

namespace chrysalis::client {

boost::asio::awaitable<void> ClientNode::serve_response(const http::Request& req, http::Responder& res) {
  Completion c;
  if (!co_await begin_request(c, req, res)) co_return;
  auto translated = api::responses_as_chat(req.body, validation_limits());
  if (auto* err = std::get_if<api::ApiError>(&translated)) {
    metrics_.add("requests", {{"outcome", "invalid"}});
    co_await api::send_error(res, *err);
    co_return;
  }
  auto& request = std::get<api::ResponsesAsChat>(translated);
  c.vr = std::move(request.chat);
  c.responses.emplace(c.vr.model, std::move(request.responses.echo));
  co_await run_request(c, "/v1/chat/completions", res);
}

}  // namespace chrysalis::client
