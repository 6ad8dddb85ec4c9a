#pragma once
// Proxy-signed cumulative amounts: the payload cell the proxy key signs and the message body
// that carries it (charges, final refunds, worker payouts, proxy state commits).
#include "ton/cells/address.h"
#include "ton/cells/cell.h"
#include "ton/wallet/ed25519_key.h"

namespace chrysalis::ton::contracts {

// op:uint32 target:address root:address amount:uint64 extra:uint256 (886 bits, no refs).
struct SignedPayload {
  uint32_t op = 0;
  Address target;       // the contract that must accept it
  Address root;         // the network (root contract) it belongs to
  uint64_t amount = 0;  // cumulative adjusted tokens (or the state seqno)
  Hash256 extra{};      // session hash for save-state, 0 otherwise
  bool operator==(const SignedPayload&) const = default;
};

CellRef build_signed_payload(const SignedPayload& payload);
SignedPayload parse_signed_payload(const CellRef& cell);  // throws CellError

// Ed25519 over the payload cell's representation hash.
Signature sign_payload(const CellRef& payload, const Ed25519Key& key);
bool verify_payload(const CellRef& payload, const Signature& signature, const PublicKey& public_key);

// op:uint32 query_id:uint64 signature:bits512 ^SignedPayload.
struct SignedBody {
  uint32_t op = 0;
  uint64_t query_id = 0;
  Signature signature{};
  CellRef payload_cell;
  SignedPayload payload;
};
CellRef build_signed_body(uint32_t op, uint64_t query_id, const Signature& signature, const CellRef& payload);
// Builds the payload, signs it and wraps it: what a proxy hands to a client or worker.
CellRef make_signed_body(const SignedPayload& payload, uint64_t query_id, const Ed25519Key& key);
SignedBody parse_signed_body(const CellRef& body);  // throws CellError

// The checks a receiving contract makes, in its order, as the error code it would throw (0 = accepted
// up to the amount rule): 102 signature, 105 op, 103 target, 104 root.
int check_signed_body(const SignedBody& body, const PublicKey& proxy_key, const Address& self, const Address& root);

}  // namespace chrysalis::ton::contracts
