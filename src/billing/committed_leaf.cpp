#include "billing/committed_leaf.h"

#include "common/hex.h"
#include "ton/contracts/contract_get_methods.h"
#include "ton/toncenter/toncenter_client.h"

namespace chrysalis::billing {
boost::asio::awaitable<CommittedLeaf> check_committed_leaf(ton::ToncenterClient& chain,
                                                           const receipts::ReceiptProof& proof, std::string leaf,
                                                           std::string proxy_key) {
  using Status = CommittedLeaf::Status;
  CommittedLeaf out;
  std::string error;
  auto hash = receipts::committed_hash_of(proof, leaf, error);
  if (!hash) {
    out.detail = "the proof does not hold: " + error;
    co_return out;
  }
  ton::Address contract;
  try {
    contract = ton::Address::parse(proof.proxy_contract);
  } catch (const std::exception& e) {
    out.detail = "the proof names no valid proxy contract: " + std::string(e.what());
    co_return out;
  }
  auto held = co_await ton::contracts::read_proxy_data(chain, contract);
  out.chain_seqno = held.last_seqno;
  std::string held_key(held.public_key.begin(), held.public_key.end());
  if (proxy_key.empty() || held_key != proxy_key) {
    out.detail = "the proxy contract " + proof.proxy_contract + " belongs to another key than the one that signed";
    co_return out;
  }
  std::string held_hash(held.last_session_hash.begin(), held.last_session_hash.end());
  if (held.last_seqno == proof.chain_seqno) {
    if (held_hash == *hash) {
      out.status = Status::committed;
      out.detail = "in the books committed on chain at seqno " + std::to_string(held.last_seqno) + " (contract " +
                   proof.proxy_contract + ", tree of commit " + std::to_string(proof.commit_seqno) + ", leaf " +
                   std::to_string(proof.index) + " of " + std::to_string(proof.count) + ")";
    } else {
      out.detail = "the chain holds hash " + hex_of(held_hash) + " at seqno " + std::to_string(held.last_seqno) +
                   " but the proof leads to " + hex_of(*hash);
    }
  } else if (held.last_seqno < proof.chain_seqno) {
    out.status = Status::chain_behind;
    out.detail = "the proof names commit " + std::to_string(proof.chain_seqno) + " but the chain holds only " +
                 std::to_string(held.last_seqno);
  } else {
    out.status = Status::chain_ahead;
    out.detail = "the chain holds a newer commit (" + std::to_string(held.last_seqno) + ") than the proof (" +
                 std::to_string(proof.chain_seqno) + ")";
  }
  co_return out;
}

}  // namespace chrysalis::billing
