// keepd plugins test: exercises one plugin library without a server, for plugin authors'
// own CI. Loads the file through the real plugin host (trust, ELF, entry symbol, ABI and
// descriptor checks), creates an instance with options from the command line (schema
// checks, path options resolved against --config-dir), asks its authenticator about each
// --auth in turn through the kernel's adapter (the guard bytes and every other check it
// makes on what comes back) and prints one line per step. Never prints a secret.
#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/cli/options.h"
#include "kernel/cli/subcommands.h"
#include "kernel/plugin_host/library_loader.h"
#include "kernel/plugin_host/log_sink.h"
#include "kernel/plugin_host/option_schema.h"
#include "kernel/plugin_host/pending_auth.h"
#include "kernel/plugin_host/plugin_authenticator.h"
#include "kernel/plugin_host/plugin_error.h"

namespace keepdb::cli {
namespace {

namespace po = boost::program_options;
using plugin_host::AuthStep;

// "key=value" -> {key, value}; nullopt without '=' or with an empty key.
std::optional<std::pair<std::string, std::string>> parse_option(const std::string& text) {
  const std::size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0) return std::nullopt;
  return std::pair{text.substr(0, equals), text.substr(equals + 1)};
}

std::optional<AuthStep::Decision> parse_expectation(const std::string& text) {
  if (text == "accept") return AuthStep::Decision::kAccept;
  if (text == "reject") return AuthStep::Decision::kReject;
  if (text == "defer") return AuthStep::Decision::kDefer;
  return std::nullopt;
}

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

// One --auth: "[user:]secret". The secret moves into the request and is wiped with it.
plugin_host::AuthRequest auth_request(const std::string& given) {
  plugin_host::AuthRequest request;
  const std::size_t colon = given.find(':');
  const std::string_view text(given);
  if (colon != std::string::npos) request.username = given.substr(0, colon);
  request.secret = kdb::sdk::SecretBytes(colon == std::string::npos ? text : text.substr(colon + 1));
  request.conn_id = 1;
  request.peer_addr = "127.0.0.1";
  return request;
}

// Asks `authenticator` once and waits for its answer (synchronous or through
// auth_complete) until `deadline`, as the kernel's chain would.
AuthStep authenticate_once(plugin_host::Authenticator& authenticator,
                           plugin_host::AuthRequest request, std::chrono::milliseconds deadline) {
  auto answer = std::make_shared<std::promise<AuthStep>>();
  std::future<AuthStep> step = answer->get_future();
  const std::uint64_t ticket = plugin_host::pending_auths().next_ticket();
  authenticator.authenticate(request, ticket,
                             [answer](AuthStep done) { answer->set_value(std::move(done)); });
  if (step.wait_for(deadline) == std::future_status::ready) return step.get();
  plugin_host::pending_auths().forget(ticket);
  return AuthStep{AuthStep::Decision::kFail,
                  {},
                  "no answer within the deadline (" + std::to_string(deadline.count()) + " ms)"};
}

// Prints one --auth's outcome; true when it matches `expected` (or, without one, when the
// plugin did not fail).
bool report_step(std::size_t index, const AuthStep& step,
                 std::optional<AuthStep::Decision> expected) {
  std::cout << "auth " << index << ": " << decision_name(step.decision);
  if (step.decision == AuthStep::Decision::kAccept) {
    std::cout << " principal " << step.principal.name << " roles "
              << role_names(step.principal.roles);
    if (step.principal.expires_unix_s != 0) {
      std::cout << " expires " << step.principal.expires_unix_s;
    }
  } else {
    std::cout << ": " << step.reason;
  }
  const bool matches =
      expected ? step.decision == *expected : step.decision != AuthStep::Decision::kFail;
  if (expected && !matches) std::cout << " (expected " << decision_name(*expected) << ")";
  std::cout << "\n";
  return matches;
}

}  // namespace

