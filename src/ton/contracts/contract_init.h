#pragma once
// Initial data of the Chrysalis contracts and the addresses it fixes. A child's address depends
// on its code, the root address, the params cell (byte for byte) and its owners/keys, so
// ChrysalisNetwork carries the three from the root (read them with read_root_registry()).
#include "ton/cells/message.h"
#include "ton/contracts/contract_messages.h"

namespace chrysalis::ton::contracts {

// owner version:uint32 last_proxy_seqno:uint32 ^params ^(^proxy ^client ^worker) ^(4 empty maps).
CellRef root_init_data(const Address& owner, const CellRef& params_cell, const ChildCodes& codes, uint32_t version = 0);
// state=0 stake=0 balance=0 client_tokens=0 worker_tokens=0 unlock_ts=0 last_seqno=0 session=0
// ^(owner public_key root) ^params ^(^client_code ^worker_code).
CellRef proxy_init_data(const Address& owner, const PublicKey& public_key, const Address& root,
                        const CellRef& params_cell, const CellRef& client_code, const CellRef& worker_code);
// state=0 balance=0 stake=0 tokens_used=0 unlock_ts=0 secret_hash=0 proxy_public_key ^(owner proxy root) ^params.
CellRef client_init_data(const Address& owner, const Address& proxy_contract, const Address& root,
                         const PublicKey& proxy_public_key, const CellRef& params_cell);
// state=0 tokens=0 proxy_public_key ^(owner proxy root) ^params.
CellRef worker_init_data(const Address& owner, const Address& proxy_contract, const Address& root,
                         const PublicKey& proxy_public_key, const CellRef& params_cell);

// One network: its root and what the root hands to children.
struct ChrysalisNetwork {
  Address root;
  CellRef params_cell;
  ChildCodes codes;

  StateInit proxy_state_init(const Address& owner, const PublicKey& proxy_public_key) const;
  StateInit client_state_init(const Address& owner, const Address& proxy_contract,
                              const PublicKey& proxy_public_key) const;
  StateInit worker_state_init(const Address& owner, const Address& proxy_contract,
                              const PublicKey& proxy_public_key) const;
  Address proxy_address(const Address& owner, const PublicKey& proxy_public_key) const;
  Address client_address(const Address& owner, const Address& proxy_contract, const PublicKey& proxy_public_key) const;
  Address worker_address(const Address& owner, const Address& proxy_contract, const PublicKey& proxy_public_key) const;
};

}  // namespace chrysalis::ton::contracts
