// The connection command family: PING ECHO HELLO QUIT SELECT RESET AUTH (CLIENT is in
// client_commands.cpp).
#include <optional>
#include <string>

#include "kernel/commands/command_families.h"
#include "kernel/commands/errors.h"
#include "kernel/commands/number.h"
#include "util/version.h"

namespace keepdb::commands {
namespace {

void exec_ping(ExecContext& c) {
  if (auto error = arity_error("ping", -1, c.args.size(), 2)) {
    c.out.error(*error);
  } else if (c.args.size() == 2) {
    c.out.bulk(c.args[1]);
  } else {
    c.out.simple("PONG");
  }
}

void exec_echo(ExecContext& c) { c.out.bulk(c.args[1]); }

void exec_quit(ExecContext& c) {
  c.out.simple("OK");
  c.session.close_after_reply = true;
}

void exec_select(ExecContext& c) {
  std::string_view error;
  const auto index = select_index(c.args[1], c.node.config().storage.databases, error);
  if (!index) {
    c.out.error(error);
  } else {
    c.session.db = *index;
    c.out.simple("OK");
  }
}

// RESET: as Redis, the connection's state back to a new connection's (no transaction or
// WATCHed keys, database 0, RESP2, no name, READWRITE). Unlike Redis it keeps the
// authenticated principal: a plugin's credentials are not re-checked by a RESET.
void exec_reset(ExecContext& c) {
  c.session.transaction = TransactionState{};
  c.session.db = 0;
  c.session.protocol = resp::Protocol::kResp2;
  c.session.name.clear();
  c.session.local_reads = false;
  c.out.simple("RESET");
}

constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";

// Asks the configured authenticators; the reply and the session change happen when they
// answer. `on_accept` writes the success reply.
void verify_then(ExecContext& c, std::string username, kdb::sdk::SecretBytes secret,
                 std::function<void(resp::ReplyWriter&, Session&)> on_accept) {
  Resume resume = c.defer();
  c.node.auth()->verify(c.session, std::move(username), std::move(secret),
                        [resume, on_accept = std::move(on_accept)](AuthResult result) {
                          resume([result = std::move(result), on_accept](resp::ReplyWriter& out,
                                                                         Session& session) {
                            if (!result.accepted) {
                              out.error(kWrongPass);
                              return;
                            }
                            session.authenticated = true;
                            session.principal = result.principal;
                            session.roles = result.roles;
                            session.expires_unix_s = result.expires_unix_s;
                            on_accept(out, session);
                          });
                        });
}

// AUTH [username] secret. Without an authenticator configured, KeepDB behaves like Redis
// with no password: the one-argument form is an error, and the default user accepts any
// password.
void exec_auth(ExecContext& c) {
  if (c.args.size() > 3) {
    c.out.error(errors::kSyntax);
    return;
  }
  if (c.node.auth() != nullptr) {
    std::string username = c.args.size() == 3 ? std::string(c.args[1]) : std::string();
    verify_then(c, std::move(username), kdb::sdk::SecretBytes(c.args.back()),
                [](resp::ReplyWriter& out, Session&) { out.simple("OK"); });
  } else if (c.args.size() == 2) {
    c.out.error(
        "ERR AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?");
  } else if (c.args[1] != "default") {
    c.out.error(kWrongPass);
  } else {
    c.out.simple("OK");
  }
}

// What HELLO changes once it succeeds (kept apart from the credentials, which are moved to
// the authenticators).
struct HelloSwitch {
  resp::Protocol protocol = resp::Protocol::kResp2;
  std::optional<std::string> name;
};

struct HelloRequest {
  HelloSwitch switch_to;
  bool authenticate = false;
  std::string username;
  kdb::sdk::SecretBytes secret;
};

void write_hello_reply(resp::ReplyWriter& out, const Session& session) {
  out.map(7);
  out.bulk("server");
  out.bulk("keepdb");
  out.bulk("version");
  out.bulk(kRedisCompatVersion);
  out.bulk("proto");
  out.integer(static_cast<int>(session.protocol));
  out.bulk("id");
  out.integer(static_cast<std::int64_t>(session.id));
  out.bulk("mode");
  out.bulk("standalone");
  out.bulk("role");
  out.bulk("master");
  out.bulk("modules");
  out.array(0);
}

// Switches protocol and name, then replies in the new protocol.
void complete_hello(const HelloSwitch& request, resp::ReplyWriter& out, Session& session) {
  session.protocol = request.protocol;
  if (request.name) session.name = *request.name;
  resp::ReplyWriter switched(out.buffer(), session.protocol);
  write_hello_reply(switched, session);
}

// Parses HELLO [protover [AUTH username password] [SETNAME clientname]]; on error writes
// the reply and returns nullopt.
std::optional<HelloRequest> parse_hello(ExecContext& c) {
  HelloRequest request;
  request.switch_to.protocol = c.session.protocol;
  if (c.args.size() >= 2) {
    const auto version = parse_int64(c.args[1]);
    if (!version) {
      c.out.error("ERR Protocol version is not an integer or out of range");
      return std::nullopt;
    }
    if (*version != 2 && *version != 3) {
      c.out.error("NOPROTO unsupported protocol version");
      return std::nullopt;
    }
    request.switch_to.protocol =
        *version == 3 ? resp::Protocol::kResp3 : resp::Protocol::kResp2;
  }
  for (std::size_t i = 2; i < c.args.size(); ++i) {
    const std::size_t remaining = c.args.size() - i - 1;
    if (equals_ignore_case(c.args[i], "auth") && remaining >= 2) {
      request.authenticate = true;
      request.username = c.args[i + 1];
      request.secret = kdb::sdk::SecretBytes(c.args[i + 2]);
      i += 2;
    } else if (equals_ignore_case(c.args[i], "setname") && remaining >= 1) {
      request.switch_to.name = std::string(c.args[++i]);
      if (!valid_client_name(*request.switch_to.name)) {
        c.out.error("ERR Client names cannot contain spaces, newlines or special characters.");
        return std::nullopt;
      }
    } else {
      c.out.error("ERR Syntax error in HELLO option '" + std::string(c.args[i]) + "'");
      return std::nullopt;
    }
  }
  return request;
}

void exec_hello(ExecContext& c) {
  auto request = parse_hello(c);
  if (!request) return;
  if (request->authenticate && c.node.auth() != nullptr) {
    verify_then(c, std::move(request->username), std::move(request->secret),
                [switch_to = std::move(request->switch_to)](resp::ReplyWriter& out,
                                                            Session& session) {
                  complete_hello(switch_to, out, session);
                });
    return;
  }
  if (request->authenticate && request->username != "default") {
    c.out.error(kWrongPass);
    return;
  }
  if (!c.session.authenticated) {
    c.out.error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
    return;
  }
  complete_hello(request->switch_to, c.out, c.session);
}

constexpr CommandSpec kConnectionCommands[] = {
    keyless_command("connection", "ping", -1, Access::kAnyone, "1.0.0",
                    "Returns the server's liveliness response.", exec_ping),
    keyless_command("connection", "echo", 2, Access::kAnyone, "1.0.0", "Returns the given string.",
                    exec_echo),
    allowed_before_auth(keyless_command("connection", "quit", -1, Access::kAnyone, "1.0.0",
                                        "Closes the connection.", exec_quit)),
    keyless_command("connection", "select", 2, Access::kAnyone, "1.0.0",
                    "Changes the selected database.", exec_select),
    keyless_command("connection", "reset", 1, Access::kAnyone, "6.2.0",
                    "Resets the connection.", exec_reset),
    allowed_before_auth(keyless_command("connection", "auth", -2, Access::kAnyone, "1.0.0",
                                        "Authenticates the connection.", exec_auth)),
    allowed_before_auth(keyless_command("connection", "hello", -1, Access::kAnyone, "6.0.0",
                                        "Handshakes with the server.", exec_hello)),
};

}  // namespace

std::span<const CommandSpec> connection_commands() { return kConnectionCommands; }

}  // namespace keepdb::commands
