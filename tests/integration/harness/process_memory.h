// How much memory a process (a keepd under test) holds: its resident set size now and at
// its peak, for tests that check that abuse leaves the server's memory bounded.
//
// Thread-safety: stateless free functions.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace keepdb::integration {

// Resident set size of process `pid` in KiB (VmRSS in /proc/<pid>/status); 0 if unreadable.
std::size_t resident_kib(pid_t pid);
// The largest resident set size the process has had, in KiB (VmHWM); 0 if unreadable.
// Unlike resident_kib(), it shows memory held for a moment and freed since.
std::size_t peak_resident_kib(pid_t pid);

}  // namespace keepdb::integration
