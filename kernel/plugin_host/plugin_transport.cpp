// Transport sessions through the C ABI, each call checked.
#include "kernel/plugin_host/plugin_transport.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "kernel/plugin_host/abi_guard.h"

namespace keepdb::plugin_host {
namespace {

std::string text_of(kdb_str text) {
  return text.len == 0 ? std::string() : printable(std::string_view(text.ptr, text.len));
}

std::vector<std::string> copy_all(const kdb_str* texts, std::size_t n) {
  std::vector<std::string> out;
  if (texts == nullptr) return out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(text_of(texts[i]));
  return out;
}

class PluginSession final : public util::TransportSession {
 public:
  PluginSession(std::shared_ptr<const PluginInstance> instance, kdb_tls_session* session)
      : instance_(std::move(instance)),
        table_(*instance_->descriptor().transport),
        session_(session),
        error_buffer_(kMaxPluginMessage) {}
  ~PluginSession() override {
    std::string ignored;
    call_guarded(
        [&] {
          table_.session_free(session_);
          return KDB_OK;
        },
        ignored);
  }
  PluginSession(const PluginSession&) = delete;
  PluginSession& operator=(const PluginSession&) = delete;

  bool feed(std::span<const std::uint8_t> in, std::size_t& consumed) override {
    if (!usable()) return false;
    consumed = 0;
    kdb_outbuf error = error_buffer_.outbuf();
    std::string failure;
    const kdb_status status = call_guarded(
        [&] { return table_.feed_ciphertext(session_, {in.data(), in.size()}, &consumed, &error); },
        failure);
    if (!checked("feed_ciphertext", status, failure, consumed, in.size())) return false;
    if (status == KDB_OK) return true;
    const BufferBreach breach = error_buffer_.inspect(error);
    if (breach == BufferBreach::kWrotePastCap) {
      instance_->disable();
      return fail("feed_ciphertext " + std::string(breach_text(breach)) +
                  " lent for its error; plugin disabled");
    }
    const auto text = error_buffer_.read(error);
    return fail(text && !text->empty() ? printable(*text)
                                       : "feed_ciphertext failed with " + status_name(status));
  }

  bool pull(std::span<std::uint8_t> out, std::size_t& written) override {
    return transfer("pull_ciphertext", out.size(), written, [&] {
      return table_.pull_ciphertext(session_, out.data(), out.size(), &written);
    });
  }

  bool read(std::span<std::uint8_t> out, std::size_t& read) override {
    return transfer("read_plaintext", out.size(), read, [&] {
      return table_.read_plaintext(session_, out.data(), out.size(), &read);
    });
  }

  bool write(std::span<const std::uint8_t> in, std::size_t& consumed) override {
    return transfer("write_plaintext", in.size(), consumed, [&] {
      return table_.write_plaintext(session_, {in.data(), in.size()}, &consumed);
    });
  }

  std::uint32_t state() const override {
    if (!error_.empty()) return util::kClosed;
    std::string failure;
    std::uint32_t bits = 0;
    call_guarded(
        [&] {
          bits = table_.state(session_);
          return KDB_OK;
        },
        failure);
    return failure.empty() ? bits : util::kClosed;
  }

  void close_notify() override {
    if (!usable()) return;
    std::string failure;
    call_guarded(
        [&] {
          table_.close_notify(session_);
          return KDB_OK;
        },
        failure);
    if (!failure.empty()) fail("close_notify " + failure);
  }

  const util::PeerIdentity* identity() override {
    if (identity_) return &*identity_;
    if (!usable() || (state() & util::kEstablished) == 0) return nullptr;
    const kdb_peer_identity* peer = nullptr;
    std::string failure;
    call_guarded(
        [&] {
          peer = table_.peer_identity(session_);
          return KDB_OK;
        },
        failure);
    if (!failure.empty()) {
      fail("peer_identity " + failure);
      return nullptr;
    }
    if (peer == nullptr) return nullptr;
    if (peer->struct_size < KDB_SIZE_THROUGH(kdb_peer_identity, sni)) {
      fail("peer_identity returned a struct_size of " + std::to_string(peer->struct_size));
      return nullptr;
    }
    util::PeerIdentity copied;
    copied.verified = peer->verified == 1;
    copied.subject_dn = text_of(peer->subject_dn);
    copied.common_name = text_of(peer->common_name);
    copied.dns_sans = copy_all(peer->dns_sans, peer->n_dns_sans);
    copied.uri_sans = copy_all(peer->uri_sans, peer->n_uri_sans);
    copied.tls_version = text_of(peer->tls_version);
    copied.cipher = text_of(peer->cipher);
    std::memcpy(copied.sha256.data(), peer->sha256, copied.sha256.size());
    identity_ = std::move(copied);
    return &*identity_;
  }

