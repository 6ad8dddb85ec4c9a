#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace chrysalis::proxy {

// Only deterministic requests can be compared: temperature 0 or a fixed seed.
bool is_deterministic_request(const nlohmann::json& body);

// The generated text of an answer, gathered from its SSE chunk payloads (chat deltas or
// completion text), so two workers' answers can be compared whatever their ids and timestamps.
class OutputDigest {
 public:
  void add_event(std::string_view chunk_json);
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

enum class SpotVerdict { Agree, Disagree, Undecided };

// The verdict for each of 2 or 3 answers to the same request. Two that differ prove nothing
// about who is wrong (Undecided: ask a third worker); with three, whoever differs from an
// agreeing pair is the minority.
std::vector<SpotVerdict> judge_spot_check(const std::vector<std::string>& outputs);

}  // namespace chrysalis::proxy
