// The harness's input parsers and its four drivers, one per kind (plugin_harness.h).
#include "kernel/cli/plugin_harness.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <future>
#include <iterator>
#include <span>

#include "kernel/commands/audit.h"
#include "kernel/plugin_host/admission_chain.h"
#include "kernel/plugin_host/audit_queue.h"
#include "kernel/plugin_host/pending_auth.h"
#include "kernel/plugin_host/plugin_authenticator.h"
#include "kernel/plugin_host/plugin_transport.h"

namespace keepdb::cli::harness {
namespace {

using plugin_host::AuthStep;

constexpr std::size_t kShownBytes = 256;
// The most bytes one transport step moves in each direction (a session that never stops
// producing output is reported instead of looping).
constexpr std::size_t kMaxStepOutput = 1 << 20;

std::string decision_name(AuthStep::Decision decision) {
  switch (decision) {
    case AuthStep::Decision::kAccept:
      return "accept";
    case AuthStep::Decision::kReject:
      return "reject";
    case AuthStep::Decision::kDefer:
      return "defer";
    case AuthStep::Decision::kFail:
      return "fail";
  }
  return "fail";
}

// "read,write"; "none" without roles.
std::string role_names(std::uint32_t roles) {
  std::string names;
  const std::pair<std::uint32_t, const char*> known[] = {
      {KDB_ROLE_READ, "read"}, {KDB_ROLE_WRITE, "write"}, {KDB_ROLE_ADMIN, "admin"}};
  for (const auto& [bit, name] : known) {
    if ((roles & bit) != 0) names += (names.empty() ? "" : ",") + std::string(name);
  }
  return names.empty() ? "none" : names;
}

// "[user:]secret" as the request the kernel builds for AUTH; the secret is wiped with it.
plugin_host::AuthRequest auth_request(const std::string& given, const Connection& conn) {
  plugin_host::AuthRequest request;
  const std::size_t colon = given.find(':');
  const std::string_view text(given);
  if (colon != std::string::npos) request.username = given.substr(0, colon);
  request.secret =
      kdb::sdk::SecretBytes(colon == std::string::npos ? text : text.substr(colon + 1));
  request.conn_id = 1;
  request.peer_addr = conn.peer_addr;
  request.peer_port = conn.peer_port;
  request.local_port = conn.local_port;
  return request;
}

// `text` with \n \r \t \0 \\ and \xNN decoded; nullopt on a malformed escape.
std::optional<std::string> unescape(std::string_view text) {
  std::string bytes;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      bytes += text[i];
      continue;
    }
    if (++i == text.size()) return std::nullopt;
    switch (text[i]) {
      case 'n':
        bytes += '\n';
        break;
      case 'r':
        bytes += '\r';
        break;
      case 't':
        bytes += '\t';
        break;
      case '0':
        bytes += '\0';
        break;
      case '\\':
        bytes += '\\';
        break;
      case 'x': {
        unsigned value = 0;
        const char* first = text.data() + i + 1;
        if (text.size() - i - 1 < 2) return std::nullopt;
        const auto [end, error] = std::from_chars(first, first + 2, value, 16);
        if (error != std::errc() || end != first + 2) return std::nullopt;
        bytes += static_cast<char>(value);
        i += 2;
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return bytes;
}

std::string state_names(std::uint32_t bits) {
  std::string names;
  const std::pair<std::uint32_t, const char*> known[] = {
      {util::kWantInput, "want-input"},       {util::kHasOutput, "has-output"},
      {util::kHasPlaintext, "has-plaintext"}, {util::kEstablished, "established"},
      {util::kClosed, "closed"}};
  for (const auto& [bit, name] : known) {
    if ((bits & bit) != 0) names += (names.empty() ? "" : ",") + std::string(name);
  }
  return names.empty() ? "none" : names;
}

// Drains what the session has for the socket and for the application, as the kernel does
// after every call; false when the session failed or would not stop producing.
bool pump(util::TransportSession& session, std::string& to_peer, std::string& plaintext) {
  std::array<std::uint8_t, 16384> buffer{};
  for (auto* sink : {&to_peer, &plaintext}) {
    while (sink->size() < kMaxStepOutput) {
      std::size_t n = 0;
      const bool ok = sink == &to_peer ? session.pull(buffer, n) : session.read(buffer, n);
      if (!ok) return false;
      if (n == 0) break;
      sink->append(reinterpret_cast<const char*>(buffer.data()), n);
    }
  }
  return true;
}

// Offers all of `bytes` through `offer` (feed or write), pumping between offers; false when
// the session failed or took nothing while it still had input to take.
template <typename Offer>
bool offer_all(util::TransportSession& session, std::string_view bytes, std::string& to_peer,
               std::string& plaintext, std::size_t& taken, Offer&& offer) {
  taken = 0;
  do {
    std::size_t consumed = 0;
    const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data()) + taken;
    if (!offer(std::span<const std::uint8_t>(data, bytes.size() - taken), consumed)) return false;
    taken += consumed;
    if (!pump(session, to_peer, plaintext)) return false;
    if (consumed == 0) break;  // wants something else first (the handshake, more input)
  } while (taken < bytes.size());
  return true;
}

}  // namespace

std::string shown(std::string_view bytes) {
  std::string text = "\"";
  for (const char c : bytes.substr(0, kShownBytes)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == '\\' || byte == '"') {
      text += '\\';
      text += c;
    } else if (byte >= 0x20 && byte < 0x7f) {
      text += c;
    } else {
      constexpr char kHex[] = "0123456789abcdef";
      text += "\\x";
      text += kHex[byte >> 4];
      text += kHex[byte & 0xf];
    }
  }
  text += '"';
  if (bytes.size() > kShownBytes) text += "...";
  return text;
}

