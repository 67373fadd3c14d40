// sendpath-capture: the `diff` and `verify` commands on their own, for rigs that have captures
// but no vector suite. The same subcommands are part of the `sendpath` CLI.
#include "reports/commands_cli.h"

int main(int argc, char** argv) {
  CLI::App app{"sendpath capture tools: field-level diff and receive-side verify of pcap/pcapng captures"};
  app.require_subcommand(1);
  int exit_code = 0;
  sendpath::report::AddDiffSubcommand(app, exit_code);
  sendpath::report::AddVerifySubcommand(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : 2;  // usage errors are bad input
  }
  return exit_code;
}
