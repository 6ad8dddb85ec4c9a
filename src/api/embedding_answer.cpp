#include "api/embedding_answer.h"

#include <cmath>
#include <cstring>

#include "common/json_bounded.h"
#include "ton/cells/encoding.h"

namespace chrysalis::api {
namespace {

using nlohmann::json;

// The vector's length, or a problem: a list of finite numbers, or (base64) packed float32s.
std::variant<std::size_t, std::string> vector_length(const json& embedding, bool base64) {
  if (base64) {
    if (!embedding.is_string()) return std::string("'embedding' must be a base64 string (encoding_format base64)");
    ton::Bytes bytes;
    try {
      bytes = ton::from_base64(embedding.get_ref<const std::string&>());
    } catch (const std::exception&) {
      return std::string("'embedding' is not valid base64");
    }
    if (bytes.empty() || bytes.size() % 4 != 0) return std::string("'embedding' does not decode to float32 values");
    for (std::size_t i = 0; i < bytes.size(); i += 4) {
      float f;
      std::memcpy(&f, bytes.data() + i, 4);
      if (!std::isfinite(f)) return std::string("'embedding' holds a value that is not a finite number");
    }
    return bytes.size() / 4;
  }
  if (!embedding.is_array() || embedding.empty()) return std::string("'embedding' must be a non-empty list of numbers");
  for (const auto& v : embedding)
    if (!v.is_number() || !std::isfinite(v.get<double>()))
      return std::string("'embedding' holds a value that is not a finite number");
  return embedding.size();
}

}  // namespace

std::string embedding_item_problem(const json& item, std::size_t index, const EmbeddingShape& shape,
                                   std::size_t& dims) {
  std::string where = "embedding " + std::to_string(index) + ": ";
  if (!item.is_object()) return where + "not an object";
  if (auto it = item.find("object"); it != item.end() && *it != "embedding")
    return where + "'object' is not \"embedding\"";
  auto idx = item.find("index");
  if (idx == item.end() || !idx->is_number_unsigned() || idx->get<uint64_t>() != index)
    return where + "'index' must be " + std::to_string(index) + " (vectors come in input order)";
  auto embedding = item.find("embedding");
  if (embedding == item.end()) return where + "no 'embedding'";
  auto length = vector_length(*embedding, shape.base64);
  if (auto* problem = std::get_if<std::string>(&length)) return where + *problem;
  std::size_t n = std::get<std::size_t>(length);
  if (n > kMaxEmbeddingDimensions)
    return where + "has " + std::to_string(n) + " dimensions; the limit is " + std::to_string(kMaxEmbeddingDimensions);
  if (shape.dimensions && n != shape.dimensions)
    return where + "has " + std::to_string(n) + " dimensions; the request asked for " +
           std::to_string(shape.dimensions);
  if (dims && n != dims)
    return where + "has " + std::to_string(n) + " dimensions; the ones before it have " + std::to_string(dims);
  dims = n;
  return {};
}

std::variant<EmbeddingEvents, std::string> split_embedding_answer(std::string_view body, const EmbeddingShape& shape) {
  auto parsed = parse_json_bounded(body, {.max_bytes = kMaxEmbeddingAnswerBytes});
  if (!parsed.ok()) return "the engine's answer " + parsed.error;
  const json& answer = parsed.value;
  if (!answer.is_object()) return std::string("the engine's answer is not a JSON object");
  auto data = answer.find("data");
  if (data == answer.end() || !data->is_array()) return std::string("the engine's answer has no 'data' list");
  if (data->size() != shape.inputs)
    return "the engine answered " + std::to_string(data->size()) + " embeddings for " + std::to_string(shape.inputs) +
           " inputs";
  EmbeddingEvents out;
  std::size_t dims = 0;
  for (std::size_t i = 0; i < data->size(); ++i) {
    const json& item = (*data)[i];
    if (auto problem = embedding_item_problem(item, i, shape, dims); !problem.empty()) return problem;
    out.events.push_back(json{{"object", "embedding"}, {"index", i}, {"embedding", item["embedding"]}}.dump());
  }
  if (auto usage = answer.find("usage"); usage != answer.end() && usage->is_object()) {
    auto prompt = usage->find("prompt_tokens");
    if (prompt != usage->end() && prompt->is_number_unsigned() && prompt->get<uint64_t>() > 0)
      out.prompt_tokens = prompt->get<uint64_t>();
  }
  return out;
}

std::string EmbeddingList::add(std::string_view event) {
  // A proxy relaying plaintext could send vectors without end: the whole answer is bounded.
  bytes_ += event.size();
  if (bytes_ > kMaxEmbeddingAnswerBytes)
    return "the embeddings answer is over " + std::to_string(kMaxEmbeddingAnswerBytes >> 20) + " MiB";
  auto parsed = parse_json_bounded(event, {.max_bytes = kMaxEmbeddingAnswerBytes});
  if (!parsed.ok()) return "an embedding event " + parsed.error;
  if (data_.size() >= shape_.inputs)
    return "more embeddings than the " + std::to_string(shape_.inputs) + " inputs asked for";
  if (auto problem = embedding_item_problem(parsed.value, data_.size(), shape_, dims_); !problem.empty())
    return problem;
  data_.push_back(json{{"object", "embedding"}, {"index", data_.size()}, {"embedding", parsed.value["embedding"]}});
  return {};
}

std::string EmbeddingList::incomplete() const {
  if (data_.size() == shape_.inputs) return {};
  return "the answer holds " + std::to_string(data_.size()) + " embeddings for " + std::to_string(shape_.inputs) +
         " inputs";
}

json EmbeddingList::finish(const std::string& model, const sse::Usage& usage) const {
  return json{{"object", "list"},
              {"data", data_},
              {"model", model},
              {"usage", {{"prompt_tokens", usage.prompt}, {"total_tokens", usage.prompt}}}};
}

}  // namespace chrysalis::api
