#include "api/prompt_prefix.h"

#include <openssl/sha.h>

namespace chrysalis::api {

std::string prompt_prefix(const nlohmann::json& body, std::size_t chars) {
  if (chars == 0 || !body.is_object()) return {};
  std::string text;
  if (body.contains("messages") && body["messages"].is_array()) {
    for (auto& m : body["messages"]) {
      if (!m.is_object() || !m.contains("content")) continue;
      text += m["content"].is_string() ? m["content"].get<std::string>() : m["content"].dump();
      text += '\n';
      if (text.size() >= chars) break;
    }
  } else if (body.contains("prompt")) {
    text = body["prompt"].is_string() ? body["prompt"].get<std::string>() : body["prompt"].dump();
  }
  if (text.size() < chars) return {};
  text.resize(chars);
  return text;
}

uint64_t salted_prefix_hash(const nlohmann::json& body, std::size_t chars, const std::string& salt) {
  std::string prefix = prompt_prefix(body, chars);
  if (prefix.empty()) return 0;
  std::string input = salt + prefix;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  uint64_t h = 0;
  for (int i = 0; i < 8; ++i) h = (h << 8) | digest[i];
  return h == 0 ? 1 : h;
}

}  // namespace chrysalis::api
