#pragma once
// The worker's side of an embeddings request: the engine answers one JSON object (not a stream),
// which is gathered (bounded), checked against what was asked and relayed as one event per
// vector, grouped into parts of bounded size.
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/embedding_answer.h"
#include "api/openai_error.h"
#include "sse/usage_meter.h"

namespace chrysalis::worker {

// An embeddings body as the engine gets it: the request checked as the client checks it and the
// model renamed to the engine's name. Throws std::invalid_argument naming the problem.
struct EmbeddingBody {
  std::string body;
  api::EmbeddingShape shape;
};
EmbeddingBody prepare_embedding_body(const std::string& body, const std::string& engine_model_name);

class EmbeddingRelay {
 public:
  explicit EmbeddingRelay(api::EmbeddingShape shape) : shape_(shape) {}

  // A piece of the engine's answer. False once it is over the bound (problem() says so).
  bool on_body(std::string_view bytes);
  // The whole answer arrived: its events in parts to send, or nothing with problem() set.
  std::vector<std::vector<std::string>> finish();

  bool finished() const { return finished_; }
  const std::string& problem() const { return problem_; }
  // The engine's prompt count when it gave one, else our estimate; never completion tokens; none
  // unless the vectors were relayed.
  sse::Usage usage(uint64_t prompt_estimate) const;

 private:
  api::EmbeddingShape shape_;
  std::string answer_;
  std::string problem_;
  std::optional<uint64_t> prompt_tokens_;
  bool finished_ = false;
};

}  // namespace chrysalis::worker
