// Transcript files: parsing cases, checking outputs, rewriting expected outputs.
#include "tests/unit/write/transcript.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace keepdb::testing {
namespace {

struct Case {
  std::size_t first_line = 0;  // 1-based, of the first command
  std::vector<TranscriptCommand> commands;
  std::size_t output_begin = 0;  // 0-based line index range of the expected output
  std::size_t output_end = 0;
  std::string expected;
};

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot open " + path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(file, line);) lines.push_back(line);
  return lines;
}

std::vector<Case> parse_cases(const std::string& path, const std::vector<std::string>& lines) {
  std::vector<Case> cases;
  std::size_t i = 0;
  while (i < lines.size()) {
    if (lines[i].empty() || lines[i][0] == '#') {
      ++i;
      continue;
    }
    Case one;
    one.first_line = i + 1;
    for (; i < lines.size() && lines[i] != "----"; ++i) {
      if (lines[i].empty()) {
        throw std::runtime_error(path + ":" + std::to_string(i + 1) +
                                 ": blank line before the case's ---- line");
      }
      if (lines[i][0] != '#') one.commands.push_back(parse_transcript_command(lines[i]));
    }
    if (i == lines.size()) {
      throw std::runtime_error(path + ":" + std::to_string(one.first_line) + ": case without ----");
    }
    ++i;  // the ---- line
    one.output_begin = i;
    for (; i < lines.size() && !lines[i].empty(); ++i) {
      if (i != one.output_begin) one.expected += '\n';
      one.expected += lines[i];
    }
    one.output_end = i;
    cases.push_back(std::move(one));
  }
  return cases;
}

}  // namespace

const std::string& TranscriptCommand::option(const std::string& key) const {
  const auto found = options.find(key);
  if (found == options.end()) throw std::invalid_argument("'" + line + "' needs " + key + "=");
  return found->second;
}

std::string TranscriptCommand::option_or(const std::string& key, const std::string& fallback) const {
  const auto found = options.find(key);
  return found == options.end() ? fallback : found->second;
}

TranscriptCommand parse_transcript_command(const std::string& line) {
  TranscriptCommand command;
  command.line = line;
  std::istringstream words(line);
  words >> command.name;
  for (std::string word; words >> word;) {
    command.args.push_back(word);
    const auto equals = word.find('=');
    if (equals != std::string::npos && equals != 0) {
      command.options[word.substr(0, equals)] = word.substr(equals + 1);
    }
  }
  return command;
}

void run_transcript(const std::string& path,
                    const std::function<std::string(const std::vector<TranscriptCommand>&)>& run) {
  std::vector<std::string> lines = read_lines(path);
  const std::vector<Case> cases = parse_cases(path, lines);
  const char* rewrite = std::getenv("KEEPDB_REWRITE_TESTDATA");
  const bool rewriting = rewrite != nullptr && std::string(rewrite) == "1";
  std::vector<std::string> actual_outputs;
  for (const Case& one : cases) {
    std::string actual;
    try {
      actual = run(one.commands);
    } catch (const std::exception& e) {
      FAIL(path << ":" << one.first_line << ": " << e.what());
    }
    actual_outputs.push_back(actual);
    if (rewriting) continue;
    INFO(path << ":" << one.first_line << ": " << one.commands.front().line);
    CHECK(actual == one.expected);
  }
  if (!rewriting) return;
  std::ostringstream out;
  std::size_t next = 0;
  for (std::size_t c = 0; c < cases.size(); ++c) {
    for (; next < cases[c].output_begin; ++next) out << lines[next] << '\n';
    if (!actual_outputs[c].empty()) out << actual_outputs[c] << '\n';
    next = cases[c].output_end;
  }
  for (; next < lines.size(); ++next) out << lines[next] << '\n';
  std::ofstream(path, std::ios::trunc) << out.str();
  WARN("rewrote " << path);
}

}  // namespace keepdb::testing
