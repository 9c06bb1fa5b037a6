// Whole-file reads and writes for the integration tests.
#include "tests/integration/harness/temp_dir.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace keepdb::integration {

namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace keepdb::integration
