#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace chrysalis::model {

// Shape and identity of a generated LLaMA-architecture test model. Zero means "derive".
struct TestModelOptions {
  uint32_t layers = 2;
  uint32_t dim = 64;        // embedding length
  uint32_t heads = 0;       // 0: dim / 16 (head size 16)
  uint32_t kv_heads = 0;    // 0: same as heads (no grouped-query attention)
  uint32_t ff_dim = 0;      // 0: 3 * dim
  uint32_t vocab = 1024;    // room for the byte tokens plus a few hundred English pieces
  uint32_t context = 2048;  // llama.context_length
  uint64_t seed = 42;
  bool f16 = false;  // store matrices as F16 instead of F32
  std::string name = "chrysalis-test";

  // Fills the derived fields and throws std::invalid_argument for impossible shapes.
  TestModelOptions resolved() const;
};

// Serialized GGUF v3 bytes of the test model: same options => same bytes.
std::vector<uint8_t> build_test_model(const TestModelOptions& opts);

// Writes build_test_model(opts) to `out` (atomically: temp file + rename).
void write_test_model(const TestModelOptions& opts, const std::filesystem::path& out);

}  // namespace chrysalis::model
