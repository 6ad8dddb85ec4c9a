#pragma once
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <string>

#include "chrysalis.pb.h"
#include "http/connection_pool.h"
#include "sse/usage_meter.h"

namespace chrysalis::http {
class StreamingRequest;
struct ClientRequest;
struct ClientResult;
}  // namespace chrysalis::http

namespace chrysalis::worker {

struct JobSettings {
  std::string engine_url;
  http::ConnectionPool* engine_pool = nullptr;  // kept-alive engine connections (null: one per request)
  std::string engine_model_name;
  std::string worker_id;
  uint32_t coefficient = 1000;
  uint32_t max_timeout_ms = 120000;
};

struct JobOutcome {
  std::string name;  // ok | cancelled | engine_error | timeout | ...
  sse::Usage usage;
  double ttft_ms = 0, total_ms = 0;
};

// One inference request on this worker: sends it to the engine with max_tokens clamped and
// usage reporting forced, relays each engine chunk to the proxy the moment it arrives, and
// ends with the metered usage (or an error that still carries what was produced).
class InferenceJob {
 public:
  using Send = std::function<void(proto::Frame&)>;
  // Each part's answer texts, just before the part is sent (the receipt's hash takes them).
  using AnswerTexts = std::function<void(const std::vector<std::string>&)>;
  InferenceJob(proto::InferenceRequest request, JobSettings settings, Send send, AnswerTexts texts = nullptr);
  ~InferenceJob();
  boost::asio::awaitable<JobOutcome> run();
  // Stops the engine request at once; run() then reports "cancelled" with the usage so far.
  void cancel(const std::string& reason);

 private:
  struct Stream;  // the engine's answer as it arrives (inference_job.cpp)
  http::ClientRequest engine_request(std::string body, uint32_t timeout_ms) const;
  std::string send_outcome(const Stream& stream, const http::ClientResult& result, const sse::Usage& usage,
                           uint32_t timeout_ms, int64_t t0, int64_t t_end);
  void send_error(uint32_t status, const std::string& code, const std::string& message, const sse::Usage& usage);

  proto::InferenceRequest request_;
  JobSettings settings_;
  Send send_;
  AnswerTexts texts_;
  std::shared_ptr<http::StreamingRequest> http_;
  bool cancelled_ = false;
  std::string cancel_reason_;
};

// The body sent to the engine: max_tokens clamped to the network's limit, streaming with usage.
std::string prepare_engine_body(const std::string& body, uint32_t max_tokens, const std::string& engine_model_name);

}  // namespace chrysalis::worker
