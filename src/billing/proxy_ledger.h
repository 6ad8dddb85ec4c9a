#pragma once
// The proxy's books: reservations, charges, worker fees and commission in a signed SQLite ledger,
// a hash-chained state sequence that is committed on chain, rollback/clone detection against the
// on-chain commit, and signed cumulative amounts for committed state only. No network I/O: the
// caller reads the chain and sends what this returns. Thread-safe (one mutex), one process per file.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "billing/ledger_store.h"
#include "billing/pricing.h"
#include "receipts/receipt_proof.h"
#include "ton/cells/cell.h"

namespace chrysalis::billing {

struct LedgerOptions {
  std::filesystem::path file;
  ton::Ed25519Key key;              // the proxy's TEE key: signs rows and payments
  Prices prices;                    // must equal the prices the database was created with
  ton::Address root;                // the network's root contract
  ton::Address proxy_contract;      // this proxy's contract (target of save-state)
  uint64_t receipts_kept = 200000;  // receipt leaves kept for proofs (older committed ones are pruned),
                                    // and at most this many waiting for a commit
};

// Where a receipt stands in the books (GET /receipts/{id}/proof).
struct ReceiptInclusion {
  enum class Status { proven, unknown, waiting, unconfirmed } status = Status::unknown;
  receipts::ReceiptProof proof;  // status proven
  uint64_t commit_seqno = 0;     // unconfirmed: the commit that holds it, not yet seen on chain
  uint64_t chain_seqno = 0;      // the newest commit seen on chain
};

struct ReserveRequest {
  std::string client;  // client contract address (any text form; stored raw)
  std::string worker;  // worker contract address
  uint32_t coefficient = kCoefficientOne;
  uint64_t prompt_tokens = 0;
  uint64_t max_tokens = 0;
};

struct ReservationTicket {
  uint64_t id = 0;
  uint64_t reserved_tokens = 0;
  uint64_t reserved_nano = 0;
};

struct Settlement {
  uint64_t charged_tokens = 0;  // adjusted tokens charged to the client = credited to the worker
  uint64_t charged_nano = 0;
  uint64_t worker_fee_nano = 0;
  uint64_t commission_nano = 0;
  uint64_t released_tokens = 0;  // reservation given back
  bool capped = false;           // usage exceeded what the client could cover; charged only that
  uint64_t seqno = 0;            // the books' state that holds this settlement
};

// Settlements applied to the books whose write is queued (ProxyLedger::settle_batch_queued).
struct QueuedSettlements {
  std::vector<Settlement> settlements;
  uint64_t ticket = 0;  // durable once the written hook has reported this ticket or a later one
};

struct ClientChainState {
  uint64_t balance_nano = 0, stake_nano = 0, tokens_used = 0;
};

// What the proxy contract holds (get_proxy_data: last_seqno, last_session_hash).
struct OnChainCommit {
  uint64_t seqno = 0;
  ton::Hash256 hash{};
};

struct ChainVerdict {
  bool ok = false;
  std::string reason;  // why serving is refused
};

struct CommitRequest {
  uint64_t seqno = 0;
  ton::Hash256 hash{};
  ton::CellRef signed_body;  // signed save-state body for the proxy contract (anyone may relay it)
};

struct SignedAmount {
  uint64_t tokens = 0;       // cumulative adjusted tokens
  ton::CellRef signed_body;  // the message body the client/worker contract accepts
};

class ProxyLedger {
 public:
  // Loads and verifies every row (throws LedgerTampered naming the first bad row), checks the
  // prices, and starts a new session (a random nonce enters the hash chain, so two copies of one
  // database diverge at once). Serving stays refused until verify_against_chain() succeeds.
  static std::unique_ptr<ProxyLedger> open(LedgerOptions options);
  ~ProxyLedger();  // writes what is queued, then closes

  // Compares the last commit the database knows with the chain's. A pending commit that the chain
  // shows is marked committed. Behind (older copy) or diverged (clone, other history) → refused.
  ChainVerdict verify_against_chain(const OnChainCommit& chain);
  bool serving() const;
  std::string refusal() const;

  // Records what the client contract holds (read from chain by the caller).
  void update_client_chain(const std::string& client, const ClientChainState& chain);

  // Worst-case reservation; throws InsufficientFunds (with the missing nanoTON) or LedgerRefused.
  ReservationTicket reserve(const ReserveRequest& request);
  // The prompt's real size is known (the engine tokenized it): holds only `prompt_tokens` of it
  // from now on. Never grows a reservation; an unknown id is ignored.
  void shrink_reservation(uint64_t reservation_id, uint64_t prompt_tokens, uint64_t max_tokens);
  // Charges the real usage (never more than reserved + what the client can still cover), credits
  // the worker, keeps the commission, releases the rest. Unknown id → LedgerError.
  Settlement settle(uint64_t reservation_id, const TokenUsage& usage);
  // Cancelled or failed: charges only the tokens produced (same arithmetic as settle).
  Settlement cancel(uint64_t reservation_id, const TokenUsage& produced);
  // Several settlements (or cancels) in one accounting change and one fsync: what a proxy does with
  // the requests that ended in one turn of its event loop. All or nothing.
  std::vector<Settlement> settle_batch(const std::vector<std::pair<uint64_t, TokenUsage>>& items);
  // The same without waiting for the disk: the books hold it at once, the write is queued (group
  // commit with whatever else is queued). Tell anyone of it only once on_written has reported its
  // ticket. A write that then fails stops the proxy's serving (refusal() says why).
  QueuedSettlements settle_batch_queued(const std::vector<std::pair<uint64_t, TokenUsage>>& items);
  // Called on the books' writer thread with the newest ticket written (see settle_batch_queued).
  void on_written(std::function<void(uint64_t written_through)> hook);
  LedgerWriterStats writer_stats() const;
  // After a restart no request survives: releases every open reservation without charge.
  size_t release_open_reservations();

