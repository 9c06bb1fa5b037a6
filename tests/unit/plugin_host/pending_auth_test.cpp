// PendingAuths: a ticket's life from open_ticket() to take() or forget(), and that a
// completion refused or forgotten releases what it holds.
#include "kernel/plugin_host/pending_auth.h"

#include <catch2/catch.hpp>
#include <memory>

namespace keepdb::plugin_host {
namespace {

// A completion holding `held`, as the plugin adapter's holds the plugin instance.
PendingAuths::Completion holding(const std::shared_ptr<int>& held, int* calls) {
  return [held, calls](const PluginAuthResult&) { ++*calls; };
}

}  // namespace

TEST_CASE("PendingAuths: an expected ticket completes once", "[pending_auth]") {
  PendingAuths table;
  int calls = 0;
  const std::uint64_t ticket = table.open_ticket();
  CHECK(ticket != 0);
  CHECK(table.open_ticket() != ticket);
  REQUIRE(table.expect(ticket, holding(std::make_shared<int>(), &calls)));
  PendingAuths::Completion completion = table.take(ticket);
  REQUIRE(completion);
  completion(PluginAuthResult{});
  CHECK(calls == 1);
  CHECK_FALSE(table.take(ticket));  // a repeated completion finds nothing
}

TEST_CASE("PendingAuths: a ticket forgotten before expect refuses it and keeps nothing",
          "[pending_auth]") {
  PendingAuths table;
  int calls = 0;
  auto held = std::make_shared<int>();
  const std::weak_ptr<int> watch = held;
  const std::uint64_t ticket = table.open_ticket();
  table.forget(ticket);
  CHECK_FALSE(table.expect(ticket, holding(held, &calls)));
  held.reset();
  CHECK(watch.expired());
  CHECK_FALSE(table.take(ticket));
}

TEST_CASE("PendingAuths: forget releases a registered completion", "[pending_auth]") {
  PendingAuths table;
  int calls = 0;
  auto held = std::make_shared<int>();
  const std::weak_ptr<int> watch = held;
  const std::uint64_t ticket = table.open_ticket();
  REQUIRE(table.expect(ticket, holding(held, &calls)));
  held.reset();
  CHECK_FALSE(watch.expired());
  table.forget(ticket);
  CHECK(watch.expired());
  CHECK_FALSE(table.take(ticket));
  CHECK(calls == 0);
}

TEST_CASE("PendingAuths: take before expect leaves the ticket open", "[pending_auth]") {
  PendingAuths table;
  int calls = 0;
  const std::uint64_t ticket = table.open_ticket();
  CHECK_FALSE(table.take(ticket));  // a completion for a ticket whose adapter has not registered
  CHECK(table.expect(ticket, holding(std::make_shared<int>(), &calls)));
  CHECK_FALSE(table.expect(ticket, holding(std::make_shared<int>(), &calls)));  // only once
  CHECK(table.take(ticket));
}

TEST_CASE("PendingAuths: tickets never seen are refused", "[pending_auth]") {
  PendingAuths table;
  int calls = 0;
  CHECK_FALSE(table.expect(12345, holding(std::make_shared<int>(), &calls)));
  CHECK_FALSE(table.take(12345));
  table.forget(12345);  // harmless
}

}  // namespace keepdb::plugin_host
