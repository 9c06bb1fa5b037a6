// The CLIENT container command: ID GETNAME SETNAME INFO LIST KILL SETINFO NO-EVICT NO-TOUCH
// HELP, with Redis 7's replies and errors. The line CLIENT INFO and CLIENT LIST print has
// every field Redis 7.0 prints, in its order; fields for features KeepDB does not have
// (pub/sub, client tracking) hold the values Redis shows for a client that does not use them.
// LIST, KILL and NO-EVICT need the admin role, as they are @admin in Redis.
#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "kernel/commands/command_families.h"
#include "kernel/commands/errors.h"
#include "kernel/commands/number.h"

namespace keepdb::commands {
namespace {

// Not a Redis field: " identity=<name>" on a connection whose transport verified a peer
// identity (a TLS client certificate), with spaces and control bytes shown as '?'.
std::string identity_field(const Session& s) {
  if (s.peer_identity == nullptr || !s.peer_identity->verified) return {};
  std::string name = s.peer_identity->display_name();
  for (char& ch : name) {
    if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f) ch = '?';
  }
  return " identity=" + name;
}

std::string client_line(const ClientView& view) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  const Session& s = view.session;
  const auto now = std::chrono::steady_clock::now();
  const auto free_input = view.input_capacity - std::min(view.input_capacity, view.input_bytes);
  const bool in_multi = s.transaction.active;
  return "id=" + std::to_string(s.id) + " addr=" + s.peer_address + " laddr=" + s.local_address +
         " fd=" + std::to_string(view.fd) + " name=" + s.name +
         " age=" + std::to_string(duration_cast<seconds>(now - s.created).count()) +
         " idle=" + std::to_string(duration_cast<seconds>(now - s.last_command).count()) +
         " flags=" + (in_multi ? "x" : "N") + " db=" + std::to_string(s.db) +
         " sub=0 psub=0 ssub=0 multi=" +
         (in_multi ? std::to_string(s.transaction.queued.size()) : "-1") +
         " qbuf=" + std::to_string(view.input_bytes) + " qbuf-free=" + std::to_string(free_input) +
         " argv-mem=0 multi-mem=" + std::to_string(s.transaction.queued_bytes) +
         " rbs=0 rbp=0 obl=" + std::to_string(view.reply_bytes) +
         " oll=0 omem=0 tot-mem=" + std::to_string(view.buffer_bytes) +
         " events=r cmd=" + s.last_command_name + " user=" + s.principal +
         " redir=-1 resp=" + std::to_string(static_cast<int>(s.protocol)) + identity_field(s) +
         "\n";
}

// The caller's own line. Through the registry when there is one (it knows the buffers).
std::string own_line(ExecContext& c) {
  std::string line;
  if (ClientRegistry* clients = c.node.clients()) {
    clients->visit_client(c.session.id, [&](const ClientView& view) { line = client_line(view); });
  }
  return line.empty() ? client_line(ClientView{.session = c.session}) : line;
}

// Every open client; only the caller when there is no registry (unit tests).
void for_each_client(ExecContext& c, const std::function<void(const ClientView&)>& visit) {
  if (ClientRegistry* clients = c.node.clients()) {
    clients->for_each_client(visit);
  } else {
    visit(ClientView{.session = c.session});
  }
}

// Redis's client types. Every KeepDB client is a normal one: the other types match nothing.
enum class ClientType { kNormal, kOther };

std::optional<ClientType> parse_client_type(std::string_view name) {
  if (equals_ignore_case(name, "normal")) return ClientType::kNormal;
  for (std::string_view other : {"master", "replica", "slave", "pubsub"}) {
    if (equals_ignore_case(name, other)) return ClientType::kOther;
  }
  return std::nullopt;
}

std::string unknown_type_error(std::string_view name) {
  return "ERR Unknown client type '" + std::string(name.substr(0, 128)) + "'";
}

