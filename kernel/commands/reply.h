// The result of applying one write command to the state machine: a small value that any
// connection can render in its own protocol (RESP2 or RESP3). Produced deterministically
// by the state machine, so it never holds pointers into storage. One kind is already
// encoded: a transaction's reply (transaction.h), written in the protocol its op names.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "kernel/resp/reply_writer.h"

namespace keepdb::commands {

struct Reply {
  enum class Kind : std::uint8_t { kOk, kError, kInteger, kBulk, kNull, kEncoded };

  Kind kind = Kind::kOk;
  std::int64_t integer = 0;
  std::string text;  // bulk payload or error message ("ERR ...")

  static Reply ok() { return {}; }
  static Reply error(std::string message) { return {Kind::kError, 0, std::move(message)}; }
  static Reply number(std::int64_t value) { return {Kind::kInteger, value, {}}; }
  static Reply bulk(std::string bytes) { return {Kind::kBulk, 0, std::move(bytes)}; }
  static Reply null() { return {Kind::kNull, 0, {}}; }
  static Reply encoded(std::string resp) { return {Kind::kEncoded, 0, std::move(resp)}; }

  void write_to(resp::ReplyWriter& out) const {
    switch (kind) {
      case Kind::kOk: out.simple("OK"); break;
      case Kind::kError: out.error(text); break;
      case Kind::kInteger: out.integer(integer); break;
      case Kind::kBulk: out.bulk(text); break;
      case Kind::kNull: out.null(); break;
      case Kind::kEncoded: out.raw(text); break;
    }
  }
};

}  // namespace keepdb::commands
