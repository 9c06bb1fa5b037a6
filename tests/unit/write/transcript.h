// Data-driven transcripts (after etcd's raft tests): a text file of cases, each some command
// lines, a "----" line, and the output they must produce, up to a blank line:
//
//   # A comment, kept as is.
//   write n1 c1 INCR x
//   run 3ms
//   ----
//   0.000 n1 batch: INCR x
//   2.000 n1 c1 <- :1
//
// run_transcript() runs the cases in order through `run` (one call per case, with its
// command lines) and checks each output; a mismatch names the file and line. With the
// environment variable KEEPDB_REWRITE_TESTDATA=1 it writes the outputs into the file
// instead (then read the diff: the file is the specification).
//
// Thread-safety: the test's thread only.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace keepdb::testing {

// One command line split on spaces: the name, every following word, and the words of the
// form key=value as options too.
struct TranscriptCommand {
  std::string name;
  std::vector<std::string> args;  // every word after the name, options included
  std::map<std::string, std::string> options;
  std::string line;  // as written

  // Throws std::invalid_argument naming the line when the option is missing.
  const std::string& option(const std::string& key) const;
  std::string option_or(const std::string& key, const std::string& fallback) const;
};

TranscriptCommand parse_transcript_command(const std::string& line);

// Runs every case of the file at `path`. `run` gets a case's commands and returns its
// output: lines joined with '\n', no trailing newline.
void run_transcript(const std::string& path,
                    const std::function<std::string(const std::vector<TranscriptCommand>&)>& run);

}  // namespace keepdb::testing
