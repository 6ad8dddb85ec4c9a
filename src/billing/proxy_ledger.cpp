#include "billing/proxy_ledger.h"

#include <openssl/rand.h>

#include <algorithm>
#include <set>

#include "billing/ledger_codec.h"
#include "ton/cells/encoding.h"
#include "ton/contracts/chrysalis_contracts.h"
#include "ton/contracts/contract_signed.h"

namespace chrysalis::billing {

namespace ops = ton::contracts::op;

namespace {

void append(Bytes& out, const Bytes& more) { out.insert(out.end(), more.begin(), more.end()); }

std::string hex_short(const ton::Hash256& h) { return ton::to_hex(h).substr(0, 16) + "..."; }

uint64_t random_query_id() {
  uint64_t q = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&q), sizeof q);
  return q;
}

}  // namespace

std::string account_id(const std::string& address_text) { return ton::Address::parse(address_text).to_raw(); }

ProxyLedger::ProxyLedger(LedgerOptions options) : options_(std::move(options)) {}

// The store first: its writer thread may still call the hooks, which use members declared later.
ProxyLedger::~ProxyLedger() { store_.reset(); }

std::unique_ptr<ProxyLedger> ProxyLedger::open(LedgerOptions options) {
  options.prices.validate();
  std::unique_ptr<ProxyLedger> ledger(new ProxyLedger(std::move(options)));
  ledger->store_ = std::make_unique<LedgerStore>(ledger->options_.file);
  ProxyLedger* self = ledger.get();
  ledger->store_->set_write_hooks(
      [self](uint64_t through) {
        std::function<void(uint64_t)> hook;
        {
          std::lock_guard lock(self->hook_mutex_);
          hook = self->on_written_;
        }
        if (hook) hook(through);
      },
      [self](const std::string& error) {
        // Memory already holds what the disk refused: serve nothing more until a restart reloads
        // the books from what the disk does hold.
        std::lock_guard lock(self->hook_mutex_);
        if (self->disk_failure_.empty()) self->disk_failure_ = "the books could not be written: " + error;
      });
  ledger->load();
  ledger->load_receipts();
  ledger->start_session();
  return ledger;
}

