// The proxy's receipt book (receipts/receipt_proof.h): leaves recorded as answers are countersigned,
// one Merkle tree per commit chained into the commit's hash, and proofs from a leaf to the newest
// commit seen on chain.
#include "billing/ledger_codec.h"
#include "billing/proxy_ledger.h"
#include "receipts/merkle.h"

namespace chrysalis::billing {
namespace {

std::string raw(const ton::Hash256& h) { return {h.begin(), h.end()}; }

ton::Hash256 hash_of(const std::string& raw32) {
  ton::Hash256 h{};
  std::copy_n(raw32.begin(), std::min<size_t>(raw32.size(), 32), h.begin());
  return h;
}

std::vector<std::string> leaves_of(const std::vector<ReceiptLeafRow>& rows) {
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(raw(r.leaf));
  return out;
}

}  // namespace

void ProxyLedger::load_receipts() {
  std::lock_guard lock(mutex_);
  receipts_stored_ = store_->receipt_count();
  receipts_waiting_ = store_->receipt_count_in(0);
  auto last = store_->last_receipt_commit();
  if (!last) return;
  // The newest tree must be the one its commit absorbed: the commit's hash is signed (a pending
  // commit row, or the state's last committed hash), so a changed row or link shows here.
  std::string name = "receipt_commits[" + std::to_string(last->seqno) + "]";
  if (raw(last->link) != receipts::receipts_link(raw(last->prev_link), raw(last->root), last->count))
    throw LedgerTampered(name, "its link does not follow from its root");
  std::optional<ton::Hash256> absorbed_in;
  if (auto it = commits_.find(last->seqno); it != commits_.end()) absorbed_in = it->second.hash;
  if (last->seqno == state_.last_committed_seqno) absorbed_in = state_.last_committed_hash;
  if (!absorbed_in || chain_next(last->prev_hash, last->seqno, receipts::commit_marker(raw(last->link))) != *absorbed_in)
    throw LedgerTampered(name, "it is not the tree the commit at that seqno absorbed");
  receipts_link_ = last->link;
}

void ProxyLedger::record_receipt(const std::string& request_id, const std::string& leaf) {
  std::lock_guard lock(mutex_);
  // Leaves wait for a commit; while none lands (the chain out of reach) they would pile up without
  // end and all be loaded into the next tree. Past the bound they are counted, not kept.
  if (receipts_waiting_ >= options_.receipts_kept) {
    ++receipts_not_recorded_;
    return;
  }
  store_->append_receipt(request_id, hash_of(leaf));
  ++receipts_waiting_;
  ++receipts_stored_;
  ++receipts_recorded_;
}

uint64_t ProxyLedger::receipts_waiting() const {
  std::lock_guard lock(mutex_);
  return receipts_waiting_;
}

std::vector<uint8_t> ProxyLedger::commit_receipts_locked(LedgerWrite& change) {
  auto waiting = store_->receipt_leaves_in(0);
  std::string root = receipts::merkle_root(leaves_of(waiting));
  std::string link = receipts::receipts_link(raw(receipts_link_), root, waiting.size());
  ReceiptCommitRow row;
  row.seqno = state_.seqno + 1;  // the commit's own accounting change
  row.prev_hash = state_.chain_hash;
  row.prev_link = receipts_link_;
  row.root = hash_of(root);
  row.link = hash_of(link);
  row.count = waiting.size();
  if (!waiting.empty()) row.first_leaf = waiting.front().id, row.last_leaf = waiting.back().id;
  change.receipt_commit = row;
  // Prune in steps of a tenth of the bound, not at every commit.
  if (receipts_stored_ > options_.receipts_kept + options_.receipts_kept / 10)
    change.prune_receipts_below = store_->receipt_id_kept_from(options_.receipts_kept);
  return receipts::commit_marker(link);
}

void ProxyLedger::receipts_committed_locked(const ReceiptCommitRow& row, bool pruned) {
  receipts_link_ = row.link;
  receipts_waiting_ -= std::min(receipts_waiting_, row.count);
  if (pruned) {
    uint64_t before = receipts_stored_;
    receipts_stored_ = store_->receipt_count();
    receipts_pruned_ += before - std::min(before, receipts_stored_);
  }
}

ReceiptInclusion ProxyLedger::receipt_inclusion(const std::string& request_id) {
  std::lock_guard lock(mutex_);
  ReceiptInclusion out;
  out.chain_seqno = state_.last_committed_seqno;
  auto leaf = store_->newest_receipt(request_id);
  if (!leaf) return out;
  if (leaf->commit_seqno == 0) return out.status = ReceiptInclusion::Status::waiting, out;
  out.commit_seqno = leaf->commit_seqno;
  auto top = store_->receipt_commit(state_.last_committed_seqno);
  auto tree = store_->receipt_commit(leaf->commit_seqno);
  if (leaf->commit_seqno > state_.last_committed_seqno || !top || !tree)
    return out.status = ReceiptInclusion::Status::unconfirmed, out;
  auto rows = store_->receipt_leaves_in(leaf->commit_seqno);
  auto leaves = leaves_of(rows);
  auto at = std::find_if(rows.begin(), rows.end(), [&](const ReceiptLeafRow& r) { return r.id == leaf->id; });
  auto& p = out.proof;
  p.request_id = request_id;
  p.leaf = raw(leaf->leaf);
  p.commit_seqno = tree->seqno;
  p.index = static_cast<uint64_t>(at - rows.begin());
  p.count = leaves.size();
  p.path = receipts::merkle_path(leaves, p.index);
  p.root = raw(tree->root);
  p.prev_link = raw(tree->prev_link);
  for (const auto& later : store_->receipt_commits_after(tree->seqno, top->seqno))
    p.later.push_back({later.seqno, raw(later.root), later.count});
  p.chain_seqno = top->seqno;
  p.chain_prev_hash = raw(top->prev_hash);
  p.chain_hash = raw(state_.last_committed_hash);
  p.proxy_contract = options_.proxy_contract.to_raw();
  out.status = ReceiptInclusion::Status::proven;
  return out;
}

nlohmann::json ProxyLedger::receipts_stats() const {
  std::lock_guard lock(mutex_);
  return {{"stored", receipts_stored_},
          {"kept_limit", options_.receipts_kept},
          {"waiting_for_commit", receipts_waiting_},
          {"recorded", receipts_recorded_},
          {"pruned", receipts_pruned_},
          {"not_recorded_waiting_full", receipts_not_recorded_}};
}

}  // namespace chrysalis::billing
