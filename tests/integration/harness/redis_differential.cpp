// The differential check against Redis 7 (redis_differential.h): the command generator, the
// comparison that leaves out what may legitimately differ, and the run.
#include "tests/integration/harness/redis_differential.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/harness/raw_client.h"
#include "tests/integration/harness/reference_redis.h"

namespace keepdb::integration {
namespace {

using Command = std::vector<std::string>;

// Draws commands from a fixed vocabulary; the same seed gives the same sequence.
class CommandGenerator {
 public:
  explicit CommandGenerator(std::uint64_t seed) : random_(seed) {}

  Command next() {
    const std::string k = key();
    switch (below(44)) {
      case 0:
        return {"GET", k};
      case 1:
        return set_with_options(k);
      case 2:
        return {"SETNX", k, value()};
      case 3:
        return {"SETEX", k, pick({"100000", "0", "-5", "x"}), value()};
      case 4:
        return {"PSETEX", k, pick({"100000000", "0", "-5", "x"}), value()};
      case 5:
        return {"GETSET", k, value()};
      case 6:
        return {"GETDEL", k};
      case 7:
        return getex(k);
      case 8:
        return {"APPEND", k, value()};
      case 9:
        return {"SETRANGE", k, pick({"0", "1", "5", "-1", "100", "x"}), text()};
      case 10:
        return {pick({"GETRANGE", "SUBSTR"}), k, offset(), offset()};
      case 11:
        return {"STRLEN", k};
      case 12:
        return {pick({"INCR", "DECR"}), k};
      case 13:
        return {pick({"INCRBY", "DECRBY"}), k, number()};
      case 14:
        return {"INCRBYFLOAT", k, number()};
      case 15:
        return with_keys({"MGET"}, below(4));
      case 16:
        return pairs(pick({"MSET", "MSETNX"}));
      case 17:
        return lcs(k);
      case 18:
        return {"GETBIT", k, pick({"0", "1", "7", "8", "100", "-1", "4294967296", "x"})};
      case 19:
        return {"SETBIT", k, pick({"0", "1", "7", "8", "100", "-1", "x"}),
                pick({"0", "1", "2", "x"})};
      case 20:
        return bit_range({"BITCOUNT", k});
      case 21:
        return bit_range({"BITPOS", k, pick({"0", "1", "2", "x"})});
      case 22:
        return with_keys({pick({"DEL", "UNLINK", "EXISTS", "TOUCH"})}, below(4));
      case 23:
        return {"TYPE", k};
      case 24:
        return {"KEYS", pick({"*", "k*", "k[0-2]", "?1", "\\{x}*", "[^k]*", "k[", "*\\"})};
      case 25:
        return {pick({"RENAME", "RENAMENX"}), k, key()};
      case 26:
        return copy(k);
      case 27:
        return {"MOVE", k, pick({"0", "1", "16", "x"})};
      case 28:
        return {"SELECT", pick({"0", "1", "16", "x"})};
      case 29:
        return {"SWAPDB", pick({"0", "1", "x"}), pick({"0", "1", "16"})};
      case 30:
        return below(10) == 0 ? Command{pick({"FLUSHDB", "FLUSHALL"})} : Command{"GET", k};
      case 31:
        return expire(k);
      case 32:
        return expire_at(k);
      case 33:
        return {pick({"EXPIRETIME", "PEXPIRETIME", "TTL", "PTTL"}), k};
      case 34:
        return {"PERSIST", k};
      case 35:
        return {"MULTI"};
      case 36:
        return {"EXEC"};
      case 37:
        return {"DISCARD"};
      case 38:
        return {"OBJECT", pick({"FREQ", "HELP", "NOSUCH", "ENCODING"}), k, "extra"};
      case 39:
        return {"SET", k, number()};
      case 40:
        return {"INCRBY", k, offset()};
      case 41:
        return {"SETRANGE", k, offset(), text()};
      case 42:
        return {"SETBIT", k, offset(), pick({"0", "1"})};
      default:
        return {"ECHO", value()};
    }
  }

