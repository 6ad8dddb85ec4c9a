// The generated test model: llama.cpp's required keys, tokenizer, tensor shapes, determinism.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <set>

#include "model/generated_model.h"
#include "model/generated_vocab.h"
#include "model/gguf_reader.h"
#include "support/temp_dir.h"

namespace chrysalis::model {
namespace {

TestModelOptions small_options(uint64_t seed = 42) {
  TestModelOptions o;
  o.layers = 2;
  o.dim = 32;
  o.vocab = 400;
  o.seed = seed;
  return o;
}

TEST(GgufTestModel, HyperparametersParseBack) {
  TestModelOptions o = small_options();
  o.context = 1024;
  const auto f = parse_gguf(build_test_model(o));
  EXPECT_EQ(f.version, 3u);
  EXPECT_EQ(f.at("general.architecture").as_string(), "llama");
  EXPECT_EQ(f.at("general.name").as_string(), "chrysalis-test");
  EXPECT_EQ(f.at("llama.block_count").as_uint(), 2u);
  EXPECT_EQ(f.at("llama.embedding_length").as_uint(), 32u);
  EXPECT_EQ(f.at("llama.context_length").as_uint(), 1024u);
  EXPECT_EQ(f.at("llama.feed_forward_length").as_uint(), 96u);
  EXPECT_EQ(f.at("llama.attention.head_count").as_uint(), 2u);
  EXPECT_EQ(f.at("llama.attention.head_count_kv").as_uint(), 2u);
  EXPECT_EQ(f.at("llama.rope.dimension_count").as_uint(), 16u);
  EXPECT_EQ(f.at("llama.vocab_size").as_uint(), 400u);
  EXPECT_NEAR(f.at("llama.attention.layer_norm_rms_epsilon").as_float(), 1e-5, 1e-9);
}

TEST(GgufTestModel, TokenizerIsSentencePieceWithByteFallback) {
  const auto f = parse_gguf(build_test_model(small_options()));
  EXPECT_EQ(f.at("tokenizer.ggml.model").as_string(), "llama");
  const auto& tokens = f.at("tokenizer.ggml.tokens").as_array();
  const auto& scores = f.at("tokenizer.ggml.scores").as_array();
  const auto& kinds = f.at("tokenizer.ggml.token_type").as_array();
  ASSERT_EQ(tokens.size(), 400u);
  ASSERT_EQ(scores.size(), tokens.size());
  ASSERT_EQ(kinds.size(), tokens.size());

  EXPECT_EQ(tokens[0].as_string(), "<unk>");
  EXPECT_EQ(tokens[1].as_string(), "<s>");
  EXPECT_EQ(tokens[2].as_string(), "</s>");
  EXPECT_EQ(tokens[3].as_string(), "<0x00>");
  EXPECT_EQ(tokens[3 + 0x0A].as_string(), "<0x0A>");
  EXPECT_EQ(tokens[258].as_string(), "<0xFF>");
  EXPECT_EQ(kinds[0].as_int(), int(gguf::TokenKind::Unknown));
  EXPECT_EQ(kinds[1].as_int(), int(gguf::TokenKind::Control));
  for (int i = 3; i < 259; ++i) EXPECT_EQ(kinds[i].as_int(), int(gguf::TokenKind::Byte)) << i;

  EXPECT_EQ(f.at("tokenizer.ggml.bos_token_id").as_uint(), 1u);
  EXPECT_EQ(f.at("tokenizer.ggml.eos_token_id").as_uint(), 2u);
  EXPECT_EQ(f.at("tokenizer.ggml.unknown_token_id").as_uint(), 0u);
  const auto eot = f.at("tokenizer.ggml.eot_token_id").as_uint();
  EXPECT_EQ(tokens.at(eot).as_string(), "<|im_end|>");

  std::set<std::string> unique;
  bool has_space_word = false;
  for (const auto& t : tokens) {
    unique.insert(t.as_string());
    has_space_word |= t.as_string() == "\xE2\x96\x81the";
  }
  EXPECT_EQ(unique.size(), tokens.size()) << "token texts must be unique";
  EXPECT_TRUE(has_space_word);

  // Normal pieces are ranked: strictly decreasing scores.
  for (size_t i = 262; i < tokens.size(); ++i) EXPECT_LT(scores[i].as_float(), scores[i - 1].as_float()) << i;

  const auto& tmpl = f.at("tokenizer.chat_template").as_string();
  EXPECT_NE(tmpl.find("<|im_start|>"), std::string::npos);
  EXPECT_NE(tmpl.find("add_generation_prompt"), std::string::npos);
}

TEST(GgufTestModel, TensorShapesSizesAndAlignment) {
  const auto o = small_options();
  const auto bytes = build_test_model(o);
  const auto f = parse_gguf(bytes);
  ASSERT_EQ(f.tensors.size(), 3u + 9u * o.layers);

  auto dims = [&](const std::string& name) {
    const auto* t = f.find_tensor(name);
    EXPECT_NE(t, nullptr) << name;
    return t ? t->dims : std::vector<uint64_t>{};
  };
  using D = std::vector<uint64_t>;
  EXPECT_EQ(dims("token_embd.weight"), (D{32, 400}));
  EXPECT_EQ(dims("output.weight"), (D{32, 400}));
  EXPECT_EQ(dims("output_norm.weight"), (D{32}));
  for (int l = 0; l < 2; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    EXPECT_EQ(dims(p + "attn_norm.weight"), (D{32}));
    EXPECT_EQ(dims(p + "attn_q.weight"), (D{32, 32}));
    EXPECT_EQ(dims(p + "attn_k.weight"), (D{32, 32}));
    EXPECT_EQ(dims(p + "attn_v.weight"), (D{32, 32}));
    EXPECT_EQ(dims(p + "attn_output.weight"), (D{32, 32}));
    EXPECT_EQ(dims(p + "ffn_norm.weight"), (D{32}));
    EXPECT_EQ(dims(p + "ffn_gate.weight"), (D{32, 96}));
    EXPECT_EQ(dims(p + "ffn_up.weight"), (D{32, 96}));
    EXPECT_EQ(dims(p + "ffn_down.weight"), (D{96, 32}));
  }

  // Tensors are laid out in order, each aligned, without overlap, and the file ends after the last.
  EXPECT_EQ(f.data_offset % 32, 0u);
  uint64_t expected_offset = 0;
  for (const auto& t : f.tensors) {
    EXPECT_EQ(t.type, 0u) << t.name;  // F32 by default
    EXPECT_EQ(t.offset, expected_offset) << t.name;
    uint64_t n = 1;
    for (auto d : t.dims) n *= d;
    expected_offset = gguf::align_up(t.offset + 4 * n, 32);
  }
  EXPECT_EQ(bytes.size(), f.data_offset + expected_offset);
}

TEST(GgufTestModel, SameSeedSameBytesOtherSeedOtherWeights) {
  const auto a = build_test_model(small_options(7));
  const auto b = build_test_model(small_options(7));
  const auto c = build_test_model(small_options(8));
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), c.size());  // same shapes...
  EXPECT_NE(a, c);                // ...different weights
  const auto fa = parse_gguf(a);
  // The header (everything before the data) does not depend on the seed.
  EXPECT_TRUE(std::equal(a.begin(), a.begin() + fa.data_offset, c.begin()));
}