  // The current (seqno, hash) to send on chain, recorded as pending with every party's counter.
  CommitRequest prepare_commit();
  // The chain shows the commit at `seqno` (must be pending): counters at that seqno become signable.
  void mark_committed(uint64_t seqno);

  // Receipts (proxy_ledger_receipts.cpp): a countersigned receipt's leaf goes into the tree of the
  // next commit; its proof leads to the newest commit seen on chain.
  void record_receipt(const std::string& request_id, const std::string& leaf);
  uint64_t receipts_waiting() const;  // recorded, not yet in a commit (a commit is due)
  ReceiptInclusion receipt_inclusion(const std::string& request_id);
  nlohmann::json receipts_stats() const;

  // Signed cumulative amounts for committed state; nullopt while nothing is committed.
  std::optional<SignedAmount> signed_charge(const std::string& client);
  std::optional<SignedAmount> signed_payout(const std::string& worker);
  // The closing client's final refund: its contract is charged up to everything the books hold
  // for it and pays the rest back to its owner at once. Only once nothing is reserved for it and
  // all it was charged is committed on chain (else nullopt: a later usage would go unpaid).
  std::optional<SignedAmount> signed_final_refund(const std::string& client);
  // Whether signed_final_refund would sign now (no signature made).
  bool final_refund_ready(const std::string& client) const;

  // Reads (copies).
  LedgerState state() const;
  std::optional<ClientAccount> client(const std::string& id) const;
  std::optional<WorkerAccount> worker(const std::string& id) const;
  std::vector<ClientAccount> clients() const;
  std::vector<WorkerAccount> workers() const;
  std::vector<Reservation> reservations() const;
  // nanoTON the client can still reserve.
  uint64_t available_nano(const std::string& client) const;
  const Prices& prices() const { return options_.prices; }

  // Conservation and sanity; empty when everything holds.
  std::vector<std::string> check_invariants() const;

 private:
  explicit ProxyLedger(LedgerOptions options);
  void load();
  void start_session();
  // With the mutex held: signs, hash-chains (when `accounting`; `extra` bytes such as the session
  // nonce enter the chain too), writes in one transaction, then updates memory.
  // `wait` false: the write is queued and memory goes ahead (returns the ticket; 0 when waited).
  uint64_t apply_locked(LedgerWrite change, bool accounting, const std::vector<uint8_t>& extra, bool wait = true);
  void mark_committed_locked(uint64_t seqno);
  // Receipts: the link chain checked against the commit it was absorbed in, and the tree of the
  // waiting leaves for the commit at state_.seqno + 1 (its marker and rows go into `change`).
  void load_receipts();
  std::vector<uint8_t> commit_receipts_locked(LedgerWrite& change);
  void receipts_committed_locked(const ReceiptCommitRow& row, bool pruned);  // after the write
  template <typename Account>
  std::optional<SignedAmount> sign_committed(std::map<std::string, Account>& accounts, const std::string& id,
                                             uint32_t op);
  std::vector<Settlement> finish(const std::vector<std::pair<uint64_t, TokenUsage>>& items,
                                 uint64_t* queued_ticket = nullptr);
  std::string disk_failure() const;
  uint64_t available_nano_locked(const ClientAccount& c) const;

  LedgerOptions options_;
  std::unique_ptr<LedgerStore> store_;
  mutable std::mutex mutex_;
  LedgerState state_;
  std::map<std::string, ClientAccount> clients_;
  std::map<std::string, WorkerAccount> workers_;
  std::map<uint64_t, Reservation> reservations_;
  std::map<uint64_t, PendingCommit> commits_;
  std::vector<CommitSnapshot> snapshots_;
  ton::Hash256 receipts_link_{};
  uint64_t receipts_waiting_ = 0, receipts_stored_ = 0, receipts_recorded_ = 0, receipts_pruned_ = 0,
           receipts_not_recorded_ = 0;
  std::optional<std::string> refusal_ = std::string("not yet verified against the on-chain commit");
  // Set from the writer thread, so under a mutex of its own (mutex_ may be held by a thread that
  // waits for that writer).
  mutable std::mutex hook_mutex_;
  std::string disk_failure_;
  std::function<void(uint64_t)> on_written_;
};

// Normalizes an address text to the raw form used as account id; throws ton::AddressError.
std::string account_id(const std::string& address_text);

}  // namespace chrysalis::billing
