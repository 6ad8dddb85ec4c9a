#pragma once
// Request ids: the network's own id for one request, which every node logs as rid=..., and an
// app's X-Request-Id folded into it so that the app's id can be found in every node's logs.
#include <map>
#include <string>
#include <variant>

#include "api/openai_error.h"

namespace chrysalis::api {

struct RequestIds {
  std::string app;      // the app's X-Request-Id as sent, or empty
  std::string network;  // unique per request: "<app id>~<random>" or "<random>"
};

// From the request's headers (lower-case names). An X-Request-Id must be 1 to 64 characters of
// letters, digits and . _ : - (it travels to proxy and worker in the clear); anything else is a
// 400 naming the header. The random part keeps ids unique when an app reuses one.
std::variant<RequestIds, ApiError> request_ids(const std::map<std::string, std::string>& headers);

}  // namespace chrysalis::api
