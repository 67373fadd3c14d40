// CLI11 wiring of `diff` and `verify`, so the `sendpath` CLI (harness/main.cc) and the
// stand-alone `sendpath-capture` tool share one definition of the options:
//
//   diff EXPECTED ACTUAL [--sa SAS.json] [--ignore FIELD...] [--ivs-dont-care] [--html FILE] [--max-printed N]
//   verify CAPTURE --sa SAS.json [--require-known-sa] [--max-printed N]
#pragma once

#include <CLI/CLI.hpp>

namespace sendpath::report {

// Adds the subcommand to `app`; when it is chosen and parsing succeeded, the callback runs the
// command on std::cout/std::cerr and stores its exit code (0/1/2) in `exit_code`.
CLI::App* AddDiffSubcommand(CLI::App& app, int& exit_code);
CLI::App* AddVerifySubcommand(CLI::App& app, int& exit_code);

}  // namespace sendpath::report
