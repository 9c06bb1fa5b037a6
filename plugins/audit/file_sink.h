// The JSON Lines file sink: one sealed record per line (record.h) appended to `path`, files
// created 0600, fsync by policy (every record, a background sync at most `interval` after a
// write, or never), and size-based rotation (path -> path.1 -> ... -> path.keep, the oldest
// dropped) that carries the chain on: a new file's first record names the last hash of the
// file before it. At start the sink resumes the chain from the last whole record of `path`
// (or of path.1 when path is empty); a partial last line left by a crash is cut off first.
//
// A record that cannot be written (disk full, file size limit, I/O error, a failed fsync
// under every_record) makes record() return false and leaves the file as it was before
// (the partial bytes are cut off, now or before the next write); the sequence number is not
// used up, so the host may retry the same record. The sink recovers by itself when a write
// succeeds again, and logs the start and the end of each outage once.
//
// Thread-safety: record() and flush() from one thread at a time; the interval syncer is the
// sink's own thread, stopped and joined by the destructor. Ownership: owns its descriptor.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "plugins/audit/record.h"
#include "plugins/audit/settings.h"
#include "plugins/audit/sink.h"

namespace keepdb::audit {

class FileSink final : public Sink {
 public:
  // Opens `settings.path` and resumes its chain. Throws std::invalid_argument with a
  // one-line reason when the file cannot be opened or its last record is not a sealed one.
  FileSink(const Settings& settings, Logger log);
  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  bool record(const kdb_audit_event& event) override;
  bool flush() override;

  std::uint64_t last_seq() const { return seq_; }
  const std::string& last_hash() const { return hash_; }

 private:
  bool open_current();
  bool rotate();
  bool append(std::string_view line);
  void fail(std::string_view what, int error);
  void sync_loop();
  void sync_dir() const;

  const std::string path_;
  const FsyncPolicy fsync_;
  const std::chrono::milliseconds interval_;
  const std::uint64_t max_bytes_;
  const unsigned keep_;
  const RecordEncoder encoder_;
  const ChainHasher chain_;
  const Logger log_;

  std::uint64_t seq_ = 0;     // of the last record written
  std::string hash_;          // of the last record written
  std::uint64_t size_ = 0;    // bytes of whole records in the current file
  bool cut_pending_ = false;  // a failed write left bytes past size_ to cut off
  std::uint64_t failed_ = 0;  // records refused in the current outage

  mutable std::mutex mutex_;  // guards fd_ and dirty_ against the syncer
  int fd_ = -1;
  bool dirty_ = false;  // written since the last sync
  bool stopping_ = false;
  std::condition_variable wake_;
  std::thread syncer_;  // fsync = interval_ms only
};

}  // namespace keepdb::audit
