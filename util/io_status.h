// IoStatus: the outcome of one consensus I/O operation (log storage, peer transport, frame
// decoding): a libraft error code plus the message RaftIo copies into raft_io.errmsg.
//
// Thread-safety: a plain value type.
#pragma once

#include <string>
#include <utility>

namespace keepdb::util {

struct IoStatus {
  int code = 0;         // 0 on success, otherwise a RAFT_* code (RAFT_IOERR, RAFT_CORRUPT, ...)
  std::string message;  // empty on success

  static IoStatus success() { return {}; }
  static IoStatus failure(int code, std::string message) { return {code, std::move(message)}; }
  bool ok() const { return code == 0; }
};

}  // namespace keepdb::util
