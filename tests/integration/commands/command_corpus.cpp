// Corpus loading and redis-cli compatible argument splitting.
#include "tests/integration/commands/command_corpus.h"

#include <cctype>
#include <fstream>
#include <stdexcept>

namespace keepdb::integration {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char unescape(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\a';
    default:
      return c;
  }
}

// Reads one double-quoted argument starting after the opening quote; advances `i` past the
// closing quote.
std::string read_double_quoted(std::string_view line, std::size_t& i) {
  std::string arg;
  for (;;) {
    if (i >= line.size()) throw std::runtime_error("unbalanced quotes");
    const char c = line[i];
    if (c == '\\' && i + 3 < line.size() && line[i + 1] == 'x' && hex_value(line[i + 2]) >= 0 &&
        hex_value(line[i + 3]) >= 0) {
      arg += static_cast<char>(hex_value(line[i + 2]) * 16 + hex_value(line[i + 3]));
      i += 4;
    } else if (c == '\\' && i + 1 < line.size()) {
      arg += unescape(line[i + 1]);
      i += 2;
    } else if (c == '"') {
      ++i;
      return arg;
    } else {
      arg += c;
      ++i;
    }
  }
}

std::string read_single_quoted(std::string_view line, std::size_t& i) {
  std::string arg;
  for (;;) {
    if (i >= line.size()) throw std::runtime_error("unbalanced quotes");
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '\'') {
      arg += '\'';
      i += 2;
    } else if (line[i] == '\'') {
      ++i;
      return arg;
    } else {
      arg += line[i++];
    }
  }
}

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

}  // namespace

std::vector<std::string> split_command_line(std::string_view line) {
  std::vector<std::string> args;
  std::size_t i = 0;
  for (;;) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i >= line.size()) return args;
    std::string arg;
    while (i < line.size() && !is_space(line[i])) {
      const char c = line[i++];
      if (c == '"') {
        arg += read_double_quoted(line, i);
      } else if (c == '\'') {
        arg += read_single_quoted(line, i);
      } else {
        arg += c;
        continue;
      }
      // sdssplitargs: a closing quote must be followed by a space or the end.
      if (i < line.size() && !is_space(line[i])) {
        throw std::runtime_error("closing quote must be followed by a space");
      }
    }
    args.push_back(std::move(arg));
  }
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

std::string escape_bytes(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (byte < 0x20 || byte >= 0x7f) {
      out += std::string("\\x") + kHex[byte >> 4] + kHex[byte & 15];
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace keepdb::integration
