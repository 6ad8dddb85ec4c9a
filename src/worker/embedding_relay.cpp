#include "worker/embedding_relay.h"

#include <stdexcept>

#include "api/openai_request.h"
#include "common/json_bounded.h"

namespace chrysalis::worker {

namespace {
// A part stays well under the frame limit however long the vectors are.
constexpr std::size_t kPartBytes = 1 << 20;
}  // namespace

EmbeddingBody prepare_embedding_body(const std::string& body, const std::string& engine_model_name) {
  auto checked = api::validate_openai_request("/v1/embeddings", body);
  if (auto* error = std::get_if<api::ApiError>(&checked)) throw std::invalid_argument(error->message);
  const auto& request = std::get<api::ValidatedRequest>(checked);
  // Key order kept, so the engine reads the body as the app wrote it.
  auto parsed = parse_ordered_json_bounded(body);
  if (!parsed.ok()) throw std::invalid_argument(parsed.error);
  if (!engine_model_name.empty()) parsed.value["model"] = engine_model_name;
  return {parsed.value.dump(), {request.inputs, request.base64, request.dimensions}};
}

bool EmbeddingRelay::on_body(std::string_view bytes) {
  if (answer_.size() + bytes.size() > api::kMaxEmbeddingAnswerBytes) {
    problem_ = "the engine's embeddings answer is over " + std::to_string(api::kMaxEmbeddingAnswerBytes >> 20) +
               " MiB; ask for fewer inputs or encoding_format base64";
    return false;
  }
  answer_.append(bytes);
  return true;
}

std::vector<std::vector<std::string>> EmbeddingRelay::finish() {
  std::vector<std::vector<std::string>> parts;
  if (!problem_.empty()) return parts;
  auto split = api::split_embedding_answer(answer_, shape_);
  answer_.clear();
  answer_.shrink_to_fit();
  if (auto* problem = std::get_if<std::string>(&split)) {
    problem_ = *problem;
    return parts;
  }
  auto& events = std::get<api::EmbeddingEvents>(split);
  prompt_tokens_ = events.prompt_tokens;
  std::size_t part_bytes = 0;
  for (auto& event : events.events) {
    if (parts.empty() || part_bytes + event.size() > kPartBytes) {
      parts.emplace_back();
      part_bytes = 0;
    }
    part_bytes += event.size();
    parts.back().push_back(std::move(event));
  }
  finished_ = true;
  return parts;
}

sse::Usage EmbeddingRelay::usage(uint64_t prompt_estimate) const {
  sse::Usage u;
  if (!finished_) return u;  // no vector was relayed: nothing to bill
  u.prompt = prompt_tokens_.value_or(prompt_estimate);
  u.estimated = !prompt_tokens_;
  return u;
}

}  // namespace chrysalis::worker
