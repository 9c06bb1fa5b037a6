// Test clients of the operator listener: one raw HTTP exchange over a socket (to send
// malformed, oversized and slow requests), and a /metrics scrape through the Prometheus
// client library's parser (tests/testdata/integration/scrape_metrics.py).
//
// Thread-safety: stateless functions; each opens its own connection or child process.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "tests/integration/harness/deadline.h"

namespace keepdb::integration {

// Sends `request` and reads until the server closes; returns everything it sent back.
// Throws std::runtime_error when the server does not close within `timeout`.
std::string http_exchange(std::uint16_t port, std::string_view request,
                          milliseconds timeout = kReplyTimeout);
// The status code of an HTTP reply's status line; 0 when there is none.
int http_status(std::string_view reply);
// The body of an HTTP reply (after the blank line).
std::string http_body(std::string_view reply);
// GET `path` as a well-formed HTTP/1.1 request.
std::string http_get(std::uint16_t port, std::string_view path);

// Every sample of the node's /metrics as parsed by prometheus_client, keyed by
// `name{label="value",...}` (labels sorted; `{}` without labels). Fails the test (throws)
// when the page does not parse.
using Samples = std::map<std::string, double>;
Samples scrape_metrics(std::uint16_t port);
// The sample `key` of `samples`, 0 when absent.
double sample(const Samples& samples, const std::string& key);
// How far samples moved between two scrapes: moved(key) is after's value less before's.
struct SampleDelta {
  const Samples& before;
  const Samples& after;
  double operator()(const std::string& key) const {
    return sample(after, key) - sample(before, key);
  }
};

// The config table that turns the operator listener on at `port`.
std::string operator_table(std::uint16_t port);

}  // namespace keepdb::integration
