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

// How far a process of this build may grow for a growth bound of `bound_kib` KiB: a
// sanitizer's runtime keeps memory of its own beside the program's. ASan holds freed blocks
// in its quarantine (256 MiB by default) until it recycles them; TSan keeps shadow memory for
// every page the program touches, which about doubles the growth a test sees (the client
// memory budget test: 70-82 MiB under TSan, 36-42 MiB under ASan).
constexpr std::size_t sanitized_growth_kib(std::size_t bound_kib) {
#if defined(__SANITIZE_ADDRESS__)
  return bound_kib + (256u << 10);
#elif defined(__SANITIZE_THREAD__)
  return bound_kib * 3;
#else
  return bound_kib;
#endif
}

}  // namespace keepdb::integration
