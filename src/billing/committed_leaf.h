#pragma once
// Whether a leaf a proxy recorded in its books (a receipt, a reputation table's root) is in the
// state its proxy contract holds on chain: walk the proxy's inclusion proof from the leaf to the
// committed hash and compare with get_proxy_data. Used by `chrysalis receipt|reputation verify`
// and by the client node before it shows a proxy's reputation as committed.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "receipts/receipt_proof.h"

namespace chrysalis::ton {
class ToncenterClient;
}

namespace chrysalis::billing {

struct CommittedLeaf {
  enum class Status {
    committed,    // the chain holds exactly the hash the proof leads to
    chain_ahead,  // the chain moved past the proof's commit: ask the proxy for a fresh proof
    chain_behind, // the proof names a commit the chain does not hold yet
    refuted       // the proof does not hold, or leads elsewhere, or the contract is another key's
  };
  Status status = Status::refuted;
  uint64_t chain_seqno = 0;  // what the contract holds
  std::string detail;        // what was proven, or what failed
  bool ok() const { return status == Status::committed; }
};

// `proxy_key`: the raw 32-byte key that signed the leaf; the proof's contract must belong to it.
// Throws only when reading the chain fails.
boost::asio::awaitable<CommittedLeaf> check_committed_leaf(ton::ToncenterClient& chain,
                                                           const receipts::ReceiptProof& proof, std::string leaf,
                                                           std::string proxy_key);

}  // namespace chrysalis::billing
