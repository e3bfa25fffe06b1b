// Subcommand registry: each cmd_*.cc registers itself with a static CommandRegistration, so
// adding a command never touches main.cc. A command's setup adds its options to its CLI11
// subcommand and returns the function that runs it (returning the process exit code).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "mixq/base/context.h"
#include "mixq/base/status.h"

namespace mixq::cli {

using CommandRunner = std::function<int()>;
using CommandSetup = std::function<CommandRunner(CLI::App* sub)>;

struct CommandSpec {
  std::string name;
  std::string help;
  CommandSetup setup;
};

std::vector<CommandSpec>& CommandRegistry();

struct CommandRegistration {
  CommandRegistration(std::string name, std::string help, CommandSetup setup) {
    CommandRegistry().push_back({std::move(name), std::move(help), std::move(setup)});
  }
};

// --threads and --isa, shared by every command that computes.
struct ComputeOptions {
  int threads = 0;  // 0: all hardware threads
  std::string isa = "auto";
};
void AddComputeOptions(CLI::App* sub, ComputeOptions* options);
// Builds the Context; errors on an unknown or unsupported ISA.
Result<Context> MakeContext(const ComputeOptions& options);

// Prints "mixq: error: <message>" to stderr and returns exit code 1.
int ReportError(const Status& status);

}  // namespace mixq::cli
