// hearth convert HF_DIR -o OUT.gguf [--type f32|f16|bf16|q8_0|q4_k_m|...]: writes a llama.cpp-compatible GGUF,
// quantized with a mixture of format/quantize_mix.h when TYPE names one.
// Progress goes to stderr, one line per tensor; stdout stays empty.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "format/hf_to_gguf.h"
#include "util/error.h"

namespace hearth::cli {
namespace {

struct ConvertArgs {
  std::string input;
  std::string output;
  std::string type = "bf16";
  int threads = 0;
  bool quiet = false;
};

void run_convert(const ConvertArgs& args) {
  auto mix = find_quant_mix(args.type);
  require(mix.has_value(), "unsupported --type '{}' (expected one of: {})", args.type, quant_mix_names());
  ConvertOptions options;
  options.mix = *mix;
  options.threads = args.threads;
  if (!args.quiet) options.progress = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  ConvertResult r = convert_hf_to_gguf(args.input, args.output, options);
  if (!args.quiet)
    std::fprintf(stderr, "wrote %s: %lld tensors, %.1f MiB\n", args.output.c_str(), static_cast<long long>(r.tensors),
                 static_cast<double>(r.file_bytes) / (1024.0 * 1024.0));
}

}  // namespace

void add_convert_command(CLI::App& app) {
  auto args = std::make_shared<ConvertArgs>();
  CLI::App* cmd =
      app.add_subcommand("convert", "Convert a Hugging Face model folder to a GGUF file llama.cpp can load");
  cmd->add_option("HF_DIR", args->input, "Hugging Face model folder (config.json, *.safetensors, tokenizer.json)")
      ->required();
  cmd->add_option("-o,--output", args->output, "GGUF file to write")->required();
  cmd->add_option("--type", args->type,
                  "Type of the weight matrices: f32, f16, bf16, or a quantization mixture q8_0, q4_0, q4_k_s, q4_k_m, "
                  "q5_k_m, q6_k (norms, biases and the MoE router stay f32)")
      ->capture_default_str();
  cmd->add_option("-t,--threads", args->threads, "Encoding threads (default: one per core)");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress on stderr");
  cmd->callback([args] { run_convert(*args); });
}

}  // namespace hearth::cli
