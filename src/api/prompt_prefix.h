#pragma once
// The start of a request's prompt, which an engine's prefix cache may already hold: the proxy
// routes requests that share it to the same worker. The proxy hashes it itself for plaintext
// requests; an e2e client hashes it with a salt of its own (the proxy never sees the text, and
// cannot test guesses against another client's hashes).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace chrysalis::api {

// The first `chars` characters of the prompt (chat messages' contents, or the completion
// prompt); empty when the prompt is shorter, since short prefixes gain nothing from a cache.
std::string prompt_prefix(const nlohmann::json& body, std::size_t chars);

// A salted, non-zero 64-bit hash of prompt_prefix(body, chars); 0 when there is no such prefix.
uint64_t salted_prefix_hash(const nlohmann::json& body, std::size_t chars, const std::string& salt);

}  // namespace chrysalis::api
