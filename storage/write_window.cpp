// WriteWindow: the open transaction's life and the limits that close it.
#include "storage/write_window.h"

namespace keepdb::storage {

MDB_txn* WriteWindow::begin() {
  if (!txn_) {
    txn_.emplace(env_);
    opened_ = Clock::now();
    units_ = 0;
    bytes_ = 0;
  }
  return txn_->get();
}

MDB_txn* WriteWindow::reader(ReadTxn& snapshot) const {
  if (txn_) return txn_->get();
  snapshot.begin();
  return snapshot.get();
}

bool WriteWindow::due(Clock::time_point now) const {
  if (!txn_) return false;
  return full() || now - opened_ >= limits_.max_age;
}

bool WriteWindow::full() const {
  return units_ >= limits_.max_units || bytes_ >= limits_.max_bytes;
}

void WriteWindow::commit() {
  if (!txn_) return;
  const Clock::time_point started = Clock::now();
  const CommitCause cause = started - opened_ >= limits_.max_age ? CommitCause::kAge
                            : full()                             ? CommitCause::kSize
                                                                 : CommitCause::kRequested;
  ++commits_[static_cast<std::size_t>(cause)];
  // Closed and timed however the commit ends.
  struct Close {
    WriteWindow& window;
    Clock::time_point started;
    ~Close() {
      window.txn_.reset();
      window.commit_latency_.observe(Clock::now() - started);
    }
  } close{*this, started};
  txn_->commit();  // releases the handle even when it fails
}

void WriteWindow::abort() { txn_.reset(); }

}  // namespace keepdb::storage
