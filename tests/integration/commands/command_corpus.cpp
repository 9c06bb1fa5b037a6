// Corpus loading and redis-cli compatible argument splitting.
#include "tests/integration/commands/command_corpus.h"

#include <fstream>
#include <stdexcept>

#include "kernel/resp/request_parser.h"
#include "tests/integration/harness/resp_reader.h"

namespace keepdb::integration {

// Splits a corpus line the way redis-cli and an inline request are split (sdssplitargs),
// by handing it to keepd's own RESP parser as an inline command.
std::vector<std::string> split_command_line(std::string_view line) {
  resp::RequestParser parser(resp::RequestLimits{});
  const std::string request = std::string(line) + "\r\n";
  std::vector<std::string_view> args;
  const resp::ParseStatus status = parser.parse(request, args);
  if (status == resp::ParseStatus::kError) throw std::runtime_error(parser.error());
  if (status == resp::ParseStatus::kIncomplete) return {};  // a blank line
  return {args.begin(), args.end()};
}

std::vector<CorpusCommand> load_corpus(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read corpus " + file.string());
  std::vector<CorpusCommand> corpus;
  std::string text;
  for (int line = 1; std::getline(in, text); ++line) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos || text[first] == '#') continue;
    try {
      corpus.push_back({line, text, split_command_line(text)});
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(file.string() + ":" + std::to_string(line) + ": " + e.what());
    }
  }
  return corpus;
}

std::string corpus_as_cli_input(const std::vector<CorpusCommand>& corpus) {
  std::string input;
  for (const auto& command : corpus) input += command.text + "\n";
  return input;
}

std::filesystem::path integration_testdata(const std::string& name) {
  return std::filesystem::path(KEEPDB_SOURCE_DIR) / "tests/testdata/integration" / name;
}

std::string first_difference(std::string_view expected, std::string_view actual) {
  int line = 1;
  for (;;) {
    const std::size_t expected_end = std::min(expected.find('\n'), expected.size());
    const std::size_t actual_end = std::min(actual.find('\n'), actual.size());
    const std::string_view want = expected.substr(0, expected_end);
    const std::string_view got = actual.substr(0, actual_end);
    if (want != got) {
      return "line " + std::to_string(line) + ": expected '" + escape_bytes(want) + "', got '" +
             escape_bytes(got) + "'";
    }
    if (expected_end == expected.size() && actual_end == actual.size()) return "";
    if (expected_end == expected.size() || actual_end == actual.size()) {
      return "line " + std::to_string(line + 1) + ": one output ends here";
    }
    expected.remove_prefix(expected_end + 1);
    actual.remove_prefix(actual_end + 1);
    ++line;
  }
}

}  // namespace keepdb::integration
