// Continuing an answer whose worker failed mid-way (answer_resume.h, docs/resume.md): the same
// proxy, which knows the failed part and charged its prompt already, runs the rest on another
// worker; the app's stream goes on as if nothing happened.
#include <spdlog/spdlog.h>

#include "client/client_node.h"
#include "client/completion.h"
#include "client/completion_messages.h"

namespace chrysalis::client {

namespace asio = boost::asio;

namespace {

// A failure of the worker (or its engine), not of the request or the network's time.
bool worker_failed(const proto::ResponseError& error) {
  if (error.code() == "worker_disconnected") return true;
  bool upstream = error.hop() == "worker" || error.hop() == "engine";
  return upstream && error.http_status() >= 500 && error.http_status() != 504 && error.code() != "cancelled";
}

}  // namespace

asio::awaitable<bool> ClientNode::resume_answer(Completion& c, const std::optional<StreamEvent>& event,
                                                api::ApiError& failure, http::Responder& res) {
  if (!c.resume || c.app_gone() || !event || event->connection_lost || !event->frame.has_error()) co_return false;
  if (!worker_failed(event->frame.error())) co_return false;
  auto give_up = [&](const std::string& why) {
    metrics_.add("resumes", {{"outcome", "not_continued"}});
    spdlog::warn("rid={} the answer is not continued: {}", c.rid, why);
    failure.message += " (not continued: " + why + ")";
    return false;
  };
  if (c.resume->resumes() >= config_.max_resumes)
    co_return give_up("it was continued " + std::to_string(c.resume->resumes()) + " times already (client.max_resumes)");
  auto now = std::chrono::steady_clock::now();
  if (now >= c.deadline) co_return give_up("the request's time is up");
  const std::string failed_rid = c.rid, failed_worker = c.head.worker_id();
  const uint64_t tokens_before = c.resume->resumed_tokens();
  auto next = c.resume->continuation(c.vr);
  if (auto* why = std::get_if<std::string>(&next)) co_return give_up(*why);
  auto& vr = std::get<api::ValidatedRequest>(next);

  if (c.failed_parts.empty()) c.resumed_prompt_tokens = c.usage.prompt ? c.usage.prompt : c.head.prompt_tokens();
  c.resumed_cost_nano += c.cost_nano;
  c.failed_parts.push_back({{"worker", failed_worker},
                            {"request_id", failed_rid},
                            {"completion_tokens", c.resume->resumed_tokens() - tokens_before},
                            {"cost_nano", std::to_string(c.cost_nano)},
                            {"receipt", c.receipt},
                            {"error", failure.message}});
  c.cost_nano = 0;
  c.receipt = nullptr;
  c.part_events = 0;

  std::string path = c.request_frame.request().path();
  pool_->close_stream(c.conn->id(), c.stream);
  c.rid = c.failed_parts[0]["request_id"].get<std::string>() + "+r" + std::to_string(c.resume->resumes());
  vr.timeout_ms = static_cast<uint32_t>(
      std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::milliseconds>(c.deadline - now).count()));
  c.request_frame = make_request_frame(c.rid, path, vr);
  c.request_frame.mutable_request()->set_resume_of(failed_rid);
  if (c.exchange) begin_e2e(c, vr);  // sealed again, for the continuation's own exchange
  spdlog::warn("rid={} worker {} failed after {} tokens ({}); continuing on another worker as rid={}", failed_rid,
               failed_worker, c.resume->resumed_tokens(), failure.message, c.rid);

  c.continuing = true;
  c.continuation_error.reset();
  FirstAnswer first = co_await await_first_answer(c, res);
  c.continuing = false;
  if (first != FirstAnswer::head) {
    c.rid = failed_rid;
    co_return give_up(c.continuation_error ? c.continuation_error->message : "the proxy did not take the continuation");
  }
  metrics_.add("resumes", {{"outcome", "continued"}});
  start_digest(c);
  c.headers.emplace_back("X-Chrysalis-Resumed-On", c.head.worker_id());
  co_return true;
}

}  // namespace chrysalis::client
