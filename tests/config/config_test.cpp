// config.yaml, HEARTH_* variables and flags: types, key paths in errors, precedence.
#include <gtest/gtest.h>

#include <fstream>

#include "config/config.h"
#include "config/option_table.h"
#include "config/value_parse.h"
#include "test_support.h"
#include "util/error.h"

namespace hearth::config {
namespace {

using test::TempDir;

// The message of the hearth::Error that `fn` throws ("" when it does not throw).
template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Config, DefaultsAreTheDocumentedOnes) {
  Config c = load_config({});
  EXPECT_EQ(c.engine.max_batch_tokens, 4096);
  EXPECT_EQ(c.engine.max_queue, 100);
  EXPECT_EQ(c.engine.precision, "auto");
  EXPECT_DOUBLE_EQ(c.engine.gpu_memory, 0.8);
  EXPECT_TRUE(c.engine.warmup);
  EXPECT_EQ(c.server.host, "127.0.0.1");
  EXPECT_EQ(c.server.port, 8080);
  EXPECT_TRUE(c.server.api_keys.empty());
  EXPECT_EQ(c.server.max_body_bytes, 16 << 20);
  EXPECT_LT(c.engine.keep_alive.count(), 0);  // never unload
}

TEST(Config, TheIssueExampleParses) {
  const std::string yaml =
      "engine:\n"
      "  max_batch_tokens: 4096   # tokens per forward step across all requests\n"
      "  precision: fp16          # fp32 | fp16 | bf16 | or a quantized GGUF's own types\n"
      "  gpu_memory: 0.8          # share of device memory Hearth may take\n"
      "prompt_template: |\n"
      "  <|im_start|>user\n"
      "  {{input}}<|im_end|>\n"
      "  <|im_start|>assistant\n";
  Config c = parse_config_yaml(yaml, "config.yaml");
  EXPECT_EQ(c.engine.max_batch_tokens, 4096);
  EXPECT_EQ(c.engine.precision, "fp16");
  EXPECT_DOUBLE_EQ(c.engine.gpu_memory, 0.8);
  EXPECT_EQ(c.prompt_template, "<|im_start|>user\n{{input}}<|im_end|>\n<|im_start|>assistant\n");
}

TEST(Config, EveryDocumentedKeyIsAccepted) {
  const std::string yaml =
      "model: /models/qwen3.gguf\n"
      "served_model_name: qwen3\n"
      "log_level: debug\n"
      "engine:\n"
      "  max_batch_tokens: 2048\n  precision: bf16\n  gpu_memory: 0.5\n  max_queue: 7\n  context: 8192\n"
      "  warmup: false\n  threads: 3\n  max_sequences: 9\n  block_size: 32\n  prefix_cache: off\n  device: cpu\n"
      "  keep_alive: 5m\n  overload_policy: shed_longest\n  overload_max_tokens: 64\n  retry_after: 3s\n"
      "server:\n"
      "  host: 0.0.0.0\n  port: 9000\n  api_keys: [k1, k2]\n  cors_origins: \"*\"\n  io_threads: 2\n"
      "  max_body_bytes: 1MiB\n  read_timeout: 10s\n  idle_timeout: 1m\n  write_timeout: 90s\n"
      "  shutdown_timeout: 0\n  max_connections: 10\n  access_log: no\n";
  Config c = parse_config_yaml(yaml, "config.yaml");
  EXPECT_EQ(c.model, "/models/qwen3.gguf");
  EXPECT_EQ(c.served_model_name, "qwen3");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.engine.max_batch_tokens, 2048);
  EXPECT_EQ(c.engine.precision, "bf16");
  EXPECT_EQ(c.engine.max_queue, 7);
  EXPECT_EQ(c.engine.context, 8192);
  EXPECT_FALSE(c.engine.warmup);
  EXPECT_EQ(c.engine.threads, 3);
  EXPECT_EQ(c.engine.max_sequences, 9);
  EXPECT_EQ(c.engine.block_size, 32);
  EXPECT_FALSE(c.engine.prefix_cache);
  EXPECT_EQ(c.engine.device, "cpu");
  EXPECT_EQ(c.engine.keep_alive, Duration(300'000));
  EXPECT_EQ(c.engine.overload_policy, OverloadPolicy::kShedLongest);
  EXPECT_EQ(c.engine.overload_max_tokens, 64);
  EXPECT_EQ(c.engine.retry_after, Duration(3000));
  EXPECT_EQ(c.server.host, "0.0.0.0");
  EXPECT_EQ(c.server.port, 9000);
  EXPECT_EQ(c.server.api_keys, (std::vector<std::string>{"k1", "k2"}));
  EXPECT_EQ(c.server.cors_origins, (std::vector<std::string>{"*"}));
  EXPECT_EQ(c.server.io_threads, 2);
  EXPECT_EQ(c.server.max_body_bytes, 1 << 20);
  EXPECT_EQ(c.server.read_timeout, Duration(10'000));
  EXPECT_EQ(c.server.idle_timeout, Duration(60'000));
  EXPECT_EQ(c.server.write_timeout, Duration(90'000));
  EXPECT_EQ(c.server.shutdown_timeout, Duration(0));
  EXPECT_EQ(c.server.max_connections, 10);
  EXPECT_FALSE(c.server.access_log);
}

TEST(Config, WrongTypeNamesTheKeyPathAndLine) {
  EXPECT_EQ(error_of([] { parse_config_yaml("engine:\n  max_batch_tokens: lots\n", "config.yaml"); }),
            "config.yaml:2: engine.max_batch_tokens: expected an integer, got \"lots\"");
  EXPECT_EQ(error_of([] { parse_config_yaml("engine:\n  gpu_memory: [1]\n", "c.yaml"); }),
            "c.yaml:2: engine.gpu_memory: expected a number, got a list");
  EXPECT_EQ(error_of([] { parse_config_yaml("server:\n  port: {a: 1}\n", "c.yaml"); }),
            "c.yaml:2: server.port: expected an integer, got a mapping");
  EXPECT_EQ(error_of([] { parse_config_yaml("engine:\n  warmup: maybe\n", "c.yaml"); }),
            "c.yaml:2: engine.warmup: expected true or false, got \"maybe\"");
  EXPECT_EQ(error_of([] { parse_config_yaml("engine:\n  max_batch_tokens: 1.5\n", "c.yaml"); }),
            "c.yaml:2: engine.max_batch_tokens: expected an integer, got \"1.5\"");
  EXPECT_EQ(error_of([] { parse_config_yaml("server:\n  api_keys: [[a]]\n", "c.yaml"); }),
            "c.yaml:2: server.api_keys: expected a list of strings, got a list");
}

TEST(Config, ValuesOutOfRangeAreRefused) {
  EXPECT_EQ(error_of([] { parse_config_yaml("server:\n  port: 70000\n", "c.yaml"); }),
            "c.yaml:2: server.port: must be between 0 and 65535, got 70000");
  EXPECT_EQ(error_of([] { parse_config_yaml("engine:\n  gpu_memory: 1.5\n", "c.yaml"); }),
            "c.yaml:2: engine.gpu_memory: must be in (0, 1], got \"1.5\"");
  EXPECT_EQ(error_of([] { parse_config_yaml("engine:\n  precision: fp8\n", "c.yaml"); }),
            "c.yaml:2: engine.precision: expected one of auto, fp32, fp16, bf16, got \"fp8\"");
  EXPECT_EQ(error_of([] { parse_config_yaml("engine:\n  max_queue: -1\n", "c.yaml"); }),
            "c.yaml:2: engine.max_queue: must be between 0 and 1000000, got -1");
  EXPECT_EQ(error_of([] { parse_config_yaml("server:\n  read_timeout: -5s\n", "c.yaml"); }),
            "c.yaml:2: server.read_timeout: must not be negative, got \"-5s\"");
}

TEST(Config, UnknownKeysAreErrorsWithAHint) {
  EXPECT_EQ(error_of([] { parse_config_yaml("engine:\n  max_batch_token: 1\n", "c.yaml"); }),
            "c.yaml:2: unknown key engine.max_batch_token (did you mean engine.max_batch_tokens?)");
  EXPECT_EQ(error_of([] { parse_config_yaml("max_queue: 5\n", "c.yaml"); }),
            "c.yaml:1: unknown key max_queue (did you mean engine.max_queue?)");
  EXPECT_EQ(error_of([] { parse_config_yaml("completely_unrelated_key: 1\n", "c.yaml"); }),
            "c.yaml:1: unknown key completely_unrelated_key");
  EXPECT_EQ(error_of([] { parse_config_yaml("engine: 5\n", "c.yaml"); }),
            "c.yaml:1: engine: expected a mapping, got \"5\"");
}

TEST(Config, AllProblemsAreReportedAtOnce) {
  const std::string msg = error_of([] { parse_config_yaml("engine:\n  max_queue: x\n  bogus: 1\n", "c.yaml"); });
  EXPECT_EQ(msg, "c.yaml:2: engine.max_queue: expected an integer, got \"x\"; c.yaml:3: unknown key engine.bogus");
}

TEST(Config, InvalidYamlSaysWhere) {
  const std::string msg = error_of([] { parse_config_yaml("engine:\n  max_queue: [1, 2\n", "c.yaml"); });
  EXPECT_EQ(msg.rfind("c.yaml:", 0), 0u) << msg;
  EXPECT_NE(msg.find("invalid YAML"), std::string::npos) << msg;
  EXPECT_EQ(error_of([] { parse_config_yaml("- a\n- b\n", "c.yaml"); }),
            "c.yaml: expected a mapping of keys at the top level, got a list");
}

TEST(Config, EmptyFileAndEmptyValuesKeepDefaults) {
  EXPECT_EQ(parse_config_yaml("", "c.yaml").engine.max_queue, 100);
  EXPECT_EQ(parse_config_yaml("engine:\n  max_queue:\n", "c.yaml").engine.max_queue, 100);
}

TEST(Config, PrecedenceIsFlagThenEnvThenFileThenDefault) {
  TempDir dir;
  const auto file = dir / "config.yaml";
  std::ofstream(file) << "server:\n  port: 1111\n  host: 10.0.0.1\nengine:\n  max_queue: 5\n";
  ConfigSources sources;
  sources.file = file.string();
  sources.env = {{"HEARTH_SERVER_PORT", "2222"}, {"HEARTH_ENGINE_MAX_QUEUE", "6"}};
  sources.flags = {{"server.port", {"3333"}}};
  Config c = load_config(sources);
  EXPECT_EQ(c.server.port, 3333);              // flag
  EXPECT_EQ(c.engine.max_queue, 6);            // env over file
  EXPECT_EQ(c.server.host, "10.0.0.1");        // file
  EXPECT_EQ(c.engine.max_batch_tokens, 4096);  // default
  sources.flags.clear();
  EXPECT_EQ(load_config(sources).server.port, 2222);
  sources.env.clear();
  EXPECT_EQ(load_config(sources).server.port, 1111);
}

TEST(Config, ConfigFileFromHearthConfigVariable) {
  TempDir dir;
  const auto file = dir / "c.yaml";
  std::ofstream(file) << "engine:\n  max_queue: 42\n";
  ConfigSources sources;
  sources.env = {{"HEARTH_CONFIG", file.string()}};
  EXPECT_EQ(load_config(sources).engine.max_queue, 42);
  sources.env = {{"HEARTH_CONFIG", (dir / "missing.yaml").string()}};
  EXPECT_NE(error_of([&] { load_config(sources); }).find("cannot read config file"), std::string::npos);
}

TEST(Config, EnvironmentAndFlagErrorsNameKeyAndSource) {
  ConfigSources sources;
  sources.env = {{"HEARTH_ENGINE_MAX_BATCH_TOKENS", "lots"}};
  EXPECT_EQ(error_of([&] { load_config(sources); }),
            "engine.max_batch_tokens (HEARTH_ENGINE_MAX_BATCH_TOKENS): expected an integer, got \"lots\"");
  sources.env.clear();
  sources.flags = {{"engine.max_batch_tokens", {"lots"}}};
  EXPECT_EQ(error_of([&] { load_config(sources); }),
            "engine.max_batch_tokens (--max-batch-tokens): expected an integer, got \"lots\"");
}

TEST(Config, ListsFromEnvironmentAreCommaSeparated) {
  ConfigSources sources;
  sources.env = {{"HEARTH_SERVER_API_KEYS", "a, b,,c"}};
  EXPECT_EQ(load_config(sources).server.api_keys, (std::vector<std::string>{"a", "b", "c"}));
  sources.env.clear();
  sources.flags = {{"server.cors_origins", {"http://x", "http://y"}}};
  EXPECT_EQ(load_config(sources).server.cors_origins, (std::vector<std::string>{"http://x", "http://y"}));
}

TEST(Config, EveryKeyHasADerivedEnvironmentVariableAndAFlag) {
  for (const auto& o : option_table()) {
    EXPECT_EQ(o.env, env_name_for(o.path));
    EXPECT_EQ(o.flag.rfind("--", 0), 0u) << o.path;
  }
  EXPECT_EQ(env_name_for("engine.max_batch_tokens"), "HEARTH_ENGINE_MAX_BATCH_TOKENS");
  EXPECT_EQ(env_name_for("prompt_template"), "HEARTH_PROMPT_TEMPLATE");
}

TEST(Config, DumpReadsBackToTheSameConfiguration) {
  Config c = parse_config_yaml(
      "engine:\n  keep_alive: 1h30m\n  overload_policy: cap_max_tokens\nserver:\n  max_body_bytes: 3MiB\n"
      "  cors_origins: [\"http://a\", \"http://b\"]\nprompt_template: \"line1\\n\\\"quoted\\\"\"\n",
      "c.yaml");
  Config back = parse_config_yaml(dump_config_yaml(c), "dump.yaml");
  EXPECT_EQ(back.engine.keep_alive, Duration(5'400'000));
  EXPECT_EQ(back.engine.overload_policy, OverloadPolicy::kCapMaxTokens);
  EXPECT_EQ(back.server.max_body_bytes, 3 << 20);
  EXPECT_EQ(back.server.cors_origins, c.server.cors_origins);
  EXPECT_EQ(back.prompt_template, "line1\n\"quoted\"");
}

TEST(Config, DumpRedactsApiKeys) {
  Config c;
  c.server.api_keys = {"sk-secret"};
  const std::string dump = dump_config_yaml(c);
  EXPECT_EQ(dump.find("sk-secret"), std::string::npos);
  EXPECT_NE(dump.find("api_keys: [\"<redacted>\"]"), std::string::npos) << dump;
}

TEST(ValueParse, Durations) {
  EXPECT_EQ(parse_duration(RawValue::of("30")), Duration(30'000));
  EXPECT_EQ(parse_duration(RawValue::of("1.5")), Duration(1'500));
  EXPECT_EQ(parse_duration(RawValue::of("500ms")), Duration(500));
  EXPECT_EQ(parse_duration(RawValue::of("5m")), Duration(300'000));
  EXPECT_EQ(parse_duration(RawValue::of("1h30m")), Duration(5'400'000));
  EXPECT_EQ(parse_duration(RawValue::of("-1")), Duration(-1));
  EXPECT_EQ(parse_duration(RawValue::of("-1m")), Duration(-1));
  EXPECT_THROW(parse_duration(RawValue::of("soon")), ValueError);
  EXPECT_THROW(parse_duration(RawValue::of("5 parsecs")), ValueError);
  EXPECT_THROW(parse_duration(RawValue::of("")), ValueError);
  EXPECT_EQ(format_duration(Duration(5'400'000)), "1h30m");
  EXPECT_EQ(format_duration(Duration(1'500)), "1500ms");
  EXPECT_EQ(format_duration(Duration(-1)), "-1");
}

TEST(ValueParse, Sizes) {
  EXPECT_EQ(parse_size(RawValue::of("1048576")), 1 << 20);
  EXPECT_EQ(parse_size(RawValue::of("16MiB")), 16 << 20);
  EXPECT_EQ(parse_size(RawValue::of("16m")), 16 << 20);
  EXPECT_EQ(parse_size(RawValue::of("2MB")), 2'000'000);
  EXPECT_EQ(parse_size(RawValue::of("1.5KiB")), 1536);
  EXPECT_THROW(parse_size(RawValue::of("big")), ValueError);
  EXPECT_THROW(parse_size(RawValue::of("1.3B")), ValueError);  // not a whole number of bytes
  EXPECT_EQ(format_size(16 << 20), "16MiB");
  EXPECT_EQ(format_size(1500), "1500");
}

TEST(ValueParse, Booleans) {
  for (const char* t : {"true", "True", "yes", "on", "1"}) EXPECT_TRUE(parse_bool(RawValue::of(t))) << t;
  for (const char* f : {"false", "no", "OFF", "0"}) EXPECT_FALSE(parse_bool(RawValue::of(f))) << f;
  EXPECT_THROW(parse_bool(RawValue::of("2")), ValueError);
}

}  // namespace
}  // namespace hearth::config
