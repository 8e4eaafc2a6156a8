// hearth quantize IN.gguf OUT.gguf TYPE [-t N] [--allow-requantize]: re-encodes a GGUF with a quantization
// mixture (format/quantize_mix.h). Progress goes to stderr, one line per tensor; stdout stays empty.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "format/quantize.h"
#include "util/error.h"

namespace hearth::cli {
namespace {

struct QuantizeArgs {
  std::string input;
  std::string output;
  std::string type;
  int threads = 0;
  bool allow_requantize = false;
  bool quiet = false;
};

void run_quantize(const QuantizeArgs& args) {
  auto mix = find_quant_mix(args.type);
  require(mix.has_value(), "unknown quantization type '{}' (expected one of: {})", args.type, quant_mix_names());
  QuantizeOptions options;
  options.mix = *mix;
  options.threads = args.threads;
  options.allow_requantize = args.allow_requantize;
  if (!args.quiet) options.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  QuantizeResult r = quantize_gguf(args.input, args.output, options);
  if (!args.quiet)
    std::fprintf(stderr, "wrote %s (%s): %lld tensors, %.1f MiB -> %.1f MiB\n", args.output.c_str(),
                 std::string(mix->name).c_str(), static_cast<long long>(r.tensors),
                 static_cast<double>(r.input_bytes) / (1024.0 * 1024.0),
                 static_cast<double>(r.output_bytes) / (1024.0 * 1024.0));
}

}  // namespace

void add_quantize_command(CLI::App& app) {
  auto args = std::make_shared<QuantizeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "quantize", "Re-encode a GGUF model with a quantization mixture (q8_0, q4_k_m, ...; see docs/quantization.md)");
  cmd->add_option("IN", args->input, "GGUF file to read (f32, f16 or bf16 matrices)")->required();
  cmd->add_option("OUT", args->output, "GGUF file to write")->required();
  cmd->add_option("TYPE", args->type, "f32, f16, bf16, q8_0, q4_0, q4_k_s, q4_k_m, q5_k_m or q6_k")->required();
  cmd->add_option("-t,--threads", args->threads, "Encoding threads (default: one per core)");
  cmd->add_flag("--allow-requantize", args->allow_requantize,
                "Accept an input whose matrices are already quantized (adds a second rounding error)");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress on stderr");
  cmd->callback([args] { run_quantize(*args); });
}

}  // namespace hearth::cli
