#pragma once
// Continuing an answer whose worker failed mid-way (docs/resume.md). The client keeps the events
// the app received; when the answer breaks off it asks the same proxy to run the request on
// another worker going on from that text (an assistant prefill for chat, `continue_final_message`;
// the prompt extended for completions), and stitches the continuation onto the app's answer so
// that the app sees one answer with one id, one role and one end.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "api/openai_request.h"

namespace chrysalis::client {

class AnswerResume {
 public:
  // The most answer text kept for a continuation; a longer answer is not resumed.
  static constexpr std::size_t kMaxKeptBytes = 16 << 20;

  // Empty when an answer to `vr` can be continued; else why not.
  static std::string not_resumable(const api::ValidatedRequest& vr);

  // Events of the current part, as relayed to the app (a continuation's after stitch()).
  void delivered(const std::vector<std::string>& events);
  // The continuation of `original` from what was delivered so far, or why there can be none.
  std::variant<api::ValidatedRequest, std::string> continuation(const api::ValidatedRequest& original);
  // A continuation's events as the app's answer goes on: the first part's id and creation time,
  // no second `role`.
  std::vector<std::string> stitch(const std::vector<std::string>& events) const;

  // Completion tokens delivered by the parts that failed (one event per token), and how many
  // continuations were made.
  uint64_t resumed_tokens() const { return resumed_tokens_; }
  uint32_t resumes() const { return resumes_; }

 private:
  std::vector<std::string> kept_;  // the current part's events, parsed only if it fails
  std::size_t kept_bytes_ = 0;
  bool overflowed_ = false;
  std::string text_;  // the answer's text up to the current part
  uint64_t resumed_tokens_ = 0;
  uint32_t resumes_ = 0;
  std::string id_;  // the first part's answer id and creation time, which every part takes
  nlohmann::json created_;
};

}  // namespace chrysalis::client