void ProxyLedger::load() {
  LedgerRows rows = store_->load();
  const auto& key = options_.key.public_key();
  const Prices& p = options_.prices;
  if (!rows.state) {
    // A new database: the prices it is opened with become part of the signed state.
    state_ = LedgerState{};
    state_.price_per_token = p.price_per_token;
    state_.worker_fee_per_token = p.worker_fee_per_token;
    state_.prompt_mult = p.prompt_mult;
    state_.cached_mult = p.cached_mult;
    state_.completion_mult = p.completion_mult;
    state_.reasoning_mult = p.reasoning_mult;
    if (!rows.clients.empty() || !rows.workers.empty() || !rows.reservations.empty())
      throw LedgerTampered("state", "missing while other rows exist");
    return;
  }
  verify_row(*rows.state, key);
  state_ = *rows.state;
  Prices stored{state_.price_per_token, state_.worker_fee_per_token, state_.prompt_mult,
                state_.cached_mult,     state_.completion_mult,      state_.reasoning_mult};
  if (!(stored == p))
    throw LedgerError("the books were opened with other prices (" + std::to_string(stored.price_per_token) + "/" +
                      std::to_string(stored.worker_fee_per_token) + " nanoTON per token) than the network's now (" +
                      std::to_string(p.price_per_token) + "/" + std::to_string(p.worker_fee_per_token) +
                      "): settle and redeploy before serving at the new prices");
  uint64_t charged = 0, earned = 0, reserved = 0;
  std::map<std::string, uint64_t> reserved_by_client;
  for (auto& c : rows.clients) {
    verify_row(c, key);
    charged = checked_add(charged, c.charged_tokens);
    clients_[c.id] = c;
  }
  for (auto& w : rows.workers) {
    verify_row(w, key);
    earned = checked_add(earned, w.earned_tokens);
    workers_[w.id] = w;
  }
  for (auto& r : rows.reservations) {
    verify_row(r, key);
    reserved = checked_add(reserved, r.reserved_tokens);
    reserved_by_client[r.client] += r.reserved_tokens;
    reservations_[r.id] = r;
  }
  for (auto& c : rows.commits) {
    verify_row(c, key);
    commits_[c.seqno] = c;
  }
  for (auto& s : rows.snapshots) {
    verify_row(s, key);
    snapshots_.push_back(s);
  }
  // The signed totals reveal rows deleted, duplicated or restored from another copy.
  auto mismatch = [](const char* what, uint64_t rows_value, uint64_t state_value) {
    return LedgerTampered("state", std::string(what) + " of the rows is " + std::to_string(rows_value) +
                                       ", the signed state says " + std::to_string(state_value));
  };
  if (charged != state_.total_charged_tokens) throw mismatch("charged tokens", charged, state_.total_charged_tokens);
  if (earned != state_.total_earned_tokens) throw mismatch("earned tokens", earned, state_.total_earned_tokens);
  if (reserved != state_.total_reserved_tokens)
    throw mismatch("reserved tokens", reserved, state_.total_reserved_tokens);
  if (rows.clients.size() != state_.client_count)
    throw mismatch("client count", rows.clients.size(), state_.client_count);
  if (rows.workers.size() != state_.worker_count)
    throw mismatch("worker count", rows.workers.size(), state_.worker_count);
  if (rows.reservations.size() != state_.reservation_count)
    throw mismatch("reservation count", rows.reservations.size(), state_.reservation_count);
  if (rows.commits.size() != state_.pending_count)
    throw mismatch("pending commits", rows.commits.size(), state_.pending_count);
  for (auto& [id, c] : clients_)
    if (c.reserved_tokens != reserved_by_client[id])
      throw LedgerTampered(row_name(c), "reserved tokens do not match its reservations");
}

void ProxyLedger::start_session() {
  std::lock_guard lock(mutex_);
  // A fresh random nonce enters the chain: two processes started from one database (a clone)
  // produce different hashes from here on, which the on-chain commit exposes.
  Bytes nonce(32);
  RAND_bytes(nonce.data(), static_cast<int>(nonce.size()));
  LedgerWrite change;
  change.state = state_;
  apply_locked(std::move(change), true, nonce);
}

uint64_t ProxyLedger::apply_locked(LedgerWrite change, bool accounting, const Bytes& extra, bool wait) {
  const auto& key = options_.key;
  if (accounting) {
    Bytes absorbed = extra;
    for (auto& c : change.clients) append(absorbed, encode_row(c));
    for (auto& w : change.workers) append(absorbed, encode_row(w));
    for (auto& r : change.reservations) append(absorbed, encode_row(r));
    for (auto id : change.deleted_reservations) absorbed.push_back(static_cast<uint8_t>(id & 0xff));
    change.state.seqno = state_.seqno + 1;
    change.state.chain_hash = chain_next(state_.chain_hash, change.state.seqno, absorbed);
  }
  for (auto& c : change.clients) sign_row(c, key);
  for (auto& w : change.workers) sign_row(w, key);
  for (auto& r : change.reservations) sign_row(r, key);
  for (auto& c : change.commits) sign_row(c, key);
  for (auto& s : change.snapshots) sign_row(s, key);
  sign_row(change.state, key);
  uint64_t ticket = 0;
  if (wait)
    store_->write(change);  // on failure (LedgerError) memory stays as it was
  else
    ticket = store_->submit(change);  // memory goes ahead; a failure stops serving (disk_failure_)
  state_ = change.state;
  for (auto& c : change.clients) clients_[c.id] = c;
  for (auto& w : change.workers) workers_[w.id] = w;
  for (auto& r : change.reservations) reservations_[r.id] = r;
  for (auto id : change.deleted_reservations) reservations_.erase(id);
  if (change.delete_commits_up_to) {
    uint64_t upto = *change.delete_commits_up_to;
    for (auto it = commits_.begin(); it != commits_.end() && it->first <= upto;) it = commits_.erase(it);
    std::erase_if(snapshots_, [&](const CommitSnapshot& s) { return s.seqno <= upto; });
  }
  for (auto& c : change.commits) commits_[c.seqno] = c;
  for (auto& s : change.snapshots) snapshots_.push_back(s);
  return ticket;
}