 private:
  std::size_t below(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_);
  }
  std::string pick(std::initializer_list<std::string_view> choices) {
    return std::string(*(choices.begin() + below(choices.size())));
  }
  std::string key() { return pick({"k0", "k1", "k2", "{x}3", "k4"}); }
  std::string number() {
    return pick({"0",
                 "1",
                 "-1",
                 "42",
                 "9223372036854775807",
                 "-9223372036854775808",
                 "9223372036854775806",
                 "-9223372036854775807",
                 "3.5",
                 "1e3",
                 " 1",
                 "1 ",
                 "+1",
                 "01",
                 "-0",
                 "abc",
                 "",
                 "0x10",
                 "18446744073709551615",
                 "10.5",
                 "-inf",
                 "inf",
                 "nan",
                 "5e-3",
                 "1.0e400"});
  }
  std::string text() {
    return pick({"", "a", "hello", std::string_view("\0\xff", 2), "12", "-7", "3.0",
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "foobar", "ohmytext", "0", "1.5e2"});
  }
  std::string value() { return below(2) == 0 ? number() : text(); }
  std::string offset() {
    return pick({"0", "1", "-1", "2", "3", "-2", "8", "15", "16", "63", "100", "-100", "x"});
  }

  Command with_keys(Command command, std::size_t count) {
    while (count-- > 0) command.push_back(key());
    return command;
  }
  Command pairs(std::string name) {
    Command command = {std::move(name)};
    for (std::size_t n = below(3); n > 0; --n) {
      command.push_back(key());
      command.push_back(value());
    }
    if (below(10) == 0) command.push_back(key());
    return command;
  }
  // Up to two distinct options of `options`, each followed by its argument when it takes one.
  template <typename ArgumentOf>
  void add_options(Command& command, std::vector<std::string> options, ArgumentOf argument_of) {
    std::shuffle(options.begin(), options.end(), random_);
    for (std::size_t i = 0, n = below(3); i < n && i < options.size(); ++i) {
      command.push_back(options[i]);
      if (std::string argument = argument_of(options[i]); !argument.empty()) {
        command.push_back(argument);
      }
    }
  }
  std::string deadline_argument(const std::string& option) {
    if (option == "EX" || option == "PX") return pick({"100000", "0", "-1", "x", "99999999999"});
    if (option == "EXAT" || option == "PXAT")
      return pick({"4000000000", "4000000000000", "1", "0", "x"});
    return "";
  }
  Command set_with_options(const std::string& k) {
    Command command = {"SET", k, value()};
    add_options(command, {"NX", "XX", "GET", "KEEPTTL", "EX", "PX", "EXAT", "PXAT", "PERSIST"},
                [this](const std::string& o) { return deadline_argument(o); });
    return command;
  }
  Command getex(const std::string& k) {
    Command command = {"GETEX", k};
    add_options(command, {"PERSIST", "EX", "PX", "EXAT", "PXAT"},
                [this](const std::string& o) { return deadline_argument(o); });
    return command;
  }
  Command lcs(const std::string& k) {
    Command command = {"LCS", k, key()};
    add_options(command, {"LEN", "IDX", "MINMATCHLEN", "WITHMATCHLEN"},
                [this](const std::string& o) {
                  return o == "MINMATCHLEN" ? pick({"0", "1", "2", "-1", "x"}) : std::string();
                });
    return command;
  }
  Command bit_range(Command command) {
    const std::size_t extra = below(4);
    if (extra >= 1) command.push_back(offset());
    if (extra >= 2) command.push_back(offset());
    if (extra >= 3) command.push_back(pick({"BYTE", "BIT", "bit", "x"}));
    return command;
  }
  Command copy(const std::string& k) {
    Command command = {"COPY", k, key()};
    add_options(command, {"DB", "REPLACE"}, [this](const std::string& o) {
      return o == "DB" ? pick({"0", "1", "16", "-1", "x"}) : std::string();
    });
    return command;
  }
  Command expire(const std::string& k) {
    Command command = {
        pick({"EXPIRE", "PEXPIRE"}), k,
        pick({"100000", "200000", "0", "-1", "x", "9223372036854775807", "50000000000000"})};
    for (std::size_t n = below(3); n > 0; --n)
      command.push_back(pick({"NX", "XX", "GT", "LT", "nx", "X"}));
    return command;
  }
  Command expire_at(const std::string& k) {
    Command command = {pick({"EXPIREAT", "PEXPIREAT"}), k,
                       pick({"4000000000", "4100000000", "4000000000000", "1", "0", "-1", "x"})};
    if (below(2) == 0) command.push_back(pick({"NX", "XX", "GT", "LT"}));
    return command;
  }

  std::mt19937_64 random_;
};

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](unsigned char x, unsigned char y) {
    return std::tolower(x) == std::tolower(y);
  });
}

