// The CONFIG command (admin): GET answers Redis's parameter names with this node's values,
// SET changes the settings that take effect at run time (all pairs of one call or none,
// through the node's ConfigReload, which logs the change), HELP lists both.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "kernel/commands/command_families.h"
#include "kernel/commands/config_reload.h"
#include "kernel/commands/glob_match.h"
#include "kernel/commands/node_context.h"
#include "kernel/commands/number.h"
#include "kernel/config/limit_ranges.h"

namespace keepdb::commands {
namespace {

namespace ranges = config::limit_ranges;
using std::chrono::duration_cast;
using std::chrono::seconds;

std::string lowercase(std::string_view text) {
  std::string lower(text);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return lower;
}

std::string between(std::int64_t low, std::int64_t high) {
  return "argument must be between " + std::to_string(low) + " and " + std::to_string(high) +
         " inclusive";
}

// An integer argument within [low, high]; the error is Redis's text.
std::optional<std::string> read_integer(std::string_view text, std::int64_t low,
                                        std::int64_t high, std::int64_t& out) {
  const auto value = parse_int64(text);
  if (!value) return "argument couldn't be parsed into an integer";
  if (*value < low || *value > high) return between(low, high);
  out = *value;
  return std::nullopt;
}

// A byte count as Redis writes memory settings: digits and an optional unit, b k kb m mb g
// gb in any case (k = 1000, kb = 1024, and so on).
std::optional<std::uint64_t> parse_memory(std::string_view text) {
  const std::size_t digits = static_cast<std::size_t>(
      std::find_if(text.begin(), text.end(), [](char ch) { return ch < '0' || ch > '9'; }) -
      text.begin());
  const auto number = parse_uint64(text.substr(0, digits));
  if (!number) return std::nullopt;
  static constexpr std::pair<std::string_view, std::uint64_t> kUnits[] = {
      {"", 1},          {"b", 1},          {"k", 1000},          {"kb", 1024},
      {"m", 1000'000},  {"mb", 1ull << 20}, {"g", 1000'000'000}, {"gb", 1ull << 30}};
  const std::string unit = lowercase(text.substr(digits));
  for (const auto& [name, multiplier] : kUnits) {
    if (unit != name) continue;
    if (*number > UINT64_MAX / multiplier) return std::nullopt;
    return *number * multiplier;
  }
  return std::nullopt;
}

// A Redis parameter CONFIG GET answers, with its value on this node: KeepDB's own setting
// where one corresponds, else the fixed behaviour KeepDB has (no eviction, no RDB
// snapshots, every write synced to the log before it is acknowledged, database 0 only).
// `set` is null for a parameter that cannot change on a running node; else it validates
// the text and stores it in `limits`, returning Redis's reason on failure.
struct ConfigParameter {
  std::string_view name;
  std::string (*get)(const config::Config&);
  std::optional<std::string> (*set)(std::string_view value, config::Limits& limits) = nullptr;
};

const ConfigParameter kConfigParameters[] = {
    {"bind", [](const config::Config& c) { return c.client.host; }},
    {"port", [](const config::Config& c) { return std::to_string(c.client.port); }},
    {"dir", [](const config::Config& c) { return c.storage.data_dir.string(); }},
    {"maxclients", [](const config::Config& c) { return std::to_string(c.limits.max_connections); },
     [](std::string_view value, config::Limits& limits) -> std::optional<std::string> {
       std::int64_t count = 0;
       if (auto error = read_integer(value, 1, ranges::kMaxConnections, count)) return error;
       limits.max_connections = static_cast<std::uint32_t>(count);
       return std::nullopt;
     }},
    {"proto-max-bulk-len",
     [](const config::Config& c) { return std::to_string(c.limits.max_bulk_bytes); }},
    {"timeout",
     [](const config::Config& c) {
       return std::to_string(duration_cast<seconds>(c.limits.idle_timeout).count());
     },
     [](std::string_view value, config::Limits& limits) -> std::optional<std::string> {
       std::int64_t secs = 0;
       if (auto error = read_integer(value, 0, ranges::kMaxTimeoutMs / 1000, secs)) return error;
       limits.idle_timeout = seconds(secs);
       return std::nullopt;
     }},
    {"maxmemory-clients",
     [](const config::Config& c) { return std::to_string(c.limits.max_client_memory_bytes); },
     [](std::string_view value, config::Limits& limits) -> std::optional<std::string> {
       if (value.ends_with('%')) {
         return std::string("a percentage is not supported: KeepDB has no maxmemory, give bytes");
       }
       const auto bytes = parse_memory(value);
       if (!bytes) return std::string("argument must be a memory or percent value");
       if (*bytes != 0 && (*bytes < static_cast<std::uint64_t>(ranges::kMinClientMemoryBytes) ||
                           *bytes > static_cast<std::uint64_t>(ranges::kMaxClientMemoryBytes))) {
         return "argument must be 0 (no limit) or " +
                between(ranges::kMinClientMemoryBytes, ranges::kMaxClientMemoryBytes);
       }
       limits.max_client_memory_bytes = *bytes;
       return std::nullopt;
     }},
    {"databases", [](const config::Config& c) { return std::to_string(c.storage.databases); }},
    {"save", [](const config::Config&) { return std::string(); }},
    {"appendonly", [](const config::Config&) { return std::string("yes"); }},
    {"appendfsync", [](const config::Config&) { return std::string("always"); }},
    {"maxmemory", [](const config::Config&) { return std::string("0"); }},
    {"maxmemory-policy", [](const config::Config&) { return std::string("noeviction"); }},
};

const ConfigParameter* find_parameter(std::string_view name) {
  const std::string lower = lowercase(name);
  for (const ConfigParameter& parameter : kConfigParameters) {
    if (parameter.name == lower) return &parameter;
  }
  return nullptr;
}

constexpr std::string_view kConfigHelp[] = {
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "HELP",
    "    Prints this help.",
};

// CONFIG GET pattern [pattern ...]: every parameter some pattern matches (any case), once,
// as name and value pairs (a map in RESP3); an unknown name matches nothing, as in Redis.
void config_get(ExecContext& c) {
  std::vector<const ConfigParameter*> matched;
  for (const ConfigParameter& parameter : kConfigParameters) {
    for (std::size_t i = 2; i < c.args.size(); ++i) {
      if (GlobPattern(lowercase(c.args[i])).matches(parameter.name)) {
        matched.push_back(&parameter);
        break;
      }
    }
  }
  c.out.map(matched.size());
  for (const ConfigParameter* parameter : matched) {
    c.out.bulk(parameter->name);
    c.out.bulk(parameter->get(c.node.config()));
  }
}

// CONFIG SET name value [name value ...], checked as Redis checks it: first every name
// (unknown, immutable, duplicate), then every value against a copy of the running limits;
// any error applies none, else all are applied together.
void config_set(ExecContext& c) {
  if (c.args.size() % 2 != 0) return c.out.error("ERR syntax error");
  ConfigReload* reloader = c.node.reloader();
  if (reloader == nullptr) {
    c.out.error("ERR this node cannot change its configuration at run time");
    return;
  }
  const auto failed = [&c](std::string_view name, std::string_view reason) {
    c.out.error("ERR CONFIG SET failed (possibly related to argument '" + std::string(name) +
                "') - " + std::string(reason));
  };
  std::vector<const ConfigParameter*> parameters;
  for (std::size_t i = 2; i < c.args.size(); i += 2) {
    const ConfigParameter* parameter = find_parameter(c.args[i]);
    if (parameter == nullptr) {
      c.out.error("ERR Unknown option or number of arguments for CONFIG SET - '" +
                  lowercase(c.args[i].substr(0, 128)) + "'");
      return;
    }
    if (parameter->set == nullptr) return failed(parameter->name, "can't set immutable config");
    if (std::find(parameters.begin(), parameters.end(), parameter) != parameters.end()) {
      return failed(parameter->name, "duplicate parameter");
    }
    parameters.push_back(parameter);
  }
  config::Limits limits = c.node.config().limits;
  std::string change;
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const std::string_view value = c.args[3 + 2 * i];
    if (auto error = parameters[i]->set(value, limits)) return failed(parameters[i]->name, *error);
    change += (change.empty() ? "" : ", ") + std::string(parameters[i]->name) + " " +
              std::string(value.substr(0, 64));
  }
  reloader->set_limits(limits, change,
                       {"CONFIG SET", c.session.id, c.session.peer_address, c.session.principal});
  c.out.simple("OK");
}

void config_help(ExecContext& c) { reply_help(c, kConfigHelp); }

constexpr Subcommand kConfigSubcommands[] = {
    {"get", -3, config_get},
    {"set", -4, config_set},
    {"help", 2, config_help},
};

constexpr CommandSpec kConfigCommands[] = {
    with_subcommands(keyless_command("server", "config", -2, Access::kAdmin, "2.0.0",
                                     "A container for server configuration commands.", nullptr),
                     kConfigSubcommands),
};

}  // namespace

std::span<const CommandSpec> config_commands() { return kConfigCommands; }

}  // namespace keepdb::commands
