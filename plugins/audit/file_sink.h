// The JSON Lines file sink: one sealed record per line (record.h) appended to `path`, files
// created 0600, fsync by policy (every record, a background sync at most `interval` after a
// write, or never), and size-based rotation (path -> path.1 -> ... -> path.keep, the oldest
// dropped) that carries the chain on: a new file's first record names the last hash of the
// file before it. At start the sink resumes the chain from the last whole record of `path`
// (or of path.1 when path is empty); a partial last line left by a crash is cut off first.
//
// Under interval_ms and none, record() appends the sealed line to a buffer of whole records
// and the sink writes the buffer with one write() at flush() (the host calls it whenever its
// queue runs empty, so once per batch), before a record that would take it past 64 KiB or
// need a rotation, and at destruction. Under every_record each record is written and synced
// before record() returns. A buffered record is lost if the process dies before its write,
// like a record still in the host's queue.
//
// A record that cannot be written (disk full, file size limit, I/O error, a failed fsync
// under every_record) makes record() return false and leaves the file as it was before
// (the partial bytes are cut off, now or before the next write); the sequence number is not
// used up, so the host may retry the same record. The sink recovers by itself when a write
// succeeds again, and logs the start and the end of each outage once. A buffer that cannot
// be written is kept: flush() returns false, and so does every record() until the buffer
// is written (then the record goes in after it). The destructor drops (and logs) a buffer
// whose last write failed: a reload may already have started a new instance on the file
// from its last hash, which later writes from this one would break.
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
  bool append(std::string_view bytes);  // whole records
  bool write_pending();
  void recovered();
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
  std::uint64_t failed_ = 0;  // failed writes in the current outage
  std::string line_;          // the record being sealed (reused)
  std::string next_hash_;     // its hash (reused)
  std::string pending_;       // sealed records not yet written (interval_ms, none)

  mutable std::mutex mutex_;  // guards fd_ and dirty_ against the syncer
  int fd_ = -1;
  bool dirty_ = false;  // written since the last sync
  bool stopping_ = false;
  std::condition_variable wake_;
  std::thread syncer_;  // fsync = interval_ms only
};

}  // namespace keepdb::audit