AuthStep ask(plugin_host::Authenticator& authenticator, const plugin_host::AuthRequest& request,
             std::chrono::milliseconds deadline) {
  auto answer = std::make_shared<std::promise<AuthStep>>();
  std::future<AuthStep> step = answer->get_future();
  const std::uint64_t ticket = plugin_host::pending_auths().open_ticket();
  authenticator.authenticate(request, ticket,
                             [answer](AuthStep done) { answer->set_value(std::move(done)); });
  const bool answered = step.wait_for(deadline) == std::future_status::ready;
  plugin_host::pending_auths().forget(ticket);
  if (answered) return step.get();
  return AuthStep{AuthStep::Decision::kFail,
                  {},
                  "no answer within the deadline (" + std::to_string(deadline.count()) + " ms)"};
}

std::optional<AdmitInput> parse_admit(const std::string& text) {
  const std::size_t colon = text.find(':');
  const std::string event = text.substr(0, colon);
  const std::string argument = colon == std::string::npos ? "" : text.substr(colon + 1);
  const std::pair<const char*, std::uint32_t> events[] = {
      {"connect", KDB_ADM_CONNECT},       {"command", KDB_ADM_COMMAND},
      {"auth_ok", KDB_ADM_AUTH_OK},       {"auth_fail", KDB_ADM_AUTH_FAIL},
      {"disconnect", KDB_ADM_DISCONNECT}, {"tick", 0}};
  for (const auto& [name, number] : events) {
    if (event != name) continue;
    const bool takes_argument = number == KDB_ADM_COMMAND || number == KDB_ADM_AUTH_OK;
    if (takes_argument == argument.empty()) return std::nullopt;
    return AdmitInput{number, argument, std::nullopt};
  }
  return std::nullopt;
}

std::optional<RecordInput> parse_record(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (parts.size() < 3) {  // the detail, last, may hold ':' itself
    const std::size_t colon = text.find(':', start);
    if (colon == std::string::npos) break;
    parts.push_back(text.substr(start, colon - start));
    start = colon + 1;
  }
  parts.push_back(text.substr(start));
  RecordInput record;
  const std::string& kind = parts[0];
  for (std::uint32_t type = 1; record.type == 0; ++type) {
    const auto name = commands::audit_kind_name(static_cast<commands::AuditKind>(type));
    if (name == "unknown") break;  // past the last kind
    if (name == kind || std::to_string(type) == kind) record.type = type;
  }
  if (record.type == 0) return std::nullopt;
  record.action = parts.size() > 1
                      ? parts[1]
                      : std::string(commands::audit_kind_name(
                            static_cast<commands::AuditKind>(record.type)));
  record.outcome = parts.size() > 2 ? parts[2] : "ok";
  record.detail = parts.size() > 3 ? parts[3] : "";
  return record;
}