ChainVerdict ProxyLedger::verify_against_chain(const OnChainCommit& chain) {
  std::lock_guard lock(mutex_);
  auto refuse = [&](std::string why) {
    refusal_ = why;
    return ChainVerdict{false, why};
  };
  if (auto it = commits_.find(chain.seqno); chain.seqno != 0 && it != commits_.end()) {
    if (it->second.hash != chain.hash)
      return refuse("the proxy contract holds commit " + std::to_string(chain.seqno) + " with hash " +
                    hex_short(chain.hash) + ", this database sent " + hex_short(it->second.hash) +
                    " for it: another copy of this database is running (cloned)");
    mark_committed_locked(chain.seqno);
  } else if (chain.seqno == state_.last_committed_seqno) {
    if (chain.hash != state_.last_committed_hash)
      return refuse("the proxy contract's commit " + std::to_string(chain.seqno) + " has hash " +
                    hex_short(chain.hash) + ", this database committed " + hex_short(state_.last_committed_hash) +
                    ": diverged history");
  } else if (chain.seqno > state_.last_committed_seqno) {
    return refuse("the proxy contract holds commit " + std::to_string(chain.seqno) +
                  " but this database knows only up to " + std::to_string(state_.last_committed_seqno) +
                  ": an older copy of the database was restored");
  } else {
    return refuse("the proxy contract holds commit " + std::to_string(chain.seqno) + ", older than this database's " +
                  std::to_string(state_.last_committed_seqno) +
                  ": the chain view is stale or the contract was replaced");
  }
  refusal_.reset();
  return {true, ""};
}

bool ProxyLedger::serving() const {
  std::lock_guard lock(mutex_);
  return !refusal_ && disk_failure().empty();
}

std::string ProxyLedger::refusal() const {
  std::lock_guard lock(mutex_);
  if (auto failure = disk_failure(); !failure.empty()) return failure;
  return refusal_.value_or("");
}

std::string ProxyLedger::disk_failure() const {
  std::lock_guard lock(hook_mutex_);
  return disk_failure_;
}

void ProxyLedger::on_written(std::function<void(uint64_t)> hook) {
  std::lock_guard lock(hook_mutex_);
  on_written_ = std::move(hook);
}

LedgerWriterStats ProxyLedger::writer_stats() const { return store_->writer_stats(); }

void ProxyLedger::update_client_chain(const std::string& client, const ClientChainState& chain) {
  std::lock_guard lock(mutex_);
  ClientAccount c = clients_.count(client) ? clients_[client] : ClientAccount{client};
  LedgerWrite change;
  change.state = state_;
  if (!clients_.count(client)) change.state.client_count++;
  c.balance_nano = chain.balance_nano;
  c.stake_nano = chain.stake_nano;
  c.chain_tokens_used = chain.tokens_used;
  change.clients.push_back(c);
  apply_locked(std::move(change), true, {});
}

uint64_t ProxyLedger::available_nano_locked(const ClientAccount& c) const {
  // The stake caps what may be owed without being charged on chain (reference-system.md §5.2).
  uint64_t cap = std::min(c.balance_nano, c.stake_nano);
  uint64_t uncharged = c.charged_tokens > c.chain_tokens_used ? c.charged_tokens - c.chain_tokens_used : 0;
  uint64_t owed = client_cost_nano(checked_add(uncharged, c.reserved_tokens), options_.prices);
  return owed >= cap ? 0 : cap - owed;
}

