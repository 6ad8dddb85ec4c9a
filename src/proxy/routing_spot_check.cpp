#include "proxy/routing_spot_check.h"

namespace chrysalis::proxy {

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
