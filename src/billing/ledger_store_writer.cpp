// The ledger store's writer thread (ledger_store.h): queued writes in order, as many as are queued
// in one transaction, with one fsync when any of them must be durable (group commit).
#include <algorithm>

#include "billing/ledger_store.h"

namespace chrysalis::billing {

namespace {
constexpr std::size_t kMaxGroup = 1024;  // writes per transaction; the rest go in the next one
}  // namespace

void LedgerStore::set_write_hooks(std::function<void(uint64_t)> written,
                                  std::function<void(const std::string&)> failed) {
  std::lock_guard lock(queue_mutex_);
  on_written_ = std::move(written);
  on_failed_ = std::move(failed);
}

LedgerWriterStats LedgerStore::writer_stats() const {
  std::lock_guard lock(queue_mutex_);
  LedgerWriterStats s = stats_;
  s.queued = queue_.size();
  return s;
}

uint64_t LedgerStore::enqueue(Job job) {
  uint64_t ticket;
  {
    std::lock_guard lock(queue_mutex_);
    ticket = job.ticket = ++next_ticket_;
    queue_.push_back(std::move(job));
  }
  queue_changed_.notify_one();
  return ticket;
}

uint64_t LedgerStore::submit(LedgerWrite change) {
  Job job;
  job.work = std::move(change);
  return enqueue(std::move(job));
}

void LedgerStore::write(const LedgerWrite& change) {
  Job job;
  job.waited = true;
  job.work = change;
  wait(enqueue(std::move(job)));
}

void LedgerStore::wait(uint64_t ticket) {
  std::unique_lock lock(queue_mutex_);
  written_.wait(lock, [&] { return written_through_ >= ticket; });
  if (auto it = failed_.find(ticket); it != failed_.end()) {
    std::string why = std::move(it->second);
    failed_.erase(it);
    throw LedgerError(why);
  }
}

void LedgerStore::drain() {
  std::unique_lock lock(queue_mutex_);
  uint64_t last = next_ticket_;
  written_.wait(lock, [&] { return written_through_ >= last; });
}

void LedgerStore::writer_loop() {
  while (true) {
    std::vector<Job> group;
    {
      std::unique_lock lock(queue_mutex_);
      queue_changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything is written
      while (!queue_.empty() && group.size() < kMaxGroup) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    run_group(group);
  }
}

// One transaction for the whole group; if it fails, each write again in its own, so that one bad
// write does not take the others with it.
void LedgerStore::run_group(std::vector<Job>& group) {
  auto durable = [](const Job& j) {
    const auto* w = std::get_if<LedgerWrite>(&j.work);
    return w && w->durable;
  };
  auto run = [&](Job* begin, Job* end) {
    NonDurable scope(*this, std::none_of(begin, end, durable));
    exec("BEGIN IMMEDIATE");
    try {
      for (Job* j = begin; j != end; ++j) {
        if (const auto* w = std::get_if<LedgerWrite>(&j->work))
          write_rows(*w);
        else
          insert_receipt_row(std::get<ReceiptLeafJob>(j->work));
      }
      exec("COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  };
  std::vector<std::pair<const Job*, std::string>> failures;
  bool any_durable = std::any_of(group.begin(), group.end(), durable);
  {
    std::lock_guard db_lock(db_mutex_);
    try {
      run(group.data(), group.data() + group.size());
    } catch (const std::exception&) {
      for (auto& job : group) {
        try {
          run(&job, &job + 1);
        } catch (const std::exception& e) {
          failures.emplace_back(&job, e.what());
        }
      }
    }
  }
  std::function<void(uint64_t)> written;
  std::function<void(const std::string&)> failed;
  uint64_t through = group.back().ticket;
  {
    std::lock_guard lock(queue_mutex_);
    stats_.writes += group.size();
    stats_.groups++;
    if (any_durable) stats_.durable_groups++;
    stats_.largest_group = std::max<uint64_t>(stats_.largest_group, group.size());
    stats_.failures += failures.size();
    for (auto& [job, why] : failures)
      if (job->waited) failed_[job->ticket] = why;
    written_through_ = through;
    written = on_written_;
    failed = on_failed_;
  }
  written_.notify_all();
  if (failed)
    for (auto& [job, why] : failures)
      if (!job->waited) failed(why);
  if (written) written(through);
}

}  // namespace chrysalis::billing
