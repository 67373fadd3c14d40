#include "reports/commands_cli.h"

#include "reports/commands.h"

#include <iostream>
#include <memory>

namespace sendpath::report {

CLI::App* AddDiffSubcommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<DiffCommandOptions>();
  auto html = std::make_shared<std::string>();
  auto sa = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand("diff", "Field-level diff of two captures, frame by frame (exit 0 equivalent, 1 differ, 2 bad input)");
  command->add_option("EXPECTED", options->expected_path, "expected capture (pcap or pcapng)")->required();
  command->add_option("ACTUAL", options->actual_path, "actual capture (pcap or pcapng)")->required();
  command->add_option("--sa", *sa, "sendpath-sas/1 file: decrypt ESP, judge ICVs by verification when IVs differ");
  command->add_option("--ignore", options->ignore, "field-name glob to ignore (repeatable), e.g. 'ipv4*.id' or '*.iv'");
  command->add_flag("--ivs-dont-care", options->ivs_dont_care, "the NIC picks its own IVs: IV fields are don't-care");
  command->add_option("--html", *html, "write an HTML report of the differing frames");
  command->add_option("--max-printed", options->max_printed, "differing frames described in full (default 100)");
  command->callback([options, html, sa, &exit_code] {
    if (!html->empty()) options->html_path = *html;
    if (!sa->empty()) options->sa_path = *sa;
    exit_code = RunDiffCommand(*options, std::cout, std::cerr);
  });
  return command;
}

CLI::App* AddVerifySubcommand(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<VerifyCommandOptions>();
  CLI::App* command = app.add_subcommand("verify", "Receive-side check of a capture: every ESP/AH packet of a known SA decrypts and verifies (exit 0 ok, 1 failure, 2 bad input)");
  command->add_option("CAPTURE", options->capture_path, "capture (pcap or pcapng)")->required();
  command->add_option("--sa", options->sa_path, "sendpath-sas/1 file with the SAs")->required();
  command->add_flag("--require-known-sa", options->require_known_sa, "fail frames whose AH/ESP SPI no SA has");
  command->add_option("--max-printed", options->max_printed, "failing frames described in full (default 100)");
  command->callback([options, &exit_code] { exit_code = RunVerifyCommand(*options, std::cout, std::cerr); });
  return command;
}

}  // namespace sendpath::report
