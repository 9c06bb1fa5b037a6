// The connection command family: PING ECHO HELLO QUIT SELECT AUTH CLIENT.
#include <chrono>
#include <string>

#include "kernel/commands/command_families.h"
#include "kernel/commands/errors.h"
#include "kernel/commands/number.h"
#include "kernel/version.h"

namespace keepdb::commands {
namespace {

void exec_ping(ExecContext& c) {
  if (c.args.size() > 2) {
    c.out.error(errors::wrong_arity("ping"));
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
  const auto index = parse_int64(c.args[1]);
  if (!index) {
    c.out.error(errors::kNotInteger);
  } else if (*index != 0) {
    c.out.error("ERR DB index is out of range");
  } else {
    c.out.simple("OK");
  }
}

// Without an authenticator configured, KeepDB behaves like Redis with no password: the
// one-argument form is an error, and the default user accepts any password.
void exec_auth(ExecContext& c) {
  if (c.args.size() > 3) {
    c.out.error(errors::kSyntax);
  } else if (c.args.size() == 2) {
    c.out.error(
        "ERR AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?");
  } else if (c.args[1] != "default") {
    c.out.error("WRONGPASS invalid username-password pair or user is disabled.");
  } else {
    c.out.simple("OK");
  }
}

bool valid_client_name(std::string_view name) {
  for (char ch : name) {
    if (ch < '!' || ch > '~') return false;  // Redis: no spaces, newlines or special characters
  }
  return true;
}

void write_hello_reply(ExecContext& c) {
  c.out.map(7);
  c.out.bulk("server");
  c.out.bulk("keepdb");
  c.out.bulk("version");
  c.out.bulk(kRedisCompatVersion);
  c.out.bulk("proto");
  c.out.integer(static_cast<int>(c.session.protocol));
  c.out.bulk("id");
  c.out.integer(static_cast<std::int64_t>(c.session.id));
  c.out.bulk("mode");
  c.out.bulk("standalone");
  c.out.bulk("role");
  c.out.bulk("master");
  c.out.bulk("modules");
  c.out.array(0);
}

// HELLO [protover [AUTH username password] [SETNAME clientname]]
void exec_hello(ExecContext& c) {
  resp::Protocol protocol = c.session.protocol;
  if (c.args.size() >= 2) {
    const auto version = parse_int64(c.args[1]);
    if (!version) {
      c.out.error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (*version != 2 && *version != 3) {
      c.out.error("NOPROTO unsupported protocol version");
      return;
    }
    protocol = *version == 3 ? resp::Protocol::kResp3 : resp::Protocol::kResp2;
  }
  std::string_view new_name;
  bool set_name = false;
  for (std::size_t i = 2; i < c.args.size(); ++i) {
    const std::size_t remaining = c.args.size() - i - 1;
    if (equals_ignore_case(c.args[i], "auth") && remaining >= 2) {
      if (c.args[i + 1] != "default") {
        c.out.error("WRONGPASS invalid username-password pair or user is disabled.");
        return;
      }
      i += 2;
    } else if (equals_ignore_case(c.args[i], "setname") && remaining >= 1) {
      new_name = c.args[++i];
      set_name = true;
    } else {
      c.out.error("ERR Syntax error in HELLO option '" + std::string(c.args[i]) + "'");
      return;
    }
  }
  if (set_name && !valid_client_name(new_name)) {
    c.out.error("ERR Client names cannot contain spaces, newlines or special characters.");
    return;
  }
  if (set_name) c.session.name = new_name;
  c.session.protocol = protocol;
  resp::ReplyWriter out(c.out.buffer(), protocol);  // the reply already uses the new protocol
  ExecContext switched{c.args, out, c.session, c.node};
  write_hello_reply(switched);
}

std::string client_info_line(const Session& s) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  const auto now = std::chrono::steady_clock::now();
  std::string line = "id=" + std::to_string(s.id) + " addr=" + s.peer_address +
                     " laddr=" + s.local_address + " name=" + s.name +
                     " age=" + std::to_string(duration_cast<seconds>(now - s.created).count()) +
                     " idle=" +
                     std::to_string(duration_cast<seconds>(now - s.last_command).count()) +
                     " flags=N db=0 multi=-1 user=" + s.principal + " cmd=" +
                     s.last_command_name +
                     " resp=" + std::to_string(static_cast<int>(s.protocol)) + "\n";
  return line;
}

void client_id(ExecContext& c) { c.out.integer(static_cast<std::int64_t>(c.session.id)); }

void client_getname(ExecContext& c) {
  if (c.session.name.empty()) {
    c.out.null();
  } else {
    c.out.bulk(c.session.name);
  }
}

void client_setname(ExecContext& c) {
  if (!valid_client_name(c.args[2])) {
    c.out.error("ERR Client names cannot contain spaces, newlines or special characters.");
    return;
  }
  c.session.name = c.args[2];
  c.out.simple("OK");
}

void client_info(ExecContext& c) { c.out.verbatim(client_info_line(c.session)); }

// Client libraries announce lib-name/lib-ver; there is nothing to keep.
void client_setinfo(ExecContext& c) { c.out.simple("OK"); }

void client_help(ExecContext& c) {
  static constexpr std::string_view kHelp[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GETNAME", "    Return the name of the current connection.",
      "ID", "    Return the ID of the current connection.",
      "INFO", "    Return information about the current client connection.",
      "SETNAME <name>", "    Assign the name <name> to the current connection.",
      "HELP", "    Print this help."};
  c.out.array(std::size(kHelp));
  for (std::string_view line : kHelp) c.out.simple(line);
}

struct ClientSubcommand {
  std::string_view name;  // lowercase
  std::size_t extra_args;
  void (*run)(ExecContext&);
};

constexpr ClientSubcommand kClientSubcommands[] = {
    {"id", 0, client_id},           {"getname", 0, client_getname},
    {"setname", 1, client_setname}, {"info", 0, client_info},
    {"setinfo", 2, client_setinfo}, {"help", 0, client_help},
};

void exec_client(ExecContext& c) {
  const std::string_view sub = c.args[1];
  for (const auto& candidate : kClientSubcommands) {
    if (!equals_ignore_case(sub, candidate.name)) continue;
    if (c.args.size() - 2 != candidate.extra_args) {
      c.out.error(errors::wrong_arity("client|" + std::string(candidate.name)));
    } else {
      candidate.run(c);
    }
    return;
  }
  c.out.error("ERR unknown subcommand '" + std::string(sub.substr(0, 128)) +
              "'. Try CLIENT HELP.");
}

constexpr CommandSpec kConnectionCommands[] = {
    {.name = "ping", .arity = -1, .access = Access::kAnyone, .before_auth = true, .first_key = 0,
     .last_key = 0, .key_step = 0, .group = "connection", .since = "1.0.0",
     .summary = "Returns the server's liveliness response.", .execute = exec_ping},
    {.name = "echo", .arity = 2, .access = Access::kAnyone, .before_auth = false, .first_key = 0,
     .last_key = 0, .key_step = 0, .group = "connection", .since = "1.0.0",
     .summary = "Returns the given string.", .execute = exec_echo},
    {.name = "quit", .arity = -1, .access = Access::kAnyone, .before_auth = true, .first_key = 0,
     .last_key = 0, .key_step = 0, .group = "connection", .since = "1.0.0",
     .summary = "Closes the connection.", .execute = exec_quit},
    {.name = "select", .arity = 2, .access = Access::kAnyone, .before_auth = false,
     .first_key = 0, .last_key = 0, .key_step = 0, .group = "connection", .since = "1.0.0",
     .summary = "Changes the selected database (KeepDB has only database 0).",
     .execute = exec_select},
    {.name = "auth", .arity = -2, .access = Access::kAnyone, .before_auth = true, .first_key = 0,
     .last_key = 0, .key_step = 0, .group = "connection", .since = "1.0.0",
     .summary = "Authenticates the connection.", .execute = exec_auth},
    {.name = "hello", .arity = -1, .access = Access::kAnyone, .before_auth = true, .first_key = 0,
     .last_key = 0, .key_step = 0, .group = "connection", .since = "6.0.0",
     .summary = "Handshakes with the server.", .execute = exec_hello},
    {.name = "client", .arity = -2, .access = Access::kAnyone, .before_auth = false,
     .first_key = 0, .last_key = 0, .key_step = 0, .group = "connection", .since = "2.4.0",
     .summary = "A container for client connection commands.", .execute = exec_client},
};

}  // namespace

std::span<const CommandSpec> connection_commands() { return kConnectionCommands; }

}  // namespace keepdb::commands
