// The chain verifier behind `keepdb-audit verify`: reads audit files in order (oldest
// first: path.N ... path.1 path) and reports the first record that was changed, removed,
// reordered or inserted, a gap in the sequence, a file that ends in a partial record, or
// that everything verifies. Without the rotated files before it, a file is verified from
// its first record on (its `prev` is taken as given).
//
// Thread-safety: a pure function of the files it reads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plugins/audit/record.h"

namespace keepdb::audit {

struct VerifyReport {
  enum class Status {
    kOk,         // every record verifies
    kBroken,     // `problem` names the first record that does not
    kTruncated,  // every whole record verifies; the last file ends in a partial record
  };
  Status status = Status::kOk;
  std::uint64_t records = 0;  // whole records that verified before the problem, if any
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  std::string last_hash;
  std::string problem;  // one line, "FILE:LINE: what"; empty when kOk
};

// Throws std::runtime_error naming the file when one cannot be read.
VerifyReport verify_files(const std::vector<std::string>& files, const ChainHasher& chain);

}  // namespace keepdb::audit
