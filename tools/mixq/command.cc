#include "command.h"

#include <cstdio>

namespace mixq::cli {

std::vector<CommandSpec>& CommandRegistry() {
  static std::vector<CommandSpec> registry;
  return registry;
}

void AddComputeOptions(CLI::App* sub, ComputeOptions* options) {
  sub->add_option("-t,--threads", options->threads, "worker threads (0: all hardware threads)");
  sub->add_option("--isa", options->isa, "instruction set: auto, ref, avx2, avx512");
}

Result<Context> MakeContext(const ComputeOptions& options) {
  Context ctx = Context::Default();
  if (options.threads < 0) return Err("--threads must be >= 0, got {}", options.threads);
  if (options.threads > 0) ctx.SetThreads(options.threads);
  if (options.isa != "auto") {
    Isa isa;
    if (!ParseIsa(options.isa, &isa)) return Err("--isa: unknown instruction set '{}' (ref, avx2, avx512)", options.isa);
    if (!IsaSupported(isa)) return Err("--isa: this CPU does not support {}", options.isa);
    ctx.isa = isa;
  }
  return ctx;
}

int ReportError(const Status& status) {
  std::fprintf(stderr, "mixq: error: %s\n", status.message().c_str());
  return 1;
}

}  // namespace mixq::cli