uint64_t ProxyLedger::available_nano(const std::string& client) const {
  std::lock_guard lock(mutex_);
  auto it = clients_.find(client);
  return it == clients_.end() ? 0 : available_nano_locked(it->second);
}

ReservationTicket ProxyLedger::reserve(const ReserveRequest& request) {
  std::lock_guard lock(mutex_);
  if (refusal_) throw LedgerRefused("the proxy is not serving: " + *refusal_);
  if (auto failure = disk_failure(); !failure.empty()) throw LedgerRefused("the proxy is not serving: " + failure);
  uint64_t tokens = reservation_tokens(request.prompt_tokens, request.max_tokens, request.coefficient, options_.prices);
  uint64_t nano = client_cost_nano(tokens, options_.prices);
  auto cit = clients_.find(request.client);
  uint64_t available = cit == clients_.end() ? 0 : available_nano_locked(cit->second);
  if (nano > available) throw InsufficientFunds(nano, available);
  ClientAccount c = cit->second;
  c.reserved_tokens = checked_add(c.reserved_tokens, tokens);
  Reservation r{state_.next_reservation_id, request.client, request.worker, request.coefficient, tokens, {}};
  LedgerWrite change;
  change.state = state_;
  change.state.next_reservation_id++;
  change.state.total_reserved_tokens = checked_add(change.state.total_reserved_tokens, tokens);
  change.state.reservation_count++;
  change.clients.push_back(c);
  change.reservations.push_back(r);
  change.durable = false;  // a hold: every open reservation is released after a restart anyway
  apply_locked(std::move(change), true, {}, false);  // queued: the I/O thread does not wait
  return {r.id, tokens, nano};
}

void ProxyLedger::shrink_reservation(uint64_t reservation_id, uint64_t prompt_tokens, uint64_t max_tokens) {
  std::lock_guard lock(mutex_);
  auto rit = reservations_.find(reservation_id);
  if (rit == reservations_.end()) return;
  Reservation r = rit->second;
  uint64_t tokens = reservation_tokens(prompt_tokens, max_tokens, r.coefficient, options_.prices);
  if (tokens >= r.reserved_tokens) return;
  uint64_t freed = r.reserved_tokens - tokens;
  ClientAccount c = clients_.at(r.client);
  c.reserved_tokens -= freed;
  r.reserved_tokens = tokens;
  LedgerWrite change;
  change.state = state_;
  change.state.total_reserved_tokens -= freed;
  change.clients.push_back(c);
  change.reservations.push_back(r);
  change.durable = false;  // a hold, as in reserve()
  apply_locked(std::move(change), true, {}, false);
}

Settlement ProxyLedger::settle(uint64_t reservation_id, const TokenUsage& usage) {
  return finish({{reservation_id, usage}}).front();
}
Settlement ProxyLedger::cancel(uint64_t reservation_id, const TokenUsage& produced) {
  return finish({{reservation_id, produced}}).front();
}
std::vector<Settlement> ProxyLedger::settle_batch(const std::vector<std::pair<uint64_t, TokenUsage>>& items) {
  return finish(items);
}

QueuedSettlements ProxyLedger::settle_batch_queued(const std::vector<std::pair<uint64_t, TokenUsage>>& items) {
  QueuedSettlements out;
  out.settlements = finish(items, &out.ticket);
  return out;
}