// The reply with what may legitimately differ taken out: a positive time left or deadline
// becomes 1, a KEYS listing is sorted.
RespValue comparable(const Command& command, RespValue reply) {
  const std::string& name = command[0];
  if (reply.type == ':' && reply.integer > 0 &&
      (equals_ignore_case(name, "ttl") || equals_ignore_case(name, "pttl") ||
       equals_ignore_case(name, "expiretime") || equals_ignore_case(name, "pexpiretime"))) {
    reply.integer = 1;
  }
  if (equals_ignore_case(name, "keys")) {
    std::sort(reply.elements.begin(), reply.elements.end(),
              [](const RespValue& a, const RespValue& b) { return a.text < b.text; });
  }
  return reply;
}

// Every byte that matters of a reply: types, texts, numbers, nesting.
std::string render(const RespValue& value) {
  std::string out(1, value.type);
  if (value.null) return out + "null";
  out += escape_bytes(value.text) + "|" + std::to_string(value.integer);
  if (!value.elements.empty()) {
    out += "[";
    for (const RespValue& element : value.elements) out += render(element) + ",";
    out += "]";
  }
  return out;
}

// One connection to each server, fed the same commands; a transaction's queued commands are
// remembered so each reply in EXEC's array is compared as its command's.
class Differential {
 public:
  Differential(std::uint16_t keepdb_port, std::uint16_t redis_port)
      : keepdb_(keepdb_port), redis_(redis_port) {}

  // HELLO 3 on both connections; its reply names each server, so it is not compared.
  // Throws std::runtime_error when either refuses it.
  void use_resp3() {
    if (redis_.command({"HELLO", "3"}).type != '%' || keepdb_.command({"HELLO", "3"}).type != '%') {
      throw std::runtime_error("HELLO 3 was refused");
    }
  }

  // Sends `command` to both; "" when the replies agree, else what differs and the commands
  // that led there.
  std::string send(const Command& command) {
    recent_.push_back(command);
    if (recent_.size() > 40) recent_.pop_front();
    const RespValue expected = redis_.command(command);
    const RespValue actual = keepdb_.command(command);
    const std::string expected_text = render(compare_as(command, expected));
    const std::string actual_text = render(compare_as(command, actual));
    if (expected_text != actual_text) {
      std::string report = "Redis replied " + expected_text + "\nKeepDB replied " + actual_text +
                           "\nto the last of these commands, oldest first:\n";
      for (const Command& earlier : recent_) {
        for (const std::string& arg : earlier) report += "'" + escape_bytes(arg) + "' ";
        report += "\n";
      }
      return report;
    }
    track_transaction(command, expected);
    return "";
  }

 private:
  RespValue compare_as(const Command& command, RespValue reply) const {
    if (!equals_ignore_case(command[0], "exec") || reply.elements.size() != queued_.size()) {
      return comparable(command, std::move(reply));
    }
    for (std::size_t i = 0; i < queued_.size(); ++i) {
      reply.elements[i] = comparable(queued_[i], std::move(reply.elements[i]));
    }
    return reply;
  }

  void track_transaction(const Command& command, const RespValue& reply) {
    const std::string& name = command[0];
    if (equals_ignore_case(name, "multi") && reply.type == '+') {
      in_transaction_ = true;
      queued_.clear();
    } else if (equals_ignore_case(name, "exec") || equals_ignore_case(name, "discard")) {
      in_transaction_ = false;
    } else if (in_transaction_ && reply.type == '+' && reply.text == "QUEUED") {
      queued_.push_back(command);
    }
  }

  RawClient keepdb_;
  RawClient redis_;
  bool in_transaction_ = false;
  std::vector<Command> queued_;
  std::deque<Command> recent_;
};

}  // namespace

std::string check_against_redis(std::uint16_t keepdb_port, std::uint64_t seed, bool resp3,
                                int count) {
  ReferenceRedis redis;
  Differential servers(keepdb_port, redis.port());
  if (resp3) servers.use_resp3();
  if (std::string difference = servers.send({"FLUSHALL"}); !difference.empty()) return difference;
  CommandGenerator generator(seed);
  for (int i = 0; i < count; ++i) {
    if (std::string difference = servers.send(generator.next()); !difference.empty()) {
      return "seed " + std::to_string(seed) + (resp3 ? ", RESP3" : ", RESP2") + ", command " +
             std::to_string(i) + ": " + difference;
    }
  }
  return "";
}

}  // namespace keepdb::integration
