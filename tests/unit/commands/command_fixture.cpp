// CommandFixture implementation: request admission, one-op write batches through the state
// machine, reads through the command table; RESP2 byte builders and the SCAN decoder.
#include "tests/unit/commands/command_fixture.h"

#include <stdexcept>

#include "kernel/commands/command.h"
#include "kernel/commands/command_table.h"
#include "kernel/commands/dispatcher.h"
#include "kernel/commands/op_batch.h"
#include "kernel/commands/transaction.h"
#include "kernel/resp/reply_writer.h"

namespace keepdb::test {

// MDB_NOSYNC: commits behave the same, minus the fsync the tests do not need.
CommandFixture::CommandFixture(std::uint64_t max_value_bytes)
    : env_(dir_.path(),
           storage::EnvOptions{.map_size_bytes = 64u << 20, .extra_flags = MDB_NOSYNC}),
      kv_(env_),
      state_machine_(kv_, max_value_bytes),
      max_value_bytes_(max_value_bytes) {
  reset();
}

void CommandFixture::reset() {
  config_ = config::Config{};
  node_.emplace(config_, kv_, nullptr, [this] { return now_ms_; });
  state_machine_.set_node_context(&*node_);
  session_ = commands::Session{};
  session_.authenticated = true;
  now_ms_ = kInitialNowMs;
  storage::WriteTxn txn(env_);
  kv_.clear_all(txn.get());
  kv_.set_clock_ms(txn.get(), 0);  // the state machine clock never runs back by itself
  txn.commit();
  applied_batches_.clear();
}

std::string CommandFixture::run(std::initializer_list<std::string_view> args) {
  return run(std::span(args.begin(), args.size()));
}

std::string CommandFixture::run(const std::vector<std::string>& args) {
  const std::vector<std::string_view> views(args.begin(), args.end());
  return run(std::span(views));
}

std::string CommandFixture::run(std::span<const std::string_view> args) {
  std::string out;
  resp::ReplyWriter writer(out, session_.protocol);
  const commands::Admission admission = commands::admit(args, session_);
  const commands::TransactionStep step = commands::transaction_step(admission, session_);
  if (admission.spec == nullptr) {
    writer.error(commands::refusal(session_, args, admission.error));
  } else if (step == commands::TransactionStep::kQueue) {
    commands::queue_command(*admission.spec, args, session_, config_.limits, writer);
  } else if (step == commands::TransactionStep::kExec) {
    const std::vector<std::string> op = commands::take_transaction_op(session_);
    const std::vector<std::string_view> op_args(op.begin(), op.end());
    commands::OpBatchBuilder builder(config_.storage.databases, max_value_bytes_);
    builder.add(op_args, session_.db);
    const auto replies = apply_one_op(builder.take(now_ms_));
    // As the connection does: a SELECT inside leaves the session in the database it named.
    if (session_.select_pending && replies.front().kind == commands::Reply::Kind::kEncoded) {
      session_.db = static_cast<std::uint8_t>(replies.front().integer);
    }
    session_.select_pending = false;
    replies.front().write_to(writer);
  } else if (admission.spec->proposes()) {
    commands::OpBatchBuilder builder(config_.storage.databases, max_value_bytes_);
    builder.add(args, session_.db);
    const auto replies = apply_one_op(builder.take(now_ms_));
    replies.front().write_to(writer);
  } else {
    // Only AUTH defers its reply, and the fixture runs no authenticator.
    commands::ExecContext context{
        .args = args, .out = writer, .session = session_, .node = *node_, .defer = {}};
    commands::run_immediate(*admission.spec, admission.subcommand, context);
    node_->end_read();
  }
  return out;
}

std::vector<commands::Reply> CommandFixture::apply_batch(std::string_view batch) {
  storage::WriteTxn txn(env_);
  std::vector<commands::Reply> replies = state_machine_.apply_batch(txn.get(), batch, next_index_);
  txn.commit();
  ++next_index_;
  applied_batches_.emplace_back(batch);
  return replies;
}

std::vector<commands::Reply> CommandFixture::apply_one_op(std::string_view batch) {
  std::vector<commands::Reply> replies = apply_batch(batch);
  if (replies.size() != 1) {
    throw std::logic_error("a one-op batch gave " + std::to_string(replies.size()) + " replies");
  }
  return replies;
}

void CommandFixture::put(std::string_view key, std::string_view payload,
                         std::uint64_t expires_at_ms, storage::Db db) {
  storage::WriteTxn txn(env_);
  kv_.put(txn.get(), db, key, payload, expires_at_ms);
  txn.commit();
}

std::optional<std::string> CommandFixture::stored_payload(std::string_view key, storage::Db db) {
  storage::ReadTxn txn(env_);
  txn.begin();
  const auto value = kv_.get(txn.get(), db, key);
  return value ? std::optional<std::string>(value->payload) : std::nullopt;
}

std::optional<std::uint64_t> CommandFixture::stored_expiry(std::string_view key) {
  storage::ReadTxn txn(env_);
  txn.begin();
  const auto value = kv_.get(txn.get(), 0, key);
  return value ? std::optional(value->expires_at_ms) : std::nullopt;
}

std::uint64_t CommandFixture::applied_index() {
  storage::ReadTxn txn(env_);
  txn.begin();
  return kv_.applied_index(txn.get());
}

namespace resp2 {

std::string bulk(std::string_view bytes) {
  return "$" + std::to_string(bytes.size()) + "\r\n" + std::string(bytes) + "\r\n";
}

std::string integer(std::int64_t value) {
  return ":" + std::to_string(value) + "\r\n";
}

std::string error(std::string_view text) {
  return "-" + std::string(text) + "\r\n";
}

std::string array(std::initializer_list<std::string> encoded_elements) {
  std::string out = "*" + std::to_string(encoded_elements.size()) + "\r\n";
  for (const std::string& element : encoded_elements) out += element;
  return out;
}

}  // namespace resp2

namespace {

// Reads "<prefix><decimal>\r\n" at `pos`.
std::optional<std::size_t> read_header(std::string_view reply, std::size_t& pos, char prefix) {
  if (pos >= reply.size() || reply[pos] != prefix) return std::nullopt;
  const std::size_t end = reply.find("\r\n", pos);
  if (end == std::string_view::npos || end == pos + 1) return std::nullopt;
  std::size_t value = 0;
  for (std::size_t i = pos + 1; i < end; ++i) {
    if (reply[i] < '0' || reply[i] > '9') return std::nullopt;
    value = value * 10 + static_cast<std::size_t>(reply[i] - '0');
  }
  pos = end + 2;
  return value;
}

std::optional<std::string> read_bulk(std::string_view reply, std::size_t& pos) {
  const auto length = read_header(reply, pos, '$');
  if (!length || reply.size() - pos < *length + 2 || reply.substr(pos + *length, 2) != "\r\n") {
    return std::nullopt;
  }
  std::string bytes(reply.substr(pos, *length));
  pos += *length + 2;
  return bytes;
}

}  // namespace

std::optional<ScanPage> parse_scan_reply(std::string_view reply) {
  std::size_t pos = 0;
  if (read_header(reply, pos, '*') != 2) return std::nullopt;
  ScanPage page;
  auto cursor = read_bulk(reply, pos);
  const auto count = cursor ? read_header(reply, pos, '*') : std::nullopt;
  if (!count) return std::nullopt;
  page.cursor = std::move(*cursor);
  for (std::size_t i = 0; i < *count; ++i) {
    auto key = read_bulk(reply, pos);
    if (!key) return std::nullopt;
    page.keys.push_back(std::move(*key));
  }
  if (pos != reply.size()) return std::nullopt;
  return page;
}

}  // namespace keepdb::test
