#include "billing/ledger_codec.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "ton/cells/encoding.h"

namespace chrysalis::billing {

namespace {

struct Encoder {
  Bytes out;
  explicit Encoder(const char* table) { str(std::string("chrysalis.ledger.") + table + ".v1"); }
  void u64(uint64_t v) {
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void str(const std::string& s) {
    u64(s.size());
    out.insert(out.end(), s.begin(), s.end());
  }
  void hash(const ton::Hash256& h) { out.insert(out.end(), h.begin(), h.end()); }
};

}  // namespace

Bytes encode_row(const ClientAccount& r) {
  Encoder e("client");
  e.str(r.id);
  for (uint64_t v : {r.balance_nano, r.stake_nano, r.chain_tokens_used, r.reserved_tokens, r.charged_tokens,
                     r.committed_tokens, r.signed_tokens})
    e.u64(v);
  return e.out;
}

Bytes encode_row(const WorkerAccount& r) {
  Encoder e("worker");
  e.str(r.id);
  for (uint64_t v : {r.earned_tokens, r.committed_tokens, r.signed_tokens}) e.u64(v);
  return e.out;
}

Bytes encode_row(const Reservation& r) {
  Encoder e("reservation");
  e.u64(r.id);
  e.str(r.client);
  e.str(r.worker);
  e.u64(r.coefficient);
  e.u64(r.reserved_tokens);
  return e.out;
}

Bytes encode_row(const PendingCommit& r) {
  Encoder e("commit");
  e.u64(r.seqno);
  e.hash(r.hash);
  return e.out;
}

Bytes encode_row(const CommitSnapshot& r) {
  Encoder e("snapshot");
  e.u64(r.seqno);
  e.u64(static_cast<uint8_t>(r.kind));
  e.str(r.party);
  e.u64(r.tokens);
  return e.out;
}

Bytes encode_row(const LedgerState& r) {
  Encoder e("state");
  e.u64(r.seqno);
  e.hash(r.chain_hash);
  e.u64(r.last_committed_seqno);
  e.hash(r.last_committed_hash);
  for (uint64_t v : {r.next_reservation_id, r.total_charged_tokens, r.total_earned_tokens, r.total_reserved_tokens,
                     r.commission_nano, r.client_count, r.worker_count, r.reservation_count, r.pending_count,
                     r.price_per_token, r.worker_fee_per_token})
    e.u64(v);
  for (uint32_t v : {r.prompt_mult, r.cached_mult, r.completion_mult, r.reasoning_mult}) e.u64(v);
  return e.out;
}

std::string row_name(const ClientAccount& r) { return "clients[" + r.id + "]"; }
std::string row_name(const WorkerAccount& r) { return "workers[" + r.id + "]"; }
std::string row_name(const Reservation& r) { return "reservations[" + std::to_string(r.id) + "]"; }
std::string row_name(const PendingCommit& r) { return "commits[" + std::to_string(r.seqno) + "]"; }
std::string row_name(const CommitSnapshot& r) {
  return "snapshots[" + std::to_string(r.seqno) + "," + r.kind + "," + r.party + "]";
}
std::string row_name(const LedgerState&) { return "state"; }

ton::Hash256 sha256(const Bytes& data) {
  ton::Hash256 out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 || len != out.size())
    throw std::runtime_error("SHA-256 failed");
  return out;
}

ton::Hash256 chain_next(const ton::Hash256& previous, uint64_t seqno, const Bytes& change) {
  Encoder e("chain");
  e.hash(previous);
  e.u64(seqno);
  e.out.insert(e.out.end(), change.begin(), change.end());
  return sha256(e.out);
}

}  // namespace chrysalis::billing
