#pragma once
// A /v1/responses request body, all the way to the chat request the network runs: translated
// (responses_request.h), then checked like any app's chat request, with JSON schemas kept in the
// app's key order (the engine generates properties in that order).
#include <string_view>
#include <variant>

#include "api/openai_error.h"
#include "api/openai_request.h"
#include "api/responses_request.h"

namespace chrysalis::api {

struct ResponsesAsChat {
  ValidatedRequest chat;
  ResponsesRequest responses;
};

std::variant<ResponsesAsChat, ApiError> responses_as_chat(std::string_view body, const ValidationLimits& limits = {});

}  // namespace chrysalis::api