std::vector<Settlement> ProxyLedger::finish(const std::vector<std::pair<uint64_t, TokenUsage>>& items,
                                            uint64_t* queued_ticket) {
  std::lock_guard lock(mutex_);
  // Every settlement of the batch in one accounting change and one durable transaction; parties
  // settled twice in it see their own earlier settlement.
  std::map<std::string, ClientAccount> cl;
  std::map<std::string, WorkerAccount> wk;
  std::set<uint64_t> done;
  LedgerWrite change;
  change.state = state_;
  std::vector<Settlement> out;
  for (auto& [reservation_id, usage] : items) {
    auto rit = reservations_.find(reservation_id);
    if (rit == reservations_.end() || done.count(reservation_id))
      throw LedgerError("no open reservation " + std::to_string(reservation_id));
    done.insert(reservation_id);
    const Reservation& r = rit->second;
    ClientAccount& c = cl.try_emplace(r.client, clients_.at(r.client)).first->second;
    // Never more than was held: a worker's report cannot charge beyond the reservation.
    uint64_t used = std::min(adjusted_tokens(usage, r.coefficient, options_.prices), r.reserved_tokens);
    // With the reservation released, charge what was used up to what the client can still cover.
    c.reserved_tokens -= r.reserved_tokens;
    uint64_t room = available_nano_locked(c) / options_.prices.price_per_token;
    Settlement st;
    st.charged_tokens = std::min(used, room);
    st.capped = st.charged_tokens < used;
    st.charged_nano = client_cost_nano(st.charged_tokens, options_.prices);
    st.worker_fee_nano = worker_fee_nano(st.charged_tokens, options_.prices);
    st.commission_nano = commission_nano(st.charged_tokens, options_.prices);
    st.released_tokens = r.reserved_tokens > st.charged_tokens ? r.reserved_tokens - st.charged_tokens : 0;
    c.charged_tokens = checked_add(c.charged_tokens, st.charged_tokens);
    auto [wit, inserted] =
        wk.try_emplace(r.worker, workers_.count(r.worker) ? workers_[r.worker] : WorkerAccount{r.worker});
    if (inserted && !workers_.count(r.worker)) change.state.worker_count++;
    wit->second.earned_tokens = checked_add(wit->second.earned_tokens, st.charged_tokens);
    change.state.total_reserved_tokens -= r.reserved_tokens;
    change.state.reservation_count--;
    change.state.total_charged_tokens = checked_add(change.state.total_charged_tokens, st.charged_tokens);
    change.state.total_earned_tokens = checked_add(change.state.total_earned_tokens, st.charged_tokens);
    change.state.commission_nano = checked_add(change.state.commission_nano, st.commission_nano);
    change.deleted_reservations.push_back(reservation_id);
    out.push_back(st);
  }
  for (auto& [id, c] : cl) change.clients.push_back(c);
  for (auto& [id, w] : wk) change.workers.push_back(w);
  uint64_t ticket = apply_locked(std::move(change), true, {}, queued_ticket == nullptr);
  if (queued_ticket) *queued_ticket = ticket;
  for (auto& st : out) st.seqno = state_.seqno;
  return out;
}

size_t ProxyLedger::release_open_reservations() {
  std::lock_guard lock(mutex_);
  if (reservations_.empty()) return 0;
  LedgerWrite change;
  change.state = state_;
  std::map<std::string, ClientAccount> touched;
  for (auto& [id, r] : reservations_) {
    auto& c = touched.try_emplace(r.client, clients_.at(r.client)).first->second;
    c.reserved_tokens -= r.reserved_tokens;
    change.deleted_reservations.push_back(id);
  }
  size_t n = reservations_.size();
  change.state.total_reserved_tokens = 0;
  change.state.reservation_count = 0;
  for (auto& [id, c] : touched) change.clients.push_back(c);
  apply_locked(std::move(change), true, {});
  return n;
}

