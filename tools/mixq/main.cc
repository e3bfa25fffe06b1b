// mixq: one binary, one subcommand per file (cmd_*.cc), registered through command.h.
#include <algorithm>
#include <cstdio>
#include <map>

#include "command.h"

int main(int argc, char** argv) {
  CLI::App app{"mixq: mixed-precision quantization workbench for LLMs on edge devices"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mixq 0.1.0");

  auto& registry = mixq::cli::CommandRegistry();
  std::sort(registry.begin(), registry.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::map<CLI::App*, mixq::cli::CommandRunner> runners;
  for (const auto& spec : registry) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.help);
    runners[sub] = spec.setup(sub);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (auto& [sub, run] : runners)
    if (sub->parsed()) return run();
  return 1;
}
