#pragma once
// An embeddings answer on its way through the network. The worker splits the engine's one JSON
// object into one event per vector (so no frame grows with the batch, and the receipt's answer
// hash covers every vector); the client checks each event and puts the list back together.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sse/usage_meter.h"

namespace chrysalis::api {

// What the request asked for, which every vector of the answer must match.
struct EmbeddingShape {
  uint32_t inputs = 0;
  bool base64 = false;
  uint32_t dimensions = 0;  // 0: whatever the model gives, but the same for every vector
};

// The largest engine answer a worker takes (2048 inputs of 4096 floats as JSON text fit), and the
// most a client holds of one answer's events.
inline constexpr std::size_t kMaxEmbeddingAnswerBytes = 160u << 20;
// The longest vector accepted (the `dimensions` a request may ask for).
inline constexpr std::size_t kMaxEmbeddingDimensions = 65536;

// Why item `index` of an answer is not an embedding of the asked shape, or "" when it is.
// `dims` is the first vector's length (0 until then); later vectors must match it.
std::string embedding_item_problem(const nlohmann::json& item, std::size_t index, const EmbeddingShape& shape,
                                   std::size_t& dims);

struct EmbeddingEvents {
  std::vector<std::string> events;        // {"object":"embedding","index":i,"embedding":...}, in order
  std::optional<uint64_t> prompt_tokens;  // the engine's usage.prompt_tokens when it sent a valid one
};

// The engine's whole answer, checked against `shape` and split; or what is wrong with it.
std::variant<EmbeddingEvents, std::string> split_embedding_answer(std::string_view body, const EmbeddingShape& shape);

// The client's side: events in, the OpenAI list out.
class EmbeddingList {
 public:
  explicit EmbeddingList(EmbeddingShape shape) : shape_(shape) {}
  // One event as the worker sent it; returns what is wrong with it, or "".
  std::string add(std::string_view event);
  // "" when every input has its vector.
  std::string incomplete() const;
  nlohmann::json finish(const std::string& model, const sse::Usage& usage) const;

 private:
  EmbeddingShape shape_;
  std::size_t dims_ = 0;
  std::size_t bytes_ = 0;  // of the events taken: bounded by kMaxEmbeddingAnswerBytes
  nlohmann::json data_ = nlohmann::json::array();
};

}  // namespace chrysalis::api
