#pragma once
// Answers whose worker failed mid-answer, kept a while so that the client can continue them on
// another worker (docs/resume.md). The continuation names the failed request; the proxy checks it
// is the same client's, for the same model, within the resume budget, and then charges it only for
// the completion tokens it adds: the prompt was paid with the first part. Bounded and expiring.
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/expiring_lru.h"

namespace chrysalis::proxy {

struct ResumableAnswer {
  std::string client_key;  // the client's TLS key (hex): only it may continue the answer
  std::string model;
  std::vector<uint64_t> failed_workers;  // their connections: never tried again for it
  uint32_t resumes = 0;                // continuations so far (the failed request may be one)
};

struct ResumeSettings {
  uint32_t max_resumes = 2;  // continuations of one answer; 0: resuming is off
  std::size_t capacity = 4096;
  uint32_t keep_s = 120;  // how long a failed answer can be continued
};

class ResumeBook {
 public:
  explicit ResumeBook(ResumeSettings settings) : settings_(settings), answers_(settings.capacity) {}

  void remember(const std::string& request_id, ResumableAnswer answer);
  // The continuation's claim on `resume_of`: the answer (taken: it can be continued once), or why not.
  std::variant<ResumableAnswer, std::string> claim(const std::string& resume_of, const std::string& client_key,
                                                   const std::string& model);
  const ResumeSettings& settings() const { return settings_; }
  nlohmann::json json() const;

 private:
  ResumeSettings settings_;
  ExpiringLru<ResumableAnswer> answers_;
  uint64_t remembered_ = 0, claimed_ = 0, refused_ = 0;
};

}  // namespace chrysalis::proxy