int plugins_test_command(const Args& args) {
  po::options_description options("keepd plugins test options");
  options.add_options()("help,h", "show this help")("file", po::value<std::string>()->required(),
                                                    "the plugin library (.so) to test")(
      "option", po::value<std::vector<std::string>>()->default_value({}, ""),
      "key=value: a plugin option, as in [plugin.options] (repeatable)")(
      "config-dir", po::value<std::string>()->default_value(""),
      "directory relative path options resolve against (default: as given)")(
      "name", po::value<std::string>()->default_value("test"), "the instance's [[plugin]] name")(
      "sha256", po::value<std::string>()->default_value(""),
      "refuse the file unless it has this hash")(
      "auth", po::value<std::vector<std::string>>()->default_value({}, ""),
      "[user:]secret: ask the authenticator, in order (repeatable; use test secrets only)")(
      "expect", po::value<std::vector<std::string>>()->default_value({}, ""),
      "accept|reject|defer: the answer expected; once for every --auth, or once per --auth")(
      "deadline-ms", po::value<unsigned>()->default_value(2000), "time each --auth may take");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map values;
  if (const auto exit = parse_options("plugins test", args, options, positional, values)) {
    return *exit;
  }
  const auto usage_error = [&options](const std::string& message) {
    std::cerr << "keepd plugins test: " << message << "\n" << options;
    return 2;
  };

  plugin_host::OptionList plugin_options;
  for (const std::string& text : values["option"].as<std::vector<std::string>>()) {
    const auto option = parse_option(text);
    if (!option) return usage_error("--option '" + text + "' is not key=value");
    plugin_options.push_back(*option);
  }
  const auto& auths = values["auth"].as<std::vector<std::string>>();
  std::vector<std::optional<AuthStep::Decision>> expected(auths.size());
  const auto& expect_texts = values["expect"].as<std::vector<std::string>>();
  if (!expect_texts.empty() && expect_texts.size() != 1 && expect_texts.size() != auths.size()) {
    return usage_error("give --expect once, or once per --auth");
  }
  for (std::size_t i = 0; i < expect_texts.size(); ++i) {
    const auto decision = parse_expectation(expect_texts[i]);
    if (!decision) return usage_error("--expect must be accept, reject or defer");
    if (expect_texts.size() == 1) {
      std::fill(expected.begin(), expected.end(), decision);
    } else {
      expected[i] = decision;
    }
  }

  const std::string file = values["file"].as<std::string>();
  const plugin_host::LibraryReport report =
      plugin_host::open_library(file, values["sha256"].as<std::string>());
  if (report.status != plugin_host::LoadStatus::kOk) {
    std::cout << "load: " << plugin_host::load_status_name(report.status) << ": " << report.reason
              << "\n";
    return 1;
  }
  const kdb_plugin_descriptor& descriptor = *report.descriptor;
  std::cout << "load: ok: " << descriptor.name << " " << descriptor.version << ", ABI "
            << *report.abi_major << "." << *report.abi_minor << "\n";
  const bool is_authenticator = (descriptor.kinds & KDB_KIND_AUTHENTICATOR) != 0;
  if (!auths.empty() && !is_authenticator) {
    std::cout << "auth: the plugin is no authenticator; the harness drives authenticators only\n";
    return 1;
  }

  std::shared_ptr<plugin_host::PluginInstance> instance;
  try {
    instance = std::make_shared<plugin_host::PluginInstance>(
        values["name"].as<std::string>(), descriptor, plugin_options,
        values["config-dir"].as<std::string>(), plugin_host::stderr_log_sink());
  } catch (const plugin_host::PluginError& error) {
    std::cout << "create: " << error.what() << "\n";
    return 1;
  }
  std::cout << "create: ok: " << plugin_host::describe_options(descriptor, plugin_options) << "\n";

  bool all_match = true;
  if (is_authenticator) {
    plugin_host::PluginAuthenticator authenticator(instance);
    const std::chrono::milliseconds deadline(values["deadline-ms"].as<unsigned>());
    for (std::size_t i = 0; i < auths.size(); ++i) {
      const AuthStep step = authenticate_once(authenticator, auth_request(auths[i]), deadline);
      all_match = report_step(i + 1, step, expected[i]) && all_match;
    }
  }
  return all_match ? 0 : 1;
}

}  // namespace keepdb::cli
