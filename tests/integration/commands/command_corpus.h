// Command corpora kept in tests/testdata/integration: one command per line, split as
// redis-cli splits its input (Redis's sdssplitargs), so the same file can be sent over a
// raw socket and piped into redis-cli.
//
// Thread-safety: pure functions.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace keepdb::integration {

struct CorpusCommand {
  int line = 0;                   // 1-based line in the file, for failure messages
  std::string text;               // the line as written
  std::vector<std::string> args;  // after splitting
};

// Splits a line like sdssplitargs; throws std::runtime_error on unbalanced quotes.
std::vector<std::string> split_command_line(std::string_view line);

// Every command of a corpus file (comments and blank lines dropped).
std::vector<CorpusCommand> load_corpus(const std::filesystem::path& file);

// The corpus's command lines only, newline-terminated: what to feed redis-cli.
std::string corpus_as_cli_input(const std::vector<CorpusCommand>& corpus);

// tests/testdata/integration/<name>
std::filesystem::path integration_testdata(const std::string& name);

// "" if the texts are equal, else where they first differ, line by line, for a failure
// message: "line 12: expected '...', got '...'".
std::string first_difference(std::string_view expected, std::string_view actual);

}  // namespace keepdb::integration
