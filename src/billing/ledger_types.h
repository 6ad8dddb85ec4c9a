#pragma once
// Rows of the proxy's books (ProxyLedger) and the errors it reports. Counters are adjusted tokens
// (what the proxy signs) unless the name says nano (nanoTON).
#include <cstdint>
#include <stdexcept>
#include <string>

#include "ton/cells/address.h"
#include "ton/wallet/ed25519_key.h"

namespace chrysalis::billing {

// One client contract (key: its address, raw form).
struct ClientAccount {
  std::string id;
  uint64_t balance_nano = 0;       // as last read from the client contract
  uint64_t stake_nano = 0;         // as last read from the client contract
  uint64_t chain_tokens_used = 0;  // tokens the contract has already been charged
  uint64_t reserved_tokens = 0;    // held by open reservations
  uint64_t charged_tokens = 0;     // cumulative, live
  uint64_t committed_tokens = 0;   // charged_tokens as of the last state committed on chain (signable)
  uint64_t signed_tokens = 0;      // the largest signed charge handed out
  ton::Signature sig{};
  bool operator==(const ClientAccount&) const = default;
};

// One worker contract (key: its address, raw form).
struct WorkerAccount {
  std::string id;
  uint64_t earned_tokens = 0;     // cumulative, live
  uint64_t committed_tokens = 0;  // earned_tokens as of the last committed state (signable)
  uint64_t signed_tokens = 0;     // the largest signed payout handed out
  ton::Signature sig{};
  bool operator==(const WorkerAccount&) const = default;
};

struct Reservation {
  uint64_t id = 0;
  std::string client;
  std::string worker;
  uint32_t coefficient = 1000;
  uint64_t reserved_tokens = 0;
  ton::Signature sig{};
};

// A state sent (or about to be sent) on chain and not yet seen there, with what each party's
// counter was at that seqno.
struct PendingCommit {
  uint64_t seqno = 0;
  ton::Hash256 hash{};
  ton::Signature sig{};
};
struct CommitSnapshot {
  uint64_t seqno = 0;
  char kind = 'c';  // 'c' client, 'w' worker
  std::string party;
  uint64_t tokens = 0;
  ton::Signature sig{};
};

// A countersigned receipt's leaf (receipts/receipt_proof.h): waiting for a commit (commit_seqno 0)
// or in the tree of the commit at commit_seqno. Unsigned: a changed leaf only fails its own proof.
struct ReceiptLeafRow {
  uint64_t id = 0;  // order of recording
  std::string request_id;
  ton::Hash256 leaf{};
  uint64_t commit_seqno = 0;
};

// What one commit bound into its chain hash: the tree of the receipts recorded since the previous
// commit, chained to that commit's link (so one on-chain state proves every earlier tree).
struct ReceiptCommitRow {
  uint64_t seqno = 0;          // the commit's accounting seqno
  ton::Hash256 prev_hash{};    // chain hash before the commit (its marker is absorbed on top)
  ton::Hash256 prev_link{};    // link of the previous commit (zeros for the first)
  ton::Hash256 root{};         // Merkle root of this commit's leaves
  ton::Hash256 link{};         // receipts_link(prev_link, root, count)
  uint64_t count = 0;          // leaves in the tree
  uint64_t first_leaf = 0, last_leaf = 0;  // leaf ids (count 0: both 0)
};

// The single state row: sequence number, hash chain, totals (they reveal deleted or replayed rows).
struct LedgerState {
  uint64_t seqno = 0;         // +1 per accounting change
  ton::Hash256 chain_hash{};  // SHA-256(previous ‖ seqno ‖ rows written)
  uint64_t last_committed_seqno = 0;
  ton::Hash256 last_committed_hash{};
  uint64_t next_reservation_id = 1;
  uint64_t total_charged_tokens = 0;   // Σ clients.charged_tokens
  uint64_t total_earned_tokens = 0;    // Σ workers.earned_tokens
  uint64_t total_reserved_tokens = 0;  // Σ reservations
  uint64_t commission_nano = 0;        // kept by the proxy
  uint64_t client_count = 0, worker_count = 0, reservation_count = 0, pending_count = 0;
  // Prices the books were opened with (contracts convert with the params they embed).
  uint64_t price_per_token = 0, worker_fee_per_token = 0;
  uint32_t prompt_mult = 0, cached_mult = 0, completion_mult = 0, reasoning_mult = 0;
  ton::Signature sig{};
};

class LedgerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A row whose signature does not verify, or totals that do not match the rows.
class LedgerTampered : public LedgerError {
 public:
  LedgerTampered(std::string row, const std::string& why)
      : LedgerError("ledger row " + row + ": " + why), row_(std::move(row)) {}
  const std::string& row() const { return row_; }

 private:
  std::string row_;
};

// The ledger refuses to serve (not verified against the chain, rolled back, cloned).
class LedgerRefused : public LedgerError {
 public:
  using LedgerError::LedgerError;
};

// A reservation the client's balance + stake cannot cover.
class InsufficientFunds : public LedgerError {
 public:
  InsufficientFunds(uint64_t needed, uint64_t available)
      : LedgerError("insufficient funds: request needs " + std::to_string(needed) + " nanoTON, available " +
                    std::to_string(available) + ", missing " + std::to_string(needed - available) + " nanoTON"),
        needed_nano(needed),
        available_nano(available),
        missing_nano(needed - available) {}
  uint64_t needed_nano, available_nano, missing_nano;
};

}  // namespace chrysalis::billing
