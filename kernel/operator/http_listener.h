// HttpListener: the operator's HTTP/1.1 endpoint (Boost.Beast). It serves the pages it is
// given (GET only) and nothing else, under hard limits: one request per connection (each
// reply says "Connection: close"), a request head of at most `max_header_bytes` (431
// beyond), no request body (400), `deadline` for the whole exchange from accept to the last
// byte written (then the connection is closed), at most `max_connections` at once (more are
// closed at accept). An unknown path is 404, another method on a known path 405, a
// malformed request 400.
//
// Thread-safety: everything runs on the io_context's thread (the node's network thread),
// so pages may read that thread's state without locks. Lifetime: stop() or destruction
// closes the acceptor; connections still open hold the shared state and end by their
// deadline or when the io_context stops.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace keepdb::ops {

struct HttpLimits {
  std::size_t max_header_bytes = 8 << 10;
  std::chrono::milliseconds deadline{5000};
  std::size_t max_connections = 16;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class HttpListener {
 public:
  using Page = std::function<HttpResponse()>;

  explicit HttpListener(boost::asio::io_context& io, HttpLimits limits = {});
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Serves `page` for GET `path` (the query string, if any, is ignored). Before listen().
  void add_page(std::string path, Page page);
  // Binds and starts accepting; returns the bound endpoint (port 0 picks one). Throws
  // boost::system::system_error when the address cannot be bound.
  boost::asio::ip::tcp::endpoint listen(const std::string& host, std::uint16_t port);
  void stop();

  struct Shared;  // the limits, pages and open count, shared with open connections

 private:
  void accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace keepdb::ops
