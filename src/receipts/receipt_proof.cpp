#include "receipts/receipt_proof.h"

#include "billing/ledger_codec.h"
#include "common/hex.h"
#include "crypto/sha256.h"
#include "receipts/merkle.h"

namespace chrysalis::receipts {
namespace {

// A 32-byte hash from hex; false (and `error`) when it is not one.
bool read_hash(const nlohmann::json& j, const char* field, std::string& out, std::string& error) {
  if (!j.contains(field) || !j[field].is_string()) return error = std::string(field) + ": missing", false;
  auto text = j[field].get<std::string>();
  if (text.size() != 64 || text.find_first_not_of("0123456789abcdef") != std::string::npos)
    return error = std::string(field) + ": not 64 lowercase hex characters", false;
  auto raw = from_hex(text);
  out.assign(raw.begin(), raw.end());
  return true;
}

bool read_u64(const nlohmann::json& j, const char* field, uint64_t& out, std::string& error) {
  if (!j.contains(field) || !j[field].is_number_unsigned()) return error = std::string(field) + ": missing", false;
  out = j[field].get<uint64_t>();
  return true;
}

ton::Hash256 to_hash(std::string_view raw) {
  ton::Hash256 h{};
  std::copy_n(raw.begin(), std::min<size_t>(raw.size(), 32), h.begin());
  return h;
}

}  // namespace

std::string receipt_leaf(const proto::Receipt& receipt) {
  return crypto::sha256("chrysalis-receipt-leaf/1" + receipt.proxy());
}

std::string receipts_link(std::string_view prev_link, std::string_view root, uint64_t count) {
  std::string m = "chrysalis-receipts-link/1";
  m.append(prev_link).append(root);
  for (int i = 7; i >= 0; --i) m.push_back(static_cast<char>((count >> (8 * i)) & 0xff));
  return crypto::sha256(m);
}

std::vector<uint8_t> commit_marker(std::string_view link) {
  std::string text = "commit";
  text.append(link);
  return {text.begin(), text.end()};
}

nlohmann::json proof_json(const ReceiptProof& p) {
  nlohmann::json path = nlohmann::json::array(), later = nlohmann::json::array();
  for (const auto& h : p.path) path.push_back(hex_of(h));
  for (const auto& l : p.later) later.push_back({{"seqno", l.seqno}, {"root", hex_of(l.root)}, {"count", l.count}});
  return {{"request_id", p.request_id},
          {"leaf", hex_of(p.leaf)},
          {"commit",
           {{"seqno", p.commit_seqno},
            {"index", p.index},
            {"count", p.count},
            {"path", path},
            {"root", hex_of(p.root)},
            {"prev_link", hex_of(p.prev_link)}}},
          {"later_commits", later},
          {"chain",
           {{"seqno", p.chain_seqno},
            {"prev_hash", hex_of(p.chain_prev_hash)},
            {"hash", hex_of(p.chain_hash)},
            {"proxy_contract", p.proxy_contract}}}};
}

std::optional<ReceiptProof> proof_from_json(const nlohmann::json& j, std::string& error) {
  ReceiptProof p;
  if (!j.is_object() || !j.contains("commit") || !j["commit"].is_object() || !j.contains("chain") ||
      !j["chain"].is_object())
    return error = "not a receipt proof (commit and chain objects expected)", std::nullopt;
  if (j.contains("request_id") && j["request_id"].is_string()) p.request_id = j["request_id"];
  const auto& c = j["commit"];
  const auto& ch = j["chain"];
  if (!read_hash(j, "leaf", p.leaf, error) || !read_u64(c, "seqno", p.commit_seqno, error) ||
      !read_u64(c, "index", p.index, error) || !read_u64(c, "count", p.count, error) ||
      !read_hash(c, "root", p.root, error) || !read_hash(c, "prev_link", p.prev_link, error) ||
      !read_u64(ch, "seqno", p.chain_seqno, error) || !read_hash(ch, "prev_hash", p.chain_prev_hash, error) ||
      !read_hash(ch, "hash", p.chain_hash, error))
    return std::nullopt;
  if (ch.contains("proxy_contract") && ch["proxy_contract"].is_string()) p.proxy_contract = ch["proxy_contract"];
  if (!c.contains("path") || !c["path"].is_array() || c["path"].size() > 64)
    return error = "commit.path: an array of at most 64 hashes expected", std::nullopt;
  for (const auto& h : c["path"]) {
    std::string raw;
    if (!read_hash({{"path", h}}, "path", raw, error)) return std::nullopt;
    p.path.push_back(std::move(raw));
  }
  if (j.contains("later_commits")) {
    if (!j["later_commits"].is_array()) return error = "later_commits: an array expected", std::nullopt;
    for (const auto& l : j["later_commits"]) {
      ReceiptProof::Later later;
      if (!l.is_object() || !read_u64(l, "seqno", later.seqno, error) || !read_hash(l, "root", later.root, error) ||
          !read_u64(l, "count", later.count, error))
        return error = "later_commits: " + error, std::nullopt;
      p.later.push_back(std::move(later));
    }
  }
  return p;
}

std::optional<std::string> committed_hash_of(const ReceiptProof& p, std::string_view leaf, std::string& error) {
  if (leaf != p.leaf) return error = "leaf: the proof is for another receipt", std::nullopt;
  if (!merkle_path_holds(leaf, p.index, p.count, p.path, p.root))
    return error = "merkle_path: the path does not lead from the leaf to the commit's root", std::nullopt;
  std::string link = receipts_link(p.prev_link, p.root, p.count);
  uint64_t seqno = p.commit_seqno;
  for (const auto& l : p.later) {
    if (l.seqno <= seqno) return error = "later_commits: seqnos must increase", std::nullopt;
    seqno = l.seqno;
    link = receipts_link(link, l.root, l.count);
  }
  if (seqno != p.chain_seqno)
    return error = "chain: the last commit walked (" + std::to_string(seqno) + ") is not the chain's (" +
                   std::to_string(p.chain_seqno) + ")",
           std::nullopt;
  auto hash = billing::chain_next(to_hash(p.chain_prev_hash), p.chain_seqno, commit_marker(link));
  std::string out(hash.begin(), hash.end());
  if (out != p.chain_hash)
    return error = "chain_hash: the commit's hash does not follow from its receipts (the proof or the books were "
                   "altered)",
           std::nullopt;
  return out;
}

}  // namespace chrysalis::receipts
