#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/responses_request.h"
#include "api/responses_stream.h"

namespace {

using chrysalis::api::ResponsesStream;
using chrysalis::api::translate_responses_request;
using chrysalis::sse::Usage;
using nlohmann::json;

struct Event {
  std::string name;
  json data;
};

// Splits SSE text into events, checking the framing: "event: X\ndata: {...}\n\n" with data.type == X.
std::vector<Event> parse(const std::string& text) {
  std::vector<Event> events;
  std::size_t at = 0;
  while (at < text.size()) {
    auto end = text.find("\n\n", at);
    EXPECT_NE(end, std::string::npos) << "unterminated event";
    if (end == std::string::npos) break;
    auto block = text.substr(at, end - at);
    at = end + 2;
    EXPECT_EQ(block.rfind("event: ", 0), 0u) << block;
    auto newline = block.find('\n');
    Event event{block.substr(7, newline - 7), {}};
    EXPECT_EQ(block.compare(newline + 1, 6, "data: "), 0) << block;
    event.data = json::parse(block.substr(newline + 7));
    EXPECT_EQ(event.data["type"], event.name);
    events.push_back(std::move(event));
  }
  return events;
}

std::vector<std::string> names(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.name);
  return out;
}

void expect_sequence_numbers(const std::vector<Event>& events) {
  for (std::size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].data["sequence_number"], i) << events[i].name;
}

