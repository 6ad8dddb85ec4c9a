#pragma once
#include <string>
#include <vector>

namespace chrysalis::proxy {

enum class SpotVerdict { Agree, Disagree, Undecided };

// The verdict for each of 2 or 3 answers to the same request, given as the spot hashes their
// workers signed. Two that differ prove nothing about who is wrong (Undecided: ask a third
// worker); with three, whoever differs from an agreeing pair is the minority.
std::vector<SpotVerdict> judge_spot_check(const std::vector<std::string>& outputs);

}  // namespace chrysalis::proxy