std::optional<TransportStep> parse_transport_step(const std::string& text, std::string& error) {
  const std::size_t colon = text.find(':');
  const std::string verb = text.substr(0, colon);
  const std::string argument = colon == std::string::npos ? "" : text.substr(colon + 1);
  TransportStep step;
  step.shown = text;
  if (verb == "close" && colon == std::string::npos) {
    step.kind = TransportStep::Kind::kClose;
    return step;
  }
  if (verb == "feed-file" && !argument.empty()) {
    std::ifstream file(argument, std::ios::binary);
    if (!file) {
      error = "cannot read " + argument;
      return std::nullopt;
    }
    step.bytes.assign(std::istreambuf_iterator<char>(file), {});
    step.shown = "feed-file:" + argument;
    return step;
  }
  if ((verb == "feed" || verb == "send") && colon != std::string::npos) {
    const auto bytes = unescape(argument);
    if (!bytes) {
      error = "'" + text + "' has a malformed escape (\\n \\r \\t \\0 \\\\ \\xNN)";
      return std::nullopt;
    }
    step.kind = verb == "feed" ? TransportStep::Kind::kFeed : TransportStep::Kind::kSend;
    step.bytes = *bytes;
    return step;
  }
  error = "'" + text + "' is not feed:BYTES, feed-file:PATH, send:BYTES or close";
  return std::nullopt;
}

bool drive_auth(const Instance& instance, const std::vector<AuthInput>& inputs,
                std::chrono::milliseconds deadline, const Connection& conn, std::ostream& out) {
  plugin_host::PluginAuthenticator authenticator(instance);
  bool all_match = true;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const AuthStep step = ask(authenticator, auth_request(inputs[i].given, conn), deadline);
    out << "auth " << i + 1 << ": " << decision_name(step.decision);
    if (step.decision == AuthStep::Decision::kAccept) {
      out << " principal " << step.principal.name << " roles "
          << role_names(step.principal.roles);
      if (step.principal.expires_unix_s != 0) out << " expires " << step.principal.expires_unix_s;
    } else {
      out << ": " << step.reason;
    }
    const auto& expected = inputs[i].expected;
    const bool matches =
        expected ? step.decision == *expected : step.decision != AuthStep::Decision::kFail;
    if (expected && !matches) out << " (expected " << decision_name(*expected) << ")";
    out << "\n";
    all_match = all_match && matches;
  }
  return all_match;
}

bool drive_admission(const Instance& instance, const std::vector<AdmitInput>& inputs,
                     const Connection& conn, plugin_host::LogSink& log, std::ostream& out) {
  const plugin_host::AdmissionChain chain({instance}, log);
  bool all_match = true;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const AdmitInput& input = inputs[i];
    out << "admit " << i + 1 << ": ";
    if (input.event == 0) {
      chain.tick(static_cast<std::uint64_t>(
          std::chrono::steady_clock::now().time_since_epoch() / std::chrono::nanoseconds(1)));
      out << "tick\n";
      continue;
    }
    plugin_host::AdmissionQuery query;
    query.event = input.event;
    query.conn_id = 1;
    query.peer_addr = conn.peer_addr;
    query.peer_port = conn.peer_port;
    query.local_port = conn.local_port;
    query.principal = input.event == KDB_ADM_AUTH_OK ? input.argument : conn.principal;
    if (input.event == KDB_ADM_COMMAND) {
      query.command = input.argument;
      query.request_bytes = 16 + input.argument.size();
    }
    const plugin_host::AdmissionVerdict verdict = chain.check(query);
    bool matches = verdict.failure.empty();
    if (!verdict.failure.empty()) {
      out << "fail: " << verdict.failure;
    } else if (verdict.admitted) {
      out << "admitted";
    } else {
      out << "denied";
      if (!verdict.reason.empty()) out << " (" << verdict.reason << ")";
      if (verdict.retry_after_ms != 0) out << ", retry in " << verdict.retry_after_ms << " ms";
    }
    if (input.expect_admitted && verdict.failure.empty()) {
      matches = verdict.admitted == *input.expect_admitted;
    }
    if (input.expect_admitted && !matches) {
      out << " (expected " << (*input.expect_admitted ? "admitted" : "denied") << ")";
    }
    out << "\n";
    all_match = all_match && matches;
  }
  return all_match;
}

