// The server command family: COMMAND (COUNT DOCS INFO LIST), TIME and LASTSAVE.
#include <chrono>
#include <string>
#include <vector>

#include "kernel/commands/command_families.h"
#include "kernel/commands/command_table.h"

namespace keepdb::commands {
namespace {

// COMMAND INFO's flags: "write" for a command that needs the write role, else "readonly"
// for one that needs read; "admin" with the admin role; "fast" for the rest.
std::vector<std::string_view> access_flags(Access access) {
  std::vector<std::string_view> flags;
  const std::uint32_t roles = roles_of(access);
  if (roles & kRoleWrite) {
    flags.push_back("write");
  } else if (roles & kRoleRead) {
    flags.push_back("readonly");
  }
  if (roles & kRoleAdmin) flags.push_back("admin");
  if (flags.empty()) flags.push_back("fast");
  return flags;
}

void write_command_info(resp::ReplyWriter& out, const CommandSpec& spec) {
  out.array(10);
  out.bulk(spec.name);
  out.integer(spec.arity);
  const auto flags = access_flags(spec.access);
  out.set(flags.size());
  for (std::string_view flag : flags) out.simple(flag);
  out.integer(spec.keys.first);
  out.integer(spec.keys.last);
  out.integer(spec.keys.step);
  // ACL categories, as Redis 7 lists them: one per role the command needs ("@read",
  // "@write", "@admin"), then its group.
  const auto roles = role_names(spec.access);
  out.set(roles.size() + 1);
  for (std::string_view role : roles) out.simple("@" + std::string(role));
  out.simple("@" + std::string(spec.group));
  out.array(0);  // tips
  out.array(0);  // key specs
  out.array(0);  // subcommands
}

void write_roles(resp::ReplyWriter& out, Access access) {
  const auto roles = role_names(access);
  out.array(roles.size());
  for (std::string_view role : roles) out.bulk(role);
}

// Redis 7's summary, since and group, plus KeepDB's "acl_roles": the roles the command
// needs (an empty array: any authenticated client), and "acl_roles_with_options": the
// roles it needs instead when an option is given (SET's GET), keyed by the option.
void write_command_docs(resp::ReplyWriter& out, const CommandSpec& spec) {
  const bool has_option = !spec.access_option.name.empty();
  out.bulk(spec.name);
  out.map(has_option ? 5 : 4);
  out.bulk("summary");
  out.bulk(spec.summary);
  out.bulk("since");
  out.bulk(spec.since);
  out.bulk("group");
  out.bulk(spec.group);
  out.bulk("acl_roles");
  write_roles(out, spec.access);
  if (has_option) {
    out.bulk("acl_roles_with_options");
    out.map(1);
    std::string option(spec.access_option.name);
    for (char& c : option) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c);
    out.bulk(option);
    write_roles(out, spec.access_option.access);
  }
}

// COMMAND alone and COMMAND INFO without names: every command's entry.
void command_all_info(ExecContext& c) {
  const CommandTable& table = command_table();
  c.out.array(table.all().size());
  for (const CommandSpec* spec : table.all()) write_command_info(c.out, *spec);
}

void command_count(ExecContext& c) {
  c.out.integer(static_cast<std::int64_t>(command_table().all().size()));
}

void command_list(ExecContext& c) {
  const CommandTable& table = command_table();
  c.out.array(table.all().size());
  for (const CommandSpec* spec : table.all()) c.out.bulk(spec->name);
}

// COMMAND INFO [name ...]: a null for a name that is no command.
void command_info(ExecContext& c) {
  const Args names = c.args.subspan(2);
  if (names.empty()) return command_all_info(c);
  c.out.array(names.size());
  for (std::string_view name : names) {
    if (const CommandSpec* spec = command_table().find(name)) {
      write_command_info(c.out, *spec);
    } else {
      c.out.null();
    }
  }
}

// COMMAND DOCS [name ...]: a name that is no command is left out.
void command_docs(ExecContext& c) {
  const CommandTable& table = command_table();
  const Args names = c.args.subspan(2);
  std::vector<const CommandSpec*> selected;
  if (names.empty()) {
    selected.assign(table.all().begin(), table.all().end());
  } else {
    for (std::string_view name : names) {
      if (const CommandSpec* spec = table.find(name)) selected.push_back(spec);
    }
  }
  c.out.map(selected.size());
  for (const CommandSpec* spec : selected) write_command_docs(c.out, *spec);
}

// LIST takes no filter (FILTERBY is Redis's, for modules and ACL categories KeepDB has not).
constexpr Subcommand kCommandSubcommands[] = {
    {"count", 2, command_count},
    {"list", 2, command_list},
    {"info", -2, command_info},
    {"docs", -2, command_docs},
};

// ---- TIME LASTSAVE ----

void exec_time(ExecContext& c) {
  using namespace std::chrono;
  const auto now = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  c.out.array(2);
  c.out.bulk(std::to_string(now / 1'000'000));
  c.out.bulk(std::to_string(now % 1'000'000));
}

// Every acknowledged write is already saved (synced in the Raft log on a majority, applied
// to LMDB in the same transaction as its index), so the last save is now.
void exec_lastsave(ExecContext& c) {
  using namespace std::chrono;
  c.out.integer(duration_cast<seconds>(system_clock::now().time_since_epoch()).count());
}

constexpr CommandSpec kServerCommands[] = {
    with_subcommands(keyless_command("server", "command", -1, Access::kAnyone, "2.8.13",
                                     "Returns detailed information about all commands.",
                                     command_all_info),
                     kCommandSubcommands),
    keyless_command("server", "time", 1, Access::kAnyone, "2.6.0", "Returns the server time.",
                    exec_time),
    keyless_command("server", "lastsave", 1, Access::kAnyone, "1.0.0",
                    "Returns the Unix timestamp of the last successful save to disk.",
                    exec_lastsave),
};

}  // namespace

std::span<const CommandSpec> server_commands() { return kServerCommands; }

}  // namespace keepdb::commands
