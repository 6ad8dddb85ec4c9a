#include "proxy/resume_book.h"

#include <chrono>

namespace chrysalis::proxy {

void ResumeBook::remember(const std::string& request_id, ResumableAnswer answer) {
  if (settings_.max_resumes == 0 || answer.resumes >= settings_.max_resumes) return;
  auto now = std::chrono::system_clock::now();
  answers_.put(request_id, std::move(answer), now + std::chrono::seconds(settings_.keep_s));
  ++remembered_;
}

std::variant<ResumableAnswer, std::string> ResumeBook::claim(const std::string& resume_of,
                                                             const std::string& client_key, const std::string& model) {
  auto refuse = [&](std::string why) -> std::variant<ResumableAnswer, std::string> {
    ++refused_;
    return why;
  };
  if (settings_.max_resumes == 0) return refuse("this proxy does not resume answers (proxy.max_resumes = 0)");
  auto answer = answers_.take(resume_of, std::chrono::system_clock::now());
  if (!answer)
    return refuse("no answer '" + resume_of.substr(0, 64) + "' failed here within the last " +
                  std::to_string(settings_.keep_s) + " s, or its resume budget (" +
                  std::to_string(settings_.max_resumes) + ") is spent");
  if (answer->client_key != client_key) return refuse("answer '" + resume_of.substr(0, 64) + "' is another client's");
  if (answer->model != model)
    return refuse("answer '" + resume_of.substr(0, 64) + "' was for model '" + answer->model + "', not '" +
                  model.substr(0, 128) + "'");
  ++claimed_;
  answer->resumes++;
  return *answer;
}

nlohmann::json ResumeBook::json() const {
  return {{"max_resumes", settings_.max_resumes}, {"keep_s", settings_.keep_s}, {"held", answers_.size()},
          {"limit", answers_.capacity()},         {"remembered", remembered_},   {"claimed", claimed_},
          {"refused", refused_}};
}

}  // namespace chrysalis::proxy