bool drive_audit(const Instance& instance, const std::vector<RecordInput>& inputs,
                 const Connection& conn, std::ostream& out) {
  bool all_ok = true;
  const auto report = [&](const std::string& what, const std::string& failure) {
    out << what << ": " << (failure.empty() ? "ok" : "fail: " + instance->label() + " " + failure)
        << "\n";
    all_ok = all_ok && failure.empty();
  };
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const RecordInput& input = inputs[i];
    const plugin_host::AuditRecord record{
        input.type,
        static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch() /
                                   std::chrono::nanoseconds(1)),
        1,
        conn.peer_addr + ":" + std::to_string(conn.peer_port),
        conn.principal,
        input.action,
        input.outcome,
        input.detail};
    report("record " + std::to_string(i + 1), plugin_host::record_to(*instance, record));
  }
  report("flush", plugin_host::flush_to(*instance));
  return all_ok;
}

bool drive_transport(const Instance& instance, const std::vector<TransportStep>& steps,
                     const Connection& conn, std::ostream& out) {
  plugin_host::PluginTransport transport(instance);
  std::string error;
  util::TransportPeer peer;
  peer.conn_id = 1;
  peer.peer_addr = conn.peer_addr;
  peer.peer_port = conn.peer_port;
  peer.local_port = conn.local_port;
  const auto session = transport.open(peer, error);
  if (!session) {
    out << "transport: fail: " << error << "\n";
    return false;
  }
  out << "transport: session open, state " << state_names(session->state()) << "\n";
  bool established = false;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const TransportStep& step = steps[i];
    std::string to_peer;
    std::string plaintext;
    std::size_t taken = 0;
    bool ok = true;
    if (step.kind == TransportStep::Kind::kClose) {
      session->close_notify();
      ok = session->error().empty() && pump(*session, to_peer, plaintext);
    } else {
      const bool feed = step.kind == TransportStep::Kind::kFeed;
      ok = offer_all(*session, step.bytes, to_peer, plaintext, taken,
                     [&](std::span<const std::uint8_t> in, std::size_t& consumed) {
                       return feed ? session->feed(in, consumed) : session->write(in, consumed);
                     });
    }
    out << "transport " << i + 1 << ": " << step.shown.substr(0, step.shown.find(':'));
    if (step.kind != TransportStep::Kind::kClose) {
      out << " " << step.bytes.size() << " bytes, took " << taken;
    }
    if (!ok) {
      out << ": fail: " << session->error() << "\n";
      return false;
    }
    out << "; to peer " << to_peer.size() << " bytes " << shown(to_peer) << "; plaintext "
        << plaintext.size() << " bytes " << shown(plaintext) << "; state "
        << state_names(session->state()) << "\n";
    if (!established && (session->state() & util::kEstablished) != 0) {
      established = true;
      const util::PeerIdentity* peer = session->identity();
      out << "transport: established, peer "
          << (peer == nullptr ? std::string("none")
                              : (peer->verified ? "verified " : "unverified ") +
                                    shown(peer->display_name()))
          << "\n";
    }
  }
  return true;
}

void RecordingLog::write(plugin_host::LogLevel level, std::string_view line) noexcept {
  plugin_host::stderr_log_sink().write(level, line);
  try {
    const std::lock_guard lock(mutex_);
    lines_.emplace_back(line);
  } catch (...) {  // out of memory: the line still reached stderr
  }
}

bool RecordingLog::contains(std::string_view text) const {
  const std::lock_guard lock(mutex_);
  return std::any_of(lines_.begin(), lines_.end(),
                     [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

}  // namespace keepdb::cli::harness