TEST(GgufTestModel, WrittenFileMatchesBuiltBytes) {
  const test::TempDir tmp("gguf");
  const auto dir = tmp.path();
  const auto path = dir / "m.gguf";
  write_test_model(small_options(), path);
  EXPECT_EQ(read_file_bytes(path), build_test_model(small_options()));
  EXPECT_EQ(read_gguf(path).tensors.size(), 21u);
  EXPECT_FALSE(std::filesystem::exists(dir / "m.gguf.tmp"));
}

TEST(GgufTestModel, DefaultModelIsSmall) {
  const auto bytes = build_test_model(TestModelOptions{});
  EXPECT_LT(bytes.size(), 4u << 20);
  const auto f = parse_gguf(bytes);
  EXPECT_EQ(f.at("llama.embedding_length").as_uint(), 64u);
  EXPECT_EQ(f.at("llama.block_count").as_uint(), 2u);
  EXPECT_EQ(f.at("llama.context_length").as_uint(), 2048u);
}

TEST(GgufTestModel, F16StoresMatricesInHalfPrecision) {
  auto o = small_options();
  o.f16 = true;
  const auto f = parse_gguf(build_test_model(o));
  EXPECT_EQ(f.at("general.file_type").as_uint(), 1u);
  EXPECT_EQ(f.find_tensor("blk.0.attn_q.weight")->type, 1u);
  EXPECT_EQ(f.find_tensor("blk.0.attn_norm.weight")->type, 0u);  // norms stay F32
}

TEST(GgufTestModel, DiscouragedTokensGetANegativeLogitBias) {
  const auto o = small_options();
  const auto bytes = build_test_model(o);
  const auto f = parse_gguf(bytes);
  const auto* out = f.find_tensor("output.weight");
  auto weight = [&](uint32_t token, uint32_t channel) {
    float v;
    std::memcpy(&v, bytes.data() + f.data_offset + out->offset + 4 * (size_t{token} * o.dim + channel), 4);
    return v;
  };
  const auto vocab = build_test_vocab(o.vocab);
  EXPECT_LT(weight(vocab.eos_id, 0), -1.0f);
  EXPECT_LT(weight(3 + 0xC3, 0), -1.0f);    // <0xC3>: a lone UTF-8 lead byte
  EXPECT_EQ(weight(3 + 'a', 0), 0.0f);      // printable byte stays neutral
  EXPECT_EQ(weight(o.vocab - 1, 0), 0.0f);  // ordinary piece stays neutral
}

TEST(GgufTestModel, RejectsImpossibleShapes) {
  auto o = small_options();
  o.heads = 3;  // 32 not divisible by 3
  EXPECT_THROW(build_test_model(o), std::invalid_argument);
  o = small_options();
  o.vocab = 100;  // cannot even hold the byte tokens
  EXPECT_THROW(build_test_model(o), std::invalid_argument);
  o = small_options();
  o.layers = 0;
  EXPECT_THROW(build_test_model(o), std::invalid_argument);
  o = small_options();
  o.kv_heads = 3;
  EXPECT_THROW(build_test_model(o), std::invalid_argument);
}

}  // namespace
}  // namespace chrysalis::model
