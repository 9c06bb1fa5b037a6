// Reading a process's resident set sizes from /proc.
#include "tests/integration/harness/process_memory.h"

#include <fstream>
#include <string>
#include <string_view>

namespace keepdb::integration {
namespace {

// The value of a "Field: <n> kB" line of /proc/<pid>/status; 0 if absent or unreadable.
std::size_t status_kib(pid_t pid, std::string_view wanted) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string field;
  std::size_t value = 0;
  while (status >> field) {
    if (field == wanted) {
      status >> value;
      return value;
    }
  }
  return 0;
}

}  // namespace

std::size_t resident_kib(pid_t pid) { return status_kib(pid, "VmRSS:"); }

std::size_t peak_resident_kib(pid_t pid) { return status_kib(pid, "VmHWM:"); }

}  // namespace keepdb::integration
