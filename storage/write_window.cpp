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
  return units_ >= limits_.max_units || bytes_ >= limits_.max_bytes ||
         now - opened_ >= limits_.max_age;
}

void WriteWindow::commit() {
  if (!txn_) return;
  try {
    txn_->commit();  // releases the handle even when it fails
  } catch (...) {
    txn_.reset();
    throw;
  }
  txn_.reset();
}

void WriteWindow::abort() { txn_.reset(); }

}  // namespace keepdb::storage
