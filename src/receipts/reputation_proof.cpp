#include "receipts/reputation_proof.h"

#include <set>

#include "common/hex.h"
#include "crypto/sha256.h"
#include "receipts/merkle.h"
#include "ton/wallet/ed25519_key.h"

namespace chrysalis::receipts {

namespace {
constexpr char kLeafDomain[] = "chrysalis-reputation-leaf/1";
constexpr char kRootDomain[] = "chrysalis-reputation-root/1";

void put_u64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::string raw_of(const nlohmann::json& hex_value, std::size_t size) {
  if (!hex_value.is_string() || hex_value.get<std::string>().size() != size * 2) return {};
  try {
    auto bytes = from_hex(hex_value.get<std::string>());
    return {bytes.begin(), bytes.end()};
  } catch (const std::exception&) {
    return {};
  }
}
}  // namespace

std::string reputation_leaf(const std::string& subject, const std::string& model, const nlohmann::json& counters) {
  nlohmann::json entry = {{"subject", subject}, {"model", model}, {"counters", counters}};
  return std::string(kLeafDomain) + entry.dump();
}

std::string reputation_root_message(const std::string& root, uint64_t count, uint64_t generated_ms) {
  std::string m(kRootDomain);
  m += root;
  put_u64(m, count);
  put_u64(m, generated_ms);
  return m;
}

std::string reputation_commit_leaf(const std::string& root, uint64_t count, uint64_t generated_ms) {
  return crypto::sha256(reputation_root_message(root, count, generated_ms));
}

std::string reputation_commit_id(uint64_t generated_ms) { return "reputation-" + std::to_string(generated_ms); }

std::string reputation_table_problem(const nlohmann::json& table, const std::string& proxy_key_hex) {
  if (!table.is_object()) return "the table is not a JSON object";
  std::string root = raw_of(table.value("root", nlohmann::json()), 32);
  if (root.empty()) return "root: not 32 bytes of hex";
  const auto& count_j = table.value("count", nlohmann::json());
  const auto& time_j = table.value("generated_ms", nlohmann::json());
  auto natural = [](const nlohmann::json& j) { return j.is_number_unsigned() || (j.is_number_integer() && j >= 0); };
  if (!natural(count_j) || !natural(time_j)) return "count/generated_ms: not whole numbers";
  uint64_t count = count_j.get<uint64_t>(), generated_ms = time_j.get<uint64_t>();
  std::string key = raw_of(table.value("proxy_key", nlohmann::json()), 32);
  if (key.empty()) return "proxy_key: not 32 bytes of hex";
  if (!proxy_key_hex.empty() && table.value("proxy_key", "") != proxy_key_hex)
    return "proxy_key: the table is signed by another key than the proxy's";
  std::string sig = raw_of(table.value("signature", nlohmann::json()), 64);
  if (sig.empty()) return "signature: not 64 bytes of hex";
  ton::PublicKey pk{};
  ton::Signature s{};
  std::copy(key.begin(), key.end(), pk.begin());
  std::copy(sig.begin(), sig.end(), s.begin());
  std::string message = reputation_root_message(root, count, generated_ms);
  if (!ton::ed25519_verify(pk, std::span(reinterpret_cast<const uint8_t*>(message.data()), message.size()), s))
    return "signature: it does not verify over the root";
  const auto& entries = table.value("entries", nlohmann::json());
  if (!entries.is_array()) return "entries: not a list";
  if (entries.size() > count) return "entries: " + std::to_string(entries.size()) + " listed, the root covers " +
                                      std::to_string(count);
  std::set<uint64_t> seen;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    std::string name = "entries[" + std::to_string(i) + "]";
    if (!e.is_object() || !natural(e.value("index", nlohmann::json())) ||
        !seen.insert(e["index"].get<uint64_t>()).second)
      return name + ".index: missing, or listed twice";
    if (!e.value("subject", nlohmann::json()).is_string() ||
        !e.value("model", nlohmann::json()).is_string() || !e.value("counters", nlohmann::json()).is_object() ||
        !e.value("proof", nlohmann::json()).is_array())
      return name + ": needs subject, model, counters and proof";
    std::vector<std::string> path;
    for (const auto& step : e["proof"]) {
      path.push_back(raw_of(step, 32));
      if (path.back().empty()) return name + ".proof: a step is not 32 bytes of hex";
    }
    if (!merkle_path_holds(reputation_leaf(e["subject"], e["model"], e["counters"]), e["index"].get<uint64_t>(), count,
                           path, root))
      return name + " (" + e["subject"].get<std::string>().substr(0, 80) +
             "): its counters do not lead to the signed root";
  }
  return "";
}

}  // namespace chrysalis::receipts
