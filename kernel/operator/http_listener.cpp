// The operator HTTP listener (see http_listener.h).
#include "kernel/operator/http_listener.h"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>

namespace keepdb::ops {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct HttpListener::Shared {
  HttpLimits limits;
  std::map<std::string, Page, std::less<>> pages;
  std::size_t open = 0;  // connections now open
};

namespace {

// One connection: read one request under the limits, write one reply, close.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(tcp::socket socket, std::shared_ptr<HttpListener::Shared> shared)
      : stream_(std::move(socket)),
        shared_(std::move(shared)),
        buffer_(shared_->limits.max_header_bytes + 1) {
    ++shared_->open;
    parser_.header_limit(static_cast<std::uint32_t>(shared_->limits.max_header_bytes));
    parser_.body_limit(0);
  }
  ~Exchange() { --shared_->open; }

  void start() {
    stream_.expires_after(shared_->limits.deadline);
    http::async_read(stream_, buffer_, parser_,
                     [self = shared_from_this()](beast::error_code error, std::size_t) {
                       self->on_read(error);
                     });
  }

 private:
  void on_read(beast::error_code error) {
    if (error == http::error::header_limit || error == http::error::buffer_overflow) {
      reply({431, "text/plain; charset=utf-8", "request header too large\n"});
    } else if (error == beast::error::timeout || error == http::error::end_of_stream ||
               error == asio::error::eof || error == asio::error::connection_reset ||
               error == asio::error::operation_aborted) {
      close();  // too slow, or gone: nothing to answer
    } else if (error) {
      reply({400, "text/plain; charset=utf-8", "malformed request\n"});
    } else {
      reply(answer(parser_.get()));
    }
  }

  HttpResponse answer(const http::request<http::empty_body>& request) const {
    std::string_view target = request.target();
    target = target.substr(0, target.find('?'));
    const auto page = shared_->pages.find(target);
    if (page == shared_->pages.end()) return {404, "text/plain; charset=utf-8", "not found\n"};
    if (request.method() != http::verb::get) {
      return {405, "text/plain; charset=utf-8", "method not allowed: use GET\n"};
    }
    return page->second();
  }

  void reply(HttpResponse response) {
    response_.result(response.status);
    response_.version(11);
    response_.set(http::field::content_type, response.content_type);
    if (response.status == 405) response_.set(http::field::allow, "GET");
    response_.keep_alive(false);
    response_.body() = std::move(response.body);
    response_.prepare_payload();
    http::async_write(stream_, response_,
                      [self = shared_from_this()](beast::error_code, std::size_t) { self->close(); });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  std::shared_ptr<HttpListener::Shared> shared_;
  beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  http::response<http::string_body> response_;
};

}  // namespace

HttpListener::HttpListener(asio::io_context& io, HttpLimits limits)
    : acceptor_(io), shared_(std::make_shared<Shared>()) {
  shared_->limits = limits;
}

HttpListener::~HttpListener() { stop(); }

void HttpListener::add_page(std::string path, Page page) {
  shared_->pages.insert_or_assign(std::move(path), std::move(page));
}

tcp::endpoint HttpListener::listen(const std::string& host, std::uint16_t port) {
  const tcp::endpoint endpoint(asio::ip::make_address(host), port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  accept();
  return acceptor_.local_endpoint();
}

void HttpListener::stop() {
  beast::error_code ignored;
  acceptor_.close(ignored);
}

void HttpListener::accept() {
  acceptor_.async_accept([this](beast::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!error) {
      if (shared_->open >= shared_->limits.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);  // at the limit: refused without a reply
      } else {
        std::make_shared<Exchange>(std::move(socket), shared_)->start();
      }
    }
    accept();
  });
}

}  // namespace keepdb::ops