json chat_chunk(json delta, json finish_reason = nullptr) {
  return {{"id", "chatcmpl-1"},
          {"object", "chat.completion.chunk"},
          {"created", 1700000000},
          {"model", "tiny"},
          {"choices", {{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", std::move(finish_reason)}}}}};
}

json usage_chunk() {
  return {{"id", "chatcmpl-1"},
          {"object", "chat.completion.chunk"},
          {"choices", json::array()},
          {"usage", {{"prompt_tokens", 5}, {"completion_tokens", 3}, {"total_tokens", 8}}}};
}

json tool_piece(int index, json fields) {
  fields["index"] = index;
  return chat_chunk({{"tool_calls", json::array({fields})}});
}

json echo_of(json request) { return translate_responses_request(request).echo; }

TEST(ResponsesStream, TextAnswerEvents) {
  ResponsesStream stream("tiny", echo_of({{"model", "tiny"}, {"input", "Hi"}, {"instructions", "Be kind."}}));
  std::string sse = stream.begin();
  sse += stream.on_chunk(chat_chunk({{"role", "assistant"}, {"content", ""}}));
  sse += stream.on_chunk(chat_chunk({{"reasoning_content", "hmm"}}));
  for (const char* piece : {"Hel", "lo", ", world"}) sse += stream.on_chunk(chat_chunk({{"content", piece}}));
  sse += stream.on_chunk(chat_chunk(json::object(), "stop"));
  sse += stream.on_chunk(usage_chunk());
  sse += stream.finish(Usage{.prompt = 5, .cached = 2, .completion = 3, .reasoning = 1});

  auto events = parse(sse);
  EXPECT_EQ(names(events), (std::vector<std::string>{
                               "response.created", "response.in_progress", "response.output_item.added",
                               "response.content_part.added", "response.output_text.delta",
                               "response.output_text.delta", "response.output_text.delta", "response.output_text.done",
                               "response.content_part.done", "response.output_item.done", "response.completed"}));
  expect_sequence_numbers(events);

  const json& created = events[0].data["response"];
  EXPECT_EQ(created["status"], "in_progress");
  EXPECT_EQ(created["output"], json::array());
  EXPECT_EQ(created["object"], "response");
  EXPECT_EQ(created["usage"], nullptr);
  EXPECT_EQ(created["instructions"], "Be kind.");
  EXPECT_EQ(created["id"].get<std::string>().rfind("resp_", 0), 0u);
  EXPECT_EQ(events[1].data["response"]["id"], created["id"]);

  const json& added = events[2].data;
  EXPECT_EQ(added["output_index"], 0);
  EXPECT_EQ(added["item"]["type"], "message");
  EXPECT_EQ(added["item"]["status"], "in_progress");
  EXPECT_EQ(added["item"]["role"], "assistant");
  EXPECT_EQ(added["item"]["content"], json::array());
  std::string item_id = added["item"]["id"];
  EXPECT_EQ(item_id.rfind("msg_", 0), 0u);
  EXPECT_EQ(events[3].data["part"], json::parse(R"({"type":"output_text","text":"","annotations":[],"logprobs":[]})"));
  EXPECT_EQ(events[3].data["item_id"], item_id);
  EXPECT_EQ(events[3].data["content_index"], 0);

  std::string joined;
  for (std::size_t i = 4; i <= 6; ++i) {
    EXPECT_EQ(events[i].data["item_id"], item_id);
    EXPECT_EQ(events[i].data["output_index"], 0);
    EXPECT_EQ(events[i].data["content_index"], 0);
    EXPECT_EQ(events[i].data["logprobs"], json::array());
    joined += events[i].data["delta"].get<std::string>();
  }
  EXPECT_EQ(joined, "Hello, world");
  EXPECT_EQ(events[7].data["text"], joined);
  EXPECT_EQ(events[8].data["part"]["text"], joined);
  const json& item = events[9].data["item"];
  EXPECT_EQ(item["status"], "completed");
  json part{{"type", "output_text"}, {"text", joined}, {"annotations", json::array()}, {"logprobs", json::array()}};
  EXPECT_EQ(item["content"], json::array({part}));

  const json& done = events[10].data["response"];
  EXPECT_EQ(done, stream.response());
  EXPECT_EQ(done["status"], "completed");
  EXPECT_EQ(done["model"], "tiny");
  EXPECT_EQ(done["error"], nullptr);
  EXPECT_EQ(done["incomplete_details"], nullptr);
  EXPECT_TRUE(done["completed_at"].is_number_integer());
  EXPECT_EQ(done["output"], json::array({item}));
  EXPECT_EQ(done["usage"], json::parse(R"({"input_tokens":5,"input_tokens_details":{"cached_tokens":2},
    "output_tokens":3,"output_tokens_details":{"reasoning_tokens":1},"total_tokens":8})"));
  EXPECT_EQ(done["store"], false);
  EXPECT_EQ(done["truncation"], "disabled");
  EXPECT_EQ(done["tools"], json::array());
  EXPECT_EQ(done["text"]["format"]["type"], "text");
  EXPECT_EQ(done["parallel_tool_calls"], true);
}

TEST(ResponsesStream, TwoParallelToolCalls) {
  json tools = json::parse(R"([{"type":"function","name":"weather","parameters":{"type":"object"}}])");
  ResponsesStream stream("tiny", echo_of({{"model", "tiny"}, {"input", "Weather?"}, {"tools", tools}}));
  std::string sse = stream.begin();
  sse += stream.on_chunk(chat_chunk({{"role", "assistant"}, {"content", nullptr}}));
  sse += stream.on_chunk(
      tool_piece(0, {{"id", "call_a"}, {"type", "function"}, {"function", {{"name", "weather"}, {"arguments", ""}}}}));
  sse += stream.on_chunk(tool_piece(0, {{"function", {{"arguments", "{\"city\":"}}}}));
  sse += stream.on_chunk(tool_piece(0, {{"function", {{"arguments", "\"Paris\"}"}}}}));
  sse += stream.on_chunk(tool_piece(1, {{"id", "call_b"},
                                        {"type", "function"},
                                        {"function", {{"name", "weather"}, {"arguments", "{\"city\":\"Rome\"}"}}}}));
  sse += stream.on_chunk(chat_chunk(json::object(), "tool_calls"));
  sse += stream.finish(Usage{.prompt = 9, .completion = 20});

  auto events = parse(sse);
  EXPECT_EQ(names(events),
            (std::vector<std::string>{"response.created", "response.in_progress", "response.output_item.added",
                                      "response.function_call_arguments.delta",
                                      "response.function_call_arguments.delta", "response.output_item.added",
                                      "response.function_call_arguments.delta", "response.function_call_arguments.done",
                                      "response.output_item.done", "response.function_call_arguments.done",
                                      "response.output_item.done", "response.completed"}));
  expect_sequence_numbers(events);

  const json& first = events[2].data["item"];
  EXPECT_EQ(events[2].data["output_index"], 0);
  EXPECT_EQ(first["type"], "function_call");
  EXPECT_EQ(first["call_id"], "call_a");
  EXPECT_EQ(first["name"], "weather");
  EXPECT_EQ(first["arguments"], "");
  EXPECT_EQ(first["status"], "in_progress");
  EXPECT_EQ(first["id"].get<std::string>().rfind("fc_", 0), 0u);
  EXPECT_EQ(events[3].data["item_id"], first["id"]);
  EXPECT_EQ(events[3].data["output_index"], 0);
  EXPECT_EQ(events[5].data["output_index"], 1);
  EXPECT_EQ(events[5].data["item"]["call_id"], "call_b");
  EXPECT_EQ(events[6].data["output_index"], 1);

  EXPECT_EQ(events[7].data["arguments"], "{\"city\":\"Paris\"}");
  EXPECT_EQ(events[7].data["name"], "weather");
  EXPECT_EQ(events[7].data["item_id"], first["id"]);
  EXPECT_EQ(events[7].data["output_index"], 0);
  EXPECT_EQ(events[9].data["arguments"], "{\"city\":\"Rome\"}");
  EXPECT_EQ(events[9].data["output_index"], 1);

  const json& done = events[11].data["response"];
  EXPECT_EQ(done, stream.response());
  EXPECT_EQ(done["status"], "completed");
  ASSERT_EQ(done["output"].size(), 2u);  // a pure tool-call answer has no message item
  EXPECT_EQ(done["output"][0], events[8].data["item"]);
  EXPECT_EQ(done["output"][0]["status"], "completed");
  EXPECT_EQ(done["output"][0]["arguments"], "{\"city\":\"Paris\"}");
  EXPECT_EQ(done["output"][1]["call_id"], "call_b");
  EXPECT_EQ(done["tools"][0]["name"], "weather");
  EXPECT_EQ(done["usage"]["total_tokens"], 29);
}

TEST(ResponsesStream, TextThenCallClosesTheMessageFirst) {
  ResponsesStream stream("tiny", json::object());
  std::string sse = stream.begin();
  sse += stream.on_chunk(chat_chunk({{"content", "Let me check."}}));
  sse += stream.on_chunk(tool_piece(0, {{"id", "c1"}, {"function", {{"name", "f"}, {"arguments", "{}"}}}}));
  sse += stream.finish(Usage{});
  auto events = parse(sse);
  EXPECT_EQ(names(events),
            (std::vector<std::string>{
                "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
                "response.output_text.delta", "response.output_text.done", "response.content_part.done",
                "response.output_item.done", "response.output_item.added", "response.function_call_arguments.delta",
                "response.function_call_arguments.done", "response.output_item.done", "response.completed"}));
  expect_sequence_numbers(events);
  const json& output = stream.response()["output"];
  ASSERT_EQ(output.size(), 2u);
  EXPECT_EQ(output[0]["type"], "message");
  EXPECT_EQ(output[1]["type"], "function_call");
  EXPECT_EQ(events[8].data["output_index"], 1);
  // An echo without the SDKs' required fields still yields them.
  EXPECT_EQ(stream.response()["tools"], json::array());
  EXPECT_EQ(stream.response()["tool_choice"], "auto");
  EXPECT_EQ(stream.response()["metadata"], json::object());
}

TEST(ResponsesStream, LengthCutIsIncomplete) {
  ResponsesStream stream("tiny", echo_of({{"model", "tiny"}, {"input", "Hi"}, {"max_output_tokens", 2}}));
  std::string sse = stream.begin();
  sse += stream.on_chunk(chat_chunk({{"content", "Once"}}));
  sse += stream.on_chunk(chat_chunk({{"content", " upon"}}, "length"));
  sse += stream.finish(Usage{.prompt = 3, .completion = 2});
  auto events = parse(sse);
  expect_sequence_numbers(events);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().name, "response.incomplete");
  for (const auto& e : events) EXPECT_NE(e.name, "response.completed");
  const json& response = events.back().data["response"];
  EXPECT_EQ(response, stream.response());
  EXPECT_EQ(response["status"], "incomplete");
  EXPECT_EQ(response["incomplete_details"], json({{"reason", "max_output_tokens"}}));
  EXPECT_EQ(response["completed_at"], nullptr);
  EXPECT_EQ(response["max_output_tokens"], 2);
  EXPECT_EQ(response["output"][0]["status"], "incomplete");
  EXPECT_EQ(response["output"][0]["content"][0]["text"], "Once upon");
}

TEST(ResponsesStream, NonStreamedUseAndEmptyAnswer) {
  ResponsesStream stream("tiny", json::object());
  stream.begin();
  stream.on_chunk(chat_chunk(json::object(), "stop"));
  stream.finish(Usage{.prompt = 1});
  const json& response = stream.response();
  EXPECT_EQ(response["status"], "completed");
  ASSERT_EQ(response["output"].size(), 1u);  // apps read output[0]
  EXPECT_EQ(response["output"][0]["type"], "message");
  EXPECT_EQ(response["output"][0]["content"][0]["text"], "");
  EXPECT_EQ(stream.finish(Usage{}), "");  // finishing twice adds nothing
  EXPECT_EQ(stream.on_chunk(chat_chunk({{"content", "late"}})), "");
}

TEST(ResponsesStream, FailMidAnswer) {
  ResponsesStream stream("tiny", json::object());
  std::string sse = stream.begin();
  sse += stream.on_chunk(chat_chunk({{"content", "Part"}}));
  sse += stream.fail("server_error", "worker: connection lost");
  auto events = parse(sse);
  expect_sequence_numbers(events);
  ASSERT_GE(events.size(), 2u);
  const auto& error = events[events.size() - 2];
  EXPECT_EQ(error.name, "error");
  EXPECT_EQ(error.data["code"], "server_error");
  EXPECT_EQ(error.data["message"], "worker: connection lost");
  EXPECT_EQ(error.data["param"], nullptr);
  const auto& failed = events.back();
  EXPECT_EQ(failed.name, "response.failed");
  EXPECT_EQ(failed.data["response"], stream.response());
  EXPECT_EQ(stream.response()["status"], "failed");
  EXPECT_EQ(stream.response()["error"], json({{"code", "server_error"}, {"message", "worker: connection lost"}}));
  EXPECT_EQ(stream.response()["output"][0]["status"], "incomplete");
  EXPECT_EQ(stream.response()["output"][0]["content"][0]["text"], "Part");
  EXPECT_EQ(stream.finish(Usage{}), "");  // nothing after a failure
}

TEST(ResponsesStream, IgnoresOtherChoicesAndJunk) {
  ResponsesStream stream("tiny", json::object());
  stream.begin();
  json other = chat_chunk({{"content", "other"}});
  other["choices"][0]["index"] = 1;
  EXPECT_EQ(stream.on_chunk(other), "");
  EXPECT_EQ(stream.on_chunk(json::array()), "");
  EXPECT_EQ(stream.on_chunk(tool_piece(-1, {{"function", {{"name", "f"}}}})), "");
  EXPECT_EQ(stream.on_chunk(tool_piece(500, {{"function", {{"name", "f"}}}})), "");
  // A call without an id still gets a call_id.
  auto events = parse(stream.on_chunk(chat_chunk({{"tool_calls", json::parse(R"([{"function":{"name":"f"}}])")}})));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data["item"]["call_id"].get<std::string>().rfind("call_", 0), 0u);
}

}  // namespace
