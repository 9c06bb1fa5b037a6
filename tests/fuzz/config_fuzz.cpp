// libFuzzer target: the configuration loader (input guard + toml++ + schema). Any input
// must end in a Config or a ConfigError, never a crash or a sanitizer report.
#include <cstdint>
#include <string_view>

#include "kernel/config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)keepdb::config::load_string(text, "fuzz.toml");
  } catch (const keepdb::config::ConfigError&) {
  }
  return 0;
}
