// `sendpath diff` and `sendpath verify` as library entry points (the harness CLI parses the
// options and calls these). Both stream: one frame (pair) is read, checked and forgotten, so
// memory does not grow with the capture (the diff HTML keeps at most `html_limit` frames).
//
// Exit codes: 0 equivalent / all verified; 1 differs / a frame failed; 2 bad input (unreadable
// or malformed capture, bad SA file).
#pragma once

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace sendpath::report {

struct DiffCommandOptions {
  std::string expected_path;
  std::string actual_path;
  std::optional<std::string> sa_path;    // sendpath-sas/1: decrypt ESP and judge ICVs by verification
  std::vector<std::string> ignore;       // field-name globs
  bool ivs_dont_care = false;            // the candidate picks its own IVs
  std::optional<std::string> html_path;  // a report.html of the differing frames
  std::size_t max_printed = 100;         // differing frames described on `out`; the rest only counted
  std::size_t html_limit = 1000;         // differing frames kept for the HTML
};
int RunDiffCommand(const DiffCommandOptions& options, std::ostream& out, std::ostream& err);

struct VerifyCommandOptions {
  std::string capture_path;
  std::string sa_path;
  bool require_known_sa = false;  // an AH/ESP header with an unknown SPI fails the frame
  std::size_t max_printed = 100;
};
int RunVerifyCommand(const VerifyCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace sendpath::report