CommitRequest ProxyLedger::prepare_commit() {
  std::lock_guard lock(mutex_);
  // A commit is an accounting change of its own, so every commit has a new, larger seqno.
  // It binds the tree of the receipts recorded since the last commit (receipts/receipt_proof.h).
  LedgerWrite change;
  change.state = state_;
  auto marker = commit_receipts_locked(change);
  ReceiptCommitRow receipts = *change.receipt_commit;
  bool pruned = change.prune_receipts_below.has_value();
  apply_locked(std::move(change), true, marker);
  receipts_committed_locked(receipts, pruned);
  LedgerWrite record;
  record.state = state_;
  record.state.pending_count++;
  PendingCommit pc{state_.seqno, state_.chain_hash, {}};
  record.commits.push_back(pc);
  // Only parties whose counter moved since their last commit or pending snapshot: a commit costs
  // what changed, not the size of the books.
  std::map<std::pair<char, std::string>, uint64_t> pending;
  for (auto& snap : snapshots_) {
    auto& v = pending[{snap.kind, snap.party}];
    v = std::max(v, snap.tokens);
  }
  auto moved = [&](char kind, const std::string& id, uint64_t now, uint64_t committed) {
    auto it = pending.find({kind, id});
    return now != (it == pending.end() ? committed : std::max(it->second, committed));
  };
  for (auto& [id, c] : clients_)
    if (moved('c', id, c.charged_tokens, c.committed_tokens))
      record.snapshots.push_back({pc.seqno, 'c', id, c.charged_tokens, {}});
  for (auto& [id, w] : workers_)
    if (moved('w', id, w.earned_tokens, w.committed_tokens))
      record.snapshots.push_back({pc.seqno, 'w', id, w.earned_tokens, {}});
  apply_locked(std::move(record), false, {});
  ton::contracts::SignedPayload payload{ops::kProxySaveState, options_.proxy_contract, options_.root, pc.seqno,
                                        pc.hash};
  return {pc.seqno, pc.hash, ton::contracts::make_signed_body(payload, random_query_id(), options_.key)};
}

void ProxyLedger::mark_committed(uint64_t seqno) {
  std::lock_guard lock(mutex_);
  mark_committed_locked(seqno);
}

void ProxyLedger::mark_committed_locked(uint64_t seqno) {
  auto it = commits_.find(seqno);
  if (it == commits_.end()) throw LedgerError("commit " + std::to_string(seqno) + " is not pending");
  LedgerWrite change;
  change.state = state_;
  change.state.last_committed_seqno = seqno;
  change.state.last_committed_hash = it->second.hash;
  uint64_t dropped = 0;
  for (auto& [s, pc] : commits_)
    if (s <= seqno) ++dropped;
  change.state.pending_count -= dropped;
  change.delete_commits_up_to = seqno;
  // Counters as they stood at that seqno become signable: the latest snapshot of each party at or
  // before it (earlier pending commits the chain skipped are contained in this one).
  std::map<std::string, ClientAccount> cl;
  std::map<std::string, WorkerAccount> wk;
  for (auto& snap : snapshots_) {
    if (snap.seqno > seqno) continue;
    if (snap.kind == 'c' && clients_.count(snap.party)) {
      auto& c = cl.try_emplace(snap.party, clients_[snap.party]).first->second;
      c.committed_tokens = std::max(c.committed_tokens, snap.tokens);
    } else if (snap.kind == 'w' && workers_.count(snap.party)) {
      auto& w = wk.try_emplace(snap.party, workers_[snap.party]).first->second;
      w.committed_tokens = std::max(w.committed_tokens, snap.tokens);
    }
  }
  for (auto& [id, c] : cl) change.clients.push_back(c);
  for (auto& [id, w] : wk) change.workers.push_back(w);
  apply_locked(std::move(change), false, {});
}

// The signed cumulative amount of one party (client or worker row) for committed state; the
// row remembers the largest amount handed out.
template <typename Account>
std::optional<SignedAmount> ProxyLedger::sign_committed(std::map<std::string, Account>& accounts, const std::string& id,
                                                        uint32_t op) {
  auto it = accounts.find(id);
  if (it == accounts.end() || it->second.committed_tokens == 0) return std::nullopt;
  Account a = it->second;
  ton::contracts::SignedPayload payload{op, ton::Address::parse(id), options_.root, a.committed_tokens, {}};
  SignedAmount out{a.committed_tokens, ton::contracts::make_signed_body(payload, random_query_id(), options_.key)};
  if (a.signed_tokens < a.committed_tokens) {
    a.signed_tokens = a.committed_tokens;
    LedgerWrite change;
    change.state = state_;
    if constexpr (std::is_same_v<Account, ClientAccount>)
      change.clients.push_back(a);
    else
      change.workers.push_back(a);
    apply_locked(std::move(change), false, {});
  }
  return out;
}

