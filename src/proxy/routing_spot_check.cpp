#include "proxy/routing_spot_check.h"
#include "common/json_bounded.h"

namespace chrysalis::proxy {

bool is_deterministic_request(const nlohmann::json& body) {
  if (!body.is_object()) return false;
  if (body.contains("seed") && body["seed"].is_number_integer()) return true;
  auto t = body.find("temperature");
  return t != body.end() && t->is_number() && t->get<double>() == 0.0;
}

void OutputDigest::add_event(std::string_view chunk_json) {
  auto chunk = parse_json_bounded(chunk_json).value;
  if (!chunk.is_object() || !chunk.contains("choices") || !chunk["choices"].is_array()) return;
  for (auto& choice : chunk["choices"]) {
    if (!choice.is_object()) continue;
    if (choice.contains("delta") && choice["delta"].is_object()) {
      auto& d = choice["delta"];
      if (d.contains("content") && d["content"].is_string()) text_ += d["content"].get<std::string>();
    } else if (choice.contains("text") && choice["text"].is_string()) {
      text_ += choice["text"].get<std::string>();
    }
  }
}

std::vector<SpotVerdict> judge_spot_check(const std::vector<std::string>& outputs) {
  std::vector<SpotVerdict> out(outputs.size(), SpotVerdict::Undecided);
  if (outputs.size() < 2) return out;
  // The majority answer, if one is held by more than half.
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    std::size_t same = 0;
    for (auto& o : outputs) same += o == outputs[i];
    if (same * 2 > outputs.size()) {
      for (std::size_t j = 0; j < outputs.size(); ++j)
        out[j] = outputs[j] == outputs[i] ? SpotVerdict::Agree : SpotVerdict::Disagree;
      return out;
    }
  }
  return out;
}

}  // namespace chrysalis::proxy
