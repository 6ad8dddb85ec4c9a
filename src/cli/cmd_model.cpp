// `chrysalis model ...`: tools for model files. Today: make-test, the tiny GGUF generator
// used by development, CI and the embedded engine's self-test (no model can be downloaded).
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "cli/commands.h"
#include "model/generated_model.h"
#include "model/generated_vocab.h"

namespace chrysalis::cli {

void register_model_commands(CLI::App& app) {
  auto* model = app.add_subcommand("model", "Model file tools");
  model->require_subcommand(1);

  auto* make = model->add_subcommand("make-test", "Write a small random LLaMA-architecture GGUF test model");
  auto opts = std::make_shared<model::TestModelOptions>();
  auto out = std::make_shared<std::string>();
  make->add_option("--out", *out, "Output GGUF file")->required();
  make->add_option("--layers", opts->layers, "Transformer blocks")->capture_default_str();
  make->add_option("--dim", opts->dim, "Embedding length")->capture_default_str();
  make->add_option("--heads", opts->heads, "Attention heads (0: dim/16)")->capture_default_str();
  make->add_option("--kv-heads", opts->kv_heads, "Key/value heads (0: same as heads)")->capture_default_str();
  make->add_option("--ff", opts->ff_dim, "Feed-forward length (0: 3*dim)")->capture_default_str();
  make->add_option("--vocab", opts->vocab, "Vocabulary size")
      ->check(CLI::Range(model::kMinTestVocabSize, model::kMaxTestVocabSize))
      ->capture_default_str();
  make->add_option("--context", opts->context, "Context length")->capture_default_str();
  make->add_option("--seed", opts->seed, "Weight seed (same seed => identical file)")->capture_default_str();
  make->add_option("--name", opts->name, "general.name")->capture_default_str();
  make->add_flag("--f16", opts->f16, "Store matrices as F16");

  make->callback([opts, out] {
    const std::filesystem::path path(*out);
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
    try {
      model::write_test_model(*opts, path);
    } catch (const std::invalid_argument& e) {
      throw CLI::ValidationError("make-test", e.what());  // bad shape: usage error, not a crash
    } catch (const std::exception& e) {
      throw CLI::RuntimeError(std::string("model make-test: ") + e.what(), 1);
    }
    std::cout << "wrote " << path.string() << " (" << std::filesystem::file_size(path) << " bytes)\n";
  });
}

}  // namespace chrysalis::cli