std::optional<SignedAmount> ProxyLedger::signed_charge(const std::string& client) {
  std::lock_guard lock(mutex_);
  return sign_committed(clients_, client, ops::kClientCharge);
}

bool ProxyLedger::final_refund_ready(const std::string& client) const {
  std::lock_guard lock(mutex_);
  auto it = clients_.find(client);
  return it == clients_.end() ||
         (it->second.reserved_tokens == 0 && it->second.charged_tokens == it->second.committed_tokens);
}

std::optional<SignedAmount> ProxyLedger::signed_final_refund(const std::string& client) {
  if (!final_refund_ready(client)) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = clients_.find(client);
  uint64_t tokens = it == clients_.end() ? 0 : it->second.committed_tokens;
  ton::contracts::SignedPayload payload{ops::kClientRefund, ton::Address::parse(client), options_.root, tokens, {}};
  return SignedAmount{tokens, ton::contracts::make_signed_body(payload, random_query_id(), options_.key)};
}

std::optional<SignedAmount> ProxyLedger::signed_payout(const std::string& worker) {
  std::lock_guard lock(mutex_);
  return sign_committed(workers_, worker, ops::kWorkerPayout);
}

LedgerState ProxyLedger::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::optional<ClientAccount> ProxyLedger::client(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = clients_.find(id);
  return it == clients_.end() ? std::nullopt : std::optional(it->second);
}

std::optional<WorkerAccount> ProxyLedger::worker(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = workers_.find(id);
  return it == workers_.end() ? std::nullopt : std::optional(it->second);
}

std::vector<ClientAccount> ProxyLedger::clients() const {
  std::lock_guard lock(mutex_);
  std::vector<ClientAccount> out;
  for (auto& [id, c] : clients_) out.push_back(c);
  return out;
}

std::vector<WorkerAccount> ProxyLedger::workers() const {
  std::lock_guard lock(mutex_);
  std::vector<WorkerAccount> out;
  for (auto& [id, w] : workers_) out.push_back(w);
  return out;
}

std::vector<Reservation> ProxyLedger::reservations() const {
  std::lock_guard lock(mutex_);
  std::vector<Reservation> out;
  for (auto& [id, r] : reservations_) out.push_back(r);
  return out;
}

std::vector<std::string> ProxyLedger::check_invariants() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> bad;
  uint64_t charged = 0, earned = 0, reserved = 0;
  for (auto& [id, c] : clients_) {
    charged += c.charged_tokens;
    if (c.committed_tokens > c.charged_tokens) bad.push_back(id + ": committed above charged");
    if (c.signed_tokens > c.committed_tokens) bad.push_back(id + ": signed above committed");
  }
  for (auto& [id, w] : workers_) {
    earned += w.earned_tokens;
    if (w.committed_tokens > w.earned_tokens) bad.push_back(id + ": committed above earned");
    if (w.signed_tokens > w.committed_tokens) bad.push_back(id + ": signed above committed");
  }
  for (auto& [id, r] : reservations_) reserved += r.reserved_tokens;
  if (charged != state_.total_charged_tokens) bad.push_back("sum of client charges differs from the total");
  if (earned != state_.total_earned_tokens) bad.push_back("sum of worker earnings differs from the total");
  if (charged != earned) bad.push_back("charged to clients differs from credited to workers");
  if (reserved != state_.total_reserved_tokens) bad.push_back("sum of reservations differs from the total");
  if (state_.commission_nano != commission_nano(charged, options_.prices))
    bad.push_back("commission differs from charged x (price - worker fee)");
  return bad;
}

}  // namespace chrysalis::billing
