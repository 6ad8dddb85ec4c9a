#pragma once
// Canonical byte encoding of every ledger row (what the proxy key signs and the hash chain
// absorbs), and the signing/verification of rows.
#include <string>
#include <vector>

#include "billing/ledger_types.h"

namespace chrysalis::billing {

using Bytes = std::vector<uint8_t>;

// Tagged, length-prefixed, big-endian: "chrysalis.ledger.<table>.v1" ‖ fields (signature excluded).
Bytes encode_row(const ClientAccount& row);
Bytes encode_row(const WorkerAccount& row);
Bytes encode_row(const Reservation& row);
Bytes encode_row(const PendingCommit& row);
Bytes encode_row(const CommitSnapshot& row);
Bytes encode_row(const LedgerState& row);

// Human name of a row in errors: clients[0:ab…], reservations[17], state.
std::string row_name(const ClientAccount& row);
std::string row_name(const WorkerAccount& row);
std::string row_name(const Reservation& row);
std::string row_name(const PendingCommit& row);
std::string row_name(const CommitSnapshot& row);
std::string row_name(const LedgerState& row);

template <typename Row>
void sign_row(Row& row, const ton::Ed25519Key& key) {
  row.sig = key.sign(encode_row(row));
}
// Throws LedgerTampered naming the row when its signature does not verify.
template <typename Row>
void verify_row(const Row& row, const ton::PublicKey& key) {
  if (!ton::ed25519_verify(key, encode_row(row), row.sig))
    throw LedgerTampered(row_name(row), "signature does not verify (edited outside the proxy, or another key)");
}

ton::Hash256 sha256(const Bytes& data);
// The next link of the hash chain: SHA-256(previous ‖ seqno ‖ Σ encoded rows of the change).
ton::Hash256 chain_next(const ton::Hash256& previous, uint64_t seqno, const Bytes& change);

}  // namespace chrysalis::billing
