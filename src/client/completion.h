#pragma once
// One request's state across the phases of ClientNode::serve_completion (serve_completion.cpp,
// client_e2e.cpp).
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "api/embedding_answer.h"
#include "api/openai_request.h"
#include "api/responses_stream.h"
#include "client/answer_resume.h"
#include "client/client_node.h"
#include "e2e/client_side.h"
#include "receipts/answer_digest.h"
#include "sse/usage_meter.h"

namespace chrysalis::client {

struct ClientNode::Completion {
  // Shared with the disconnect callback, which may outlive this handler on a kept-alive connection.
  struct Watch {
    bool gone = false;
    std::weak_ptr<StreamQueue> queue;
  };

  int64_t t0 = 0;
  api::ValidatedRequest vr;
  std::string rid;
  proto::Frame request_frame;
  std::chrono::steady_clock::time_point deadline;
  std::shared_ptr<Watch> watch = std::make_shared<Watch>();
  // The proxy stream that answers, once phase 1 found it.
  std::shared_ptr<net::Connection> conn;
  uint64_t stream = 0;
  std::shared_ptr<StreamQueue> queue;
  proto::ResponseHead head;
  std::string last_failure;  // why the previous proxy did not answer
  // A proxy that had no capacity for it (429, or 503 with no ready worker): its answer, given to
  // the app if no other proxy takes the request either.
  std::optional<api::ApiError> capacity_refusal;
  // E2E: the body sealed per attempt (null when this request goes in plaintext, and why).
  std::unique_ptr<e2e::ClientExchange> exchange;
  std::string plaintext_reason;
  // Phase 2: the answer as relayed.
  http::Headers headers;
  std::string last_event;  // parsed only when needed: streaming relays the text untouched
  // SSE held back while more parts are already queued: they reach the app in one write.
  std::string unwritten_sse;
  int64_t first_token_us = 0;
  std::string outcome = "ok";
  sse::Usage usage;
  uint64_t cost_nano = 0;
  // The answer's text as relayed, hashed for the worker's receipt (from the head on).
  std::optional<receipts::AnswerDigest> digest;
  std::string answer_salt;
  nlohmann::json receipt;  // what the app is told about the receipt (null: none)
  // The answer ended (end, error or rejection); false when the app left mid-answer.
  bool answer_over = false;
  std::optional<StreamEvent> unrelayed;  // popped when the app had just left: still hashed
  // Embeddings: the vectors gathered and checked as they arrive, and the first thing wrong.
  std::optional<api::EmbeddingList> embeddings;
  std::string answer_problem;
  // /v1/responses: the chat answer turned into Responses events and the Response object.
  std::optional<api::ResponsesStream> responses;
  // Resuming (answer_resume.h): set when the answer can be continued after its worker fails; the
  // parts that failed (worker, request id, tokens, cost, receipt) and the first part's prompt.
  std::optional<AnswerResume> resume;
  nlohmann::json failed_parts = nlohmann::json::array();
  uint64_t resumed_prompt_tokens = 0, resumed_cost_nano = 0;
  uint64_t part_events = 0;  // events of the current part, the most a worker that signs nothing is paid for
  bool continuing = false;   // a continuation is being sent: its errors are not the app's yet
  std::optional<api::ApiError> continuation_error;

  bool app_gone() const { return watch->gone; }
};

}  // namespace chrysalis::client