  const std::string& error() const override { return error_; }

 private:
  bool usable() {
    if (!error_.empty()) return false;
    if (instance_->disabled()) {
      return fail("is disabled: it wrote past the end of a host buffer earlier");
    }
    return true;
  }

  bool fail(std::string why) {
    if (error_.empty()) error_ = instance_->label() + ": " + std::move(why);
    return false;
  }

  // The status must be known and `count` may not exceed `limit` (the bytes the call was
  // offered or lent): "pull_ciphertext reported 70000 bytes, more than the 65536 it was given".
  bool checked(std::string_view call, kdb_status status, const std::string& failure,
               std::size_t count, std::size_t limit) {
    if (!failure.empty()) return fail(std::string(call) + " " + failure);
    if (!is_known_status(status)) return fail(std::string(call) + " returned " + status_name(status));
    if (count > limit) {
      return fail(std::string(call) + " reported " + std::to_string(count) +
                  " bytes, more than the " + std::to_string(limit) + " it was given");
    }
    return true;
  }

  template <typename Call>
  bool transfer(std::string_view name, std::size_t limit, std::size_t& count, Call&& call) {
    if (!usable()) return false;
    count = 0;
    std::string failure;
    const kdb_status status = call_guarded(call, failure);
    if (!checked(name, status, failure, count, limit)) return false;
    if (status == KDB_OK) return true;
    if (status == KDB_E_TLS) {
      // The session failed: an empty feed returns its reason (plugin.h call sequence).
      std::size_t ignored = 0;
      if (!feed({}, ignored)) return false;
    }
    return fail(std::string(name) + " failed with " + status_name(status));
  }

  std::shared_ptr<const PluginInstance> instance_;
  const kdb_transport_v1& table_;
  kdb_tls_session* session_;
  HostBuffer error_buffer_;
  std::string error_;
  std::optional<util::PeerIdentity> identity_;
};

}  // namespace

PluginTransport::PluginTransport(std::shared_ptr<const PluginInstance> instance)
    : name_(instance->name()), label_(instance->label()), instance_(std::move(instance)) {}

void PluginTransport::replace(std::shared_ptr<const PluginInstance> instance) {
  const std::lock_guard lock(mutex_);
  instance_ = std::move(instance);
}

std::unique_ptr<util::TransportSession> PluginTransport::open(const util::TransportPeer& peer,
                                                              std::string& error) {
  std::shared_ptr<const PluginInstance> instance;
  {
    const std::lock_guard lock(mutex_);
    instance = instance_;
  }
  if (instance->disabled()) {
    error = label() + ": is disabled: it wrote past the end of a host buffer earlier";
    return nullptr;
  }
  const kdb_conn_info conn{sizeof(kdb_conn_info),
                           peer.conn_id,
                           {peer.peer_addr.data(), peer.peer_addr.size()},
                           peer.peer_port,
                           peer.local_port,
                           nullptr,
                           peer.dialed ? std::uint8_t{1} : std::uint8_t{0},
                           {peer.server_name.data(), peer.server_name.size()}};
  HostBuffer error_buffer(kMaxPluginMessage);
  kdb_outbuf message = error_buffer.outbuf();
  kdb_tls_session* session = nullptr;
  std::string failure;
  const kdb_status status = call_guarded(
      [&] {
        return instance->descriptor().transport->session_new(instance->handle(), &conn, 0,
                                                              &session, &message);
      },
      failure);
  if (status == KDB_OK && failure.empty() && session != nullptr) {
    return std::make_unique<PluginSession>(instance, session);
  }
  if (!failure.empty()) {
    error = label() + ": session_new " + failure;
  } else if (!is_known_status(status)) {
    error = label() + ": session_new returned " + status_name(status);
  } else if (status == KDB_OK) {
    error = label() + ": session_new returned KDB_OK without a session";
  } else {
    const auto text = error_buffer.read(message);
    error = label() + ": session_new failed with " + status_name(status) +
            (text && !text->empty() ? ": " + printable(*text) : std::string());
  }
  return nullptr;
}

}  // namespace keepdb::plugin_host
