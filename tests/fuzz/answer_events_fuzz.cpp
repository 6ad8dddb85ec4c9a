// libFuzzer target: the answer events a client receives from its proxy (in plaintext mode a
// hostile proxy writes them), one per input line, as the client turns them into what the app gets:
// a chat answer (api/response_assembler.h), Responses events and object (api/responses_stream.h)
// and an embeddings list (api/embedding_answer.h). Whatever arrives, each must hold its shape:
// every Responses event is one `event:`/`data:` pair with JSON data and sequence numbers counting
// up from 0, and the embeddings list never holds more vectors than inputs. The same events are kept
// for a continuation (client/answer_resume.h): building one and stitching the events onto the
// answer must not crash, and a continuation never asks for more tokens than the request had left.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/embedding_answer.h"
#include "client/answer_resume.h"
#include "api/response_assembler.h"
#include "api/responses_stream.h"
#include "common/json_bounded.h"
#include "fuzz_support.h"

using namespace chrysalis;

namespace {

constexpr int kDepthCap = 100;  // as openai_request_fuzz: nlohmann's recursion is known, skipped

int nesting(std::string_view text) {
  int depth = 0, deepest = 0;
  for (char c : text) {
    if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
    if (c == ']' || c == '}') --depth;
  }
  return deepest;
}

// Checks the SSE text of Responses events and counts them; `next` is the expected sequence number.
void check_responses_sse(std::string_view sse, uint64_t& next) {
  while (!sse.empty()) {
    auto end = sse.find("\n\n");
    if (end == std::string_view::npos || sse.substr(0, 7) != "event: ") __builtin_trap();
    std::string_view block = sse.substr(0, end);
    sse.remove_prefix(end + 2);
    auto newline = block.find('\n');
    if (newline == std::string_view::npos || block.substr(newline + 1, 6) != "data: ") __builtin_trap();
    std::string_view type = block.substr(7, newline - 7);
    auto data = nlohmann::json::parse(block.substr(newline + 7), nullptr, false);
    if (!data.is_object() || data.value("type", "") != type) __builtin_trap();
    if (data.value("sequence_number", uint64_t{0}) != next++) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view text = fuzz::as_text(bytes, size);
  if (nesting(text) > kDepthCap) return 0;
  const uint32_t inputs = size % 4 + 1;
  api::ResponseAssembler chat(api::ApiKind::Chat, "m", size % 3 + 1);
  api::ResponsesStream responses("m", nlohmann::json::object());
  api::EmbeddingList embeddings({inputs, (size & 1) != 0, 0});
  uint64_t sequence = 0;
  check_responses_sse(responses.begin(), sequence);
  api::ValidatedRequest request;
  request.kind = size & 2 ? api::ApiKind::Completion : api::ApiKind::Chat;
  request.max_tokens = static_cast<uint32_t>(size % 64 + 1);
  request.body = {{"model", "m"}, {"max_tokens", request.max_tokens}, {"prompt", "p"},
                  {"messages", nlohmann::json::array({{{"role", "user"}, {"content", "hi"}}})}};
  client::AnswerResume resume;
  while (!text.empty()) {
    auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    (void)embeddings.add(line);
    resume.delivered({std::string(line)});
    (void)resume.stitch({std::string(line)});
    auto chunk = parse_json_bounded(line).value;
    if (!chunk.is_object()) continue;
    chat.add(chunk);
    check_responses_sse(responses.on_chunk(chunk), sequence);
  }
  sse::Usage usage;
  usage.prompt = size;
  usage.completion = size / 2;
  (void)chat.finish(usage).dump();
  responses.annotate("chrysalis", nlohmann::json::object());
  check_responses_sse(responses.finish(usage), sequence);
  (void)responses.response().dump();
  if (embeddings.finish("m", usage).at("data").size() > inputs) __builtin_trap();
  auto next = resume.continuation(request);
  if (auto* more = std::get_if<api::ValidatedRequest>(&next); more && more->max_tokens >= request.max_tokens)
    __builtin_trap();
  return 0;
}
