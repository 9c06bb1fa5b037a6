// Test clients of the operator listener (see operator_client.h).
#include "tests/integration/operator/operator_client.h"

#include <sstream>
#include <stdexcept>

#include "tests/integration/harness/child_process.h"
#include "tests/integration/harness/raw_client.h"

namespace keepdb::integration {

std::string http_exchange(std::uint16_t port, std::string_view request, milliseconds timeout) {
  RawClient client(port);
  if (!request.empty()) client.send(request);
  if (!client.wait_closed(timeout)) throw std::runtime_error("the operator listener did not close");
  return client.buffered();
}

int http_status(std::string_view reply) {
  if (!reply.starts_with("HTTP/1.1 ") || reply.size() < 12) return 0;
  return std::stoi(std::string(reply.substr(9, 3)));
}

std::string http_body(std::string_view reply) {
  const auto end = reply.find("\r\n\r\n");
  return end == std::string_view::npos ? std::string() : std::string(reply.substr(end + 4));
}

std::string http_get(std::uint16_t port, std::string_view path) {
  return http_exchange(port, "GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
}

Samples scrape_metrics(std::uint16_t port) {
  const ProgramResult result = run_program(
      {"/usr/bin/python3",
       std::string(KEEPDB_SOURCE_DIR) + "/tests/testdata/integration/scrape_metrics.py",
       std::to_string(port)});
  if (!result.status.exited_normally(0)) {
    throw std::runtime_error("/metrics did not parse: " + result.err);
  }
  Samples samples;
  std::istringstream lines(result.out);
  std::string line;
  while (std::getline(lines, line)) {
    const auto space = line.rfind(' ');
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

double sample(const Samples& samples, const std::string& key) {
  const auto found = samples.find(key);
  return found == samples.end() ? 0 : found->second;
}

std::string operator_table(std::uint16_t port) {
  return "[operator]\nhost = \"127.0.0.1\"\nport = " + std::to_string(port) + "\n";
}

}  // namespace keepdb::integration