// The admin role for the subcommands Redis files under @admin; replies NOPERM otherwise.
bool refused_without_admin(ExecContext& c, std::string_view subcommand) {
  if ((c.session.roles & kRoleAdmin) != 0) return false;
  c.out.error(errors::no_permission(c.session.principal, "client|" + std::string(subcommand)));
  return true;
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

void client_info(ExecContext& c) { c.out.verbatim(own_line(c)); }

// CLIENT LIST [TYPE type] | [ID id [id ...]]
void client_list(ExecContext& c) {
  if (refused_without_admin(c, "list")) return;
  std::optional<ClientType> type;
  std::optional<std::vector<std::uint64_t>> ids;  // ID given: only these
  if (c.args.size() == 4 && equals_ignore_case(c.args[2], "type")) {
    type = parse_client_type(c.args[3]);
    if (!type) {
      c.out.error(unknown_type_error(c.args[3]));
      return;
    }
  } else if (c.args.size() > 3 && equals_ignore_case(c.args[2], "id")) {
    ids.emplace();
    for (std::size_t i = 3; i < c.args.size(); ++i) {
      const auto id = parse_int64(c.args[i]);  // any integer: ids below 1 match no client
      if (!id) {
        c.out.error("ERR Invalid client ID");
        return;
      }
      if (*id > 0) ids->push_back(static_cast<std::uint64_t>(*id));
    }
  } else if (c.args.size() != 2) {
    c.out.error(errors::kSyntax);
    return;
  }
  std::string lines;
  for_each_client(c, [&](const ClientView& view) {
    if (type == ClientType::kOther) return;
    if (ids && std::find(ids->begin(), ids->end(), view.session.id) == ids->end()) return;
    lines += client_line(view);
  });
  c.out.verbatim(lines);
}

// Which clients CLIENT KILL closes.
struct KillFilter {
  std::optional<std::uint64_t> id;
  std::optional<std::string> addr, laddr, user;
  std::optional<ClientType> type;
  bool skip_me = true;

  bool matches(const Session& s) const {
    return (!id || s.id == *id) && (!addr || s.peer_address == *addr) &&
           (!laddr || s.local_address == *laddr) && (!user || s.principal == *user) &&
           type != ClientType::kOther;
  }
};

// Parses the filter form's option-value pairs (from args[2]); on error replies and returns
// nullopt.
std::optional<KillFilter> parse_kill_filter(ExecContext& c) {
  KillFilter filter;
  for (std::size_t i = 2; i < c.args.size(); i += 2) {
    const std::string_view option = c.args[i];
    if (i + 1 >= c.args.size()) {
      c.out.error(errors::kSyntax);
      return std::nullopt;
    }
    const std::string_view value = c.args[i + 1];
    if (equals_ignore_case(option, "id")) {
      const auto id = parse_int64(value);
      if (!id || *id < 1) {
        c.out.error("ERR client-id should be greater than 0");
        return std::nullopt;
      }
      filter.id = static_cast<std::uint64_t>(*id);
    } else if (equals_ignore_case(option, "type")) {
      filter.type = parse_client_type(value);
      if (!filter.type) {
        c.out.error(unknown_type_error(value));
        return std::nullopt;
      }
    } else if (equals_ignore_case(option, "addr")) {
      filter.addr = std::string(value);
    } else if (equals_ignore_case(option, "laddr")) {
      filter.laddr = std::string(value);
    } else if (equals_ignore_case(option, "user")) {
      filter.user = std::string(value);
    } else if (equals_ignore_case(option, "skipme") && equals_ignore_case(value, "yes")) {
      filter.skip_me = true;
    } else if (equals_ignore_case(option, "skipme") && equals_ignore_case(value, "no")) {
      filter.skip_me = false;
    } else {
      c.out.error(errors::kSyntax);
      return std::nullopt;
    }
  }
  return filter;
}

// Closes what `filter` matches: the caller after this reply, the others now. Returns how many.
std::int64_t kill_matching(ExecContext& c, const KillFilter& filter) {
  std::vector<std::uint64_t> victims;
  bool kill_me = false;
  for_each_client(c, [&](const ClientView& view) {
    if (!filter.matches(view.session)) return;
    if (view.session.id != c.session.id) {
      victims.push_back(view.session.id);
    } else if (!filter.skip_me) {
      kill_me = true;
    }
  });
  const std::string reason = "killed by CLIENT KILL from client id=" +
                             std::to_string(c.session.id) + " (" + c.session.principal + ")";
  std::int64_t killed = 0;
  for (std::uint64_t id : victims) {
    if (c.node.clients()->kill_client(id, reason)) ++killed;
  }
  if (kill_me) {
    c.session.close_after_reply = true;
    ++killed;
  }
  return killed;
}

// CLIENT KILL ip:port (the old form: +OK, or an error when no client has that address), or
// CLIENT KILL <option> <value> [...] (the number of clients closed).
void client_kill(ExecContext& c) {
  if (refused_without_admin(c, "kill")) return;
  if (c.args.size() == 3) {
    KillFilter filter;
    filter.addr = std::string(c.args[2]);
    filter.skip_me = false;
    if (kill_matching(c, filter) == 0) {
      c.out.error("ERR No such client");
    } else {
      c.out.simple("OK");
    }
    return;
  }
  if (auto filter = parse_kill_filter(c)) c.out.integer(kill_matching(c, *filter));
}

// ON or OFF, and nothing to change: KeepDB does not evict clients for memory the way Redis's
// maxmemory-clients does, and keeps no access times for its keys.
void reply_on_off(ExecContext& c) {
  if (equals_ignore_case(c.args[2], "on") || equals_ignore_case(c.args[2], "off")) {
    c.out.simple("OK");
  } else {
    c.out.error(errors::kSyntax);
  }
}

void client_no_evict(ExecContext& c) {
  if (!refused_without_admin(c, "no-evict")) reply_on_off(c);
}

// Client libraries announce lib-name/lib-ver; there is nothing to keep.
void client_setinfo(ExecContext& c) { c.out.simple("OK"); }

void client_help(ExecContext& c) {
  static constexpr std::string_view kHelp[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are:",
      "    * ADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made from the specified address",
      "    * LADDR (<ip:port>|<unixsocket>:0)",
      "      Kill connections made to specified local address",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Kill connections by type.",
      "    * USER <username>",
      "      Kill connections authenticated by <username>.",
      "    * SKIPME (YES|NO)",
      "      Skip killing current connection (default: yes).",
      "LIST [options ...]",
      "    Return information about client connections. Options:",
      "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
      "      Return clients of specified type.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "NO-EVICT (ON|OFF)",
      "    Protect current client connection from eviction.",
      "NO-TOUCH (ON|OFF)",
      "    Will not touch LRU/LFU stats when this mode is on.",
      "HELP",
      "    Prints this help."};
  reply_help(c, kHelp);
}

constexpr Subcommand kClientSubcommands[] = {
    {"id", 2, client_id},
    {"getname", 2, client_getname},
    {"setname", 3, client_setname},
    {"info", 2, client_info},
    {"list", -2, client_list},
    {"kill", -3, client_kill},
    {"setinfo", 4, client_setinfo},
    {"no-evict", 3, client_no_evict},
    {"no-touch", 3, reply_on_off},
    {"help", 2, client_help},
};

constexpr CommandSpec kClientCommands[] = {
    with_subcommands(keyless_command("connection", "client", -2, Access::kAnyone, "2.4.0",
                                     "A container for client connection commands.", nullptr),
                     kClientSubcommands),
};

}  // namespace

bool valid_client_name(std::string_view name) {
  for (char ch : name) {
    if (ch < '!' || ch > '~') return false;  // Redis: no spaces, newlines or special characters
  }
  return true;
}

std::span<const CommandSpec> client_commands() { return kClientCommands; }

}  // namespace keepdb::commands
