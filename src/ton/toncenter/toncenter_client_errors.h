#pragma once
// How toncenter failures are reported and which of them are worth another try.
#include <nlohmann/json.hpp>

#include <chrono>
#include <stdexcept>
#include <string>

#include "http/http_client.h"

namespace chrysalis::ton {

// A failed toncenter call. `code` is toncenter's own code (its "code" field, which is also the
// HTTP status: 404 unknown method, 416 bad address, 422 bad parameter, 429 rate limit, 500 node
// error, 503/504 unavailable), the HTTP status when the body had none, or 0 when no response
// arrived (transport failure: `transport` says which).
class ToncenterError : public std::runtime_error {
 public:
  ToncenterError(std::string method, int code, std::string message,
                 http::ClientError transport = http::ClientError::none);
  const std::string& method() const { return method_; }
  int code() const { return code_; }
  const std::string& detail() const { return detail_; }
  http::ClientError transport() const { return transport_; }
  bool retryable() const;

 private:
  std::string method_;
  int code_;
  std::string detail_;
  http::ClientError transport_;
};

// Retry rule: transport failures (connect, reset, timeout), 429 and 5xx are retried; any other
// 4xx is final. A 500 whose message says the node refused to apply an external message is final
// too: the same BoC would be refused again (toncenter reports that refusal as a 500).
bool is_retryable(int code, http::ClientError transport, const std::string& message);

// Maps one HTTP response to toncenter's "result" or throws ToncenterError: the JSON body's
// {"ok":false,"error":…,"code":…} wins over the bare HTTP status; a 2xx without "ok":true or
// a body that is not JSON is an error too (code = HTTP status, or 502 for a 2xx).
nlohmann::json parse_toncenter_reply(const std::string& method, int http_status, const std::string& body);

struct RetryPolicy {
  int max_attempts = 5;  // total tries, the first included
  std::chrono::milliseconds initial_delay{200};
  double multiplier = 2.0;
  std::chrono::milliseconds max_delay{5000};
  double jitter = 0.25;  // the delay varies by ±jitter×delay
};

// Delay before try number `retry` (1 = first retry): initial × multiplier^(retry−1), capped at
// max_delay, then scaled by 1 + jitter × (2u − 1) for u in [0,1) (full range symmetric jitter).
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, double unit_random);

}  // namespace chrysalis::ton
