#pragma once
// The other half of /v1/responses on the chat path: the network answers in chat.completion.chunk
// objects, and apps expect Responses streaming events and a Response object.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sse/usage_meter.h"

namespace chrysalis::api {

// Turns the network's chat.completion.chunk objects into a Response: streamed events and the
// final object. Items open in order of appearance (a message at the first text, a function_call
// at each tool call's first piece); a message closes when a call starts, and everything still
// open closes at finish. Only choice 0 is read: a Responses request asks for one answer.
class ResponsesStream {
 public:
  // `echo` is ResponsesRequest::echo: the request fields the Response object repeats.
  ResponsesStream(std::string model, nlohmann::json echo);

  // First events: response.created, response.in_progress (as SSE text "event: X\ndata: {...}\n\n").
  std::string begin();
  // One chat chunk (parsed JSON); returns the SSE text of the events it makes (may be empty).
  std::string on_chunk(const nlohmann::json& chunk);
  // The end with the network's usage: closing events of open items, then response.completed, or
  // response.incomplete when the answer was cut (finish_reason "length": max_output_tokens;
  // "content_filter"). Also used for the non-streamed answer: response() then gives the object.
  std::string finish(const sse::Usage& usage);
  // A failure mid-answer: an "error" event then response.failed. Open items stay unfinished.
  std::string fail(const std::string& code, const std::string& message);

  // Adds a field of our own to the Response object (the answer's cost and receipt), before finish().
  void annotate(const std::string& key, nlohmann::json value) { response_[key] = std::move(value); }

  // The Response object as it stands: items appear in `output` as they close; complete after
  // finish() or fail().
  const nlohmann::json& response() const { return response_; }

 private:
  struct Item {
    nlohmann::json json;  // the output item; text and arguments are filled in when it closes
    std::string text;     // a message's text, or a call's arguments
    bool open = true;
    bool is_message = false;
  };

  std::string event(const char* type, nlohmann::json data);
  std::string on_text(const std::string& delta);
  std::string on_tool_call(const nlohmann::json& piece);
  std::string close_item(std::size_t index, const char* status);
  std::string close_all(const char* status);
  std::string open_message();

  nlohmann::json response_;
  std::vector<Item> items_;                     // by output_index
  std::map<uint64_t, std::size_t> call_items_;  // chat tool_call index -> output_index
  std::size_t open_message_ = SIZE_MAX;         // output_index of the message taking text, if any
  nlohmann::json finish_reason_;                // null until a chunk gives one
  uint64_t sequence_ = 0;
  bool ended_ = false;
};

}  // namespace chrysalis::api
