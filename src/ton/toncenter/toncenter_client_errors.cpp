#include "ton/toncenter/toncenter_client_errors.h"
#include "common/json_bounded.h"

#include <algorithm>
#include <cmath>

namespace chrysalis::ton {

namespace {
std::string describe(const std::string& method, int code, const std::string& message, http::ClientError transport) {
  std::string out = "toncenter " + method + ": ";
  if (code != 0)
    out += "error " + std::to_string(code) + ": ";
  else if (transport != http::ClientError::none)
    out += std::string(http::to_string(transport)) + ": ";
  return out + message;
}
}  // namespace

ToncenterError::ToncenterError(std::string method, int code, std::string message, http::ClientError transport)
    : std::runtime_error(describe(method, code, message, transport)),
      method_(std::move(method)),
      code_(code),
      detail_(std::move(message)),
      transport_(transport) {}

bool ToncenterError::retryable() const { return is_retryable(code_, transport_, detail_); }

nlohmann::json parse_toncenter_reply(const std::string& method, int http_status, const std::string& body) {
  auto reply = parse_json_bounded(body).value;
  bool success_status = http_status >= 200 && http_status < 300;
  if (reply.is_discarded() || !reply.is_object()) {
    std::string excerpt = body.substr(0, 200);
    throw ToncenterError(method, success_status ? 502 : http_status,
                         "reply is not JSON (HTTP " + std::to_string(http_status) + "): " + excerpt);
  }
  if (success_status && reply.value("ok", false) && reply.contains("result")) return reply["result"];
  int code = success_status ? 502 : http_status;
  if (reply.contains("code") && reply["code"].is_number_integer()) code = reply["code"].get<int>();
  std::string message;
  if (reply.contains("error"))
    message = reply["error"].is_string() ? reply["error"].get<std::string>() : reply["error"].dump();
  else if (reply.contains("result") && reply["result"].is_string())
    message = reply["result"].get<std::string>();
  else
    message = "reply without a result (HTTP " + std::to_string(http_status) + ")";
  if (code == 0) code = success_status ? 502 : http_status;
  throw ToncenterError(method, code, message);
}

bool is_retryable(int code, http::ClientError transport, const std::string& message) {
  if (code == 0) {
    // No response: retry what the network did, not what we asked wrong or cancelled.
    return transport != http::ClientError::none && transport != http::ClientError::invalid_url &&
           transport != http::ClientError::cancelled;
  }
  if (code == 429) return true;
  if (code >= 500 && code <= 599) return message.find("cannot apply external message") == std::string::npos;
  return false;
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, double unit_random) {
  double base = static_cast<double>(policy.initial_delay.count()) * std::pow(policy.multiplier, std::max(0, retry - 1));
  base = std::min(base, static_cast<double>(policy.max_delay.count()));
  double u = std::clamp(unit_random, 0.0, 1.0);
  double scaled = base * (1.0 + policy.jitter * (2.0 * u - 1.0));
  return std::chrono::milliseconds(static_cast<int64_t>(std::max(0.0, std::round(scaled))));
}

}  // namespace chrysalis::ton
