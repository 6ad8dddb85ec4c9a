#include "model/generated_model.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "model/chat_template.h"
#include "model/generated_vocab.h"
#include "model/gguf_writer.h"
#include "model/seeded_rng.h"

namespace chrysalis::model {

namespace {

// Embedding channel 0 holds a constant that no layer writes to (row 0 of attn_output and
// ffn_down is zero), so it survives to the output norm; column 0 of `output` then acts as a
// per-token logit bias. That is how the random model is kept from emitting control tokens
// and lone UTF-8 fragment bytes.
constexpr float kBiasChannelValue = 2.0f;
constexpr float kDiscouragedLogitWeight = -30.0f;

class WeightFactory {
 public:
  WeightFactory(uint64_t seed, gguf::TensorType matrix_type) : seed_(seed), matrix_type_(matrix_type) {}

  // Uniform noise with the given standard deviation (uniform[-a, a] has std a / sqrt(3)).
  std::vector<float> noise(const std::string& name, size_t count, float stddev) const {
    SeededRng rng(seed_ ^ fnv1a(name));
    const float amplitude = stddev * std::sqrt(3.0f);
    std::vector<float> out(count);
    for (auto& v : out) v = rng.symmetric() * amplitude;
    return out;
  }

  // Norm gains near 1 so every layer's normalisation stays well-conditioned.
  void add_norm(GgufWriter& w, const std::string& name, uint32_t dim) const {
    auto gains = noise(name, dim, 0.05f);
    for (auto& g : gains) g += 1.0f;
    w.add_tensor(name, {dim}, gguf::TensorType::F32, std::move(gains));  // ggml wants F32 norms
  }

  // A linear layer mapping `in` -> `out` features: ggml dims {in, out}, row r = output r.
  void add_linear(GgufWriter& w, const std::string& name, uint32_t in, uint32_t out, float stddev,
                  bool zero_row0 = false) const {
    auto data = noise(name, size_t{in} * out, stddev);
    if (zero_row0) std::fill(data.begin(), data.begin() + in, 0.0f);
    w.add_tensor(name, {in, out}, matrix_type_, std::move(data));
  }

  gguf::TensorType matrix_type() const { return matrix_type_; }

 private:
  uint64_t seed_;
  gguf::TensorType matrix_type_;
};

void add_hyperparameters(GgufWriter& w, const TestModelOptions& o) {
  w.add_string("general.architecture", "llama");
  w.add_string("general.name", o.name);
  w.add_uint32("general.file_type", o.f16 ? 1 : 0);  // 0 = all F32, 1 = mostly F16
  w.add_uint32("llama.vocab_size", o.vocab);
  w.add_uint32("llama.context_length", o.context);
  w.add_uint32("llama.embedding_length", o.dim);
  w.add_uint32("llama.block_count", o.layers);
  w.add_uint32("llama.feed_forward_length", o.ff_dim);
  w.add_uint32("llama.attention.head_count", o.heads);
  w.add_uint32("llama.attention.head_count_kv", o.kv_heads);
  w.add_float32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.add_uint32("llama.rope.dimension_count", o.dim / o.heads);
  w.add_float32("llama.rope.freq_base", 10000.0f);
}

void add_tokenizer(GgufWriter& w, const TestVocab& v) {
  w.add_string("tokenizer.ggml.model", "llama");  // SentencePiece with byte fallback
  w.add_string_array("tokenizer.ggml.tokens", v.tokens);
  w.add_float32_array("tokenizer.ggml.scores", v.scores);
  std::vector<int32_t> kinds;
  for (auto k : v.kinds) kinds.push_back(static_cast<int32_t>(k));
  w.add_int32_array("tokenizer.ggml.token_type", kinds);
  w.add_uint32("tokenizer.ggml.bos_token_id", v.bos_id);
  w.add_uint32("tokenizer.ggml.eos_token_id", v.eos_id);
  w.add_uint32("tokenizer.ggml.unknown_token_id", v.unk_id);
  w.add_uint32("tokenizer.ggml.padding_token_id", v.unk_id);
  w.add_uint32("tokenizer.ggml.eot_token_id", v.im_end_id);  // ends a chat turn
  w.add_bool("tokenizer.ggml.add_bos_token", true);
  w.add_bool("tokenizer.ggml.add_eos_token", false);
  w.add_string("tokenizer.chat_template", kChatMlTemplate);
}

void add_weights(GgufWriter& w, const TestModelOptions& o, const TestVocab& vocab) {
  const WeightFactory f(o.seed, o.f16 ? gguf::TensorType::F16 : gguf::TensorType::F32);
  const uint32_t head_dim = o.dim / o.heads;
  const uint32_t q_dim = o.heads * head_dim;
  const uint32_t kv_dim = o.kv_heads * head_dim;
  const float in_std = 1.0f / std::sqrt(static_cast<float>(o.dim));

  auto embd = f.noise("token_embd.weight", size_t{o.dim} * o.vocab, 1.0f);
  for (uint32_t t = 0; t < o.vocab; ++t) embd[size_t{t} * o.dim] = kBiasChannelValue;
  w.add_tensor("token_embd.weight", {o.dim, o.vocab}, f.matrix_type(), std::move(embd));

  for (uint32_t l = 0; l < o.layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    f.add_norm(w, p + "attn_norm.weight", o.dim);
    f.add_linear(w, p + "attn_q.weight", o.dim, q_dim, in_std);
    f.add_linear(w, p + "attn_k.weight", o.dim, kv_dim, in_std);
    f.add_linear(w, p + "attn_v.weight", o.dim, kv_dim, in_std);
    f.add_linear(w, p + "attn_output.weight", q_dim, o.dim, 0.5f / std::sqrt(float(q_dim)), true);
    f.add_norm(w, p + "ffn_norm.weight", o.dim);
    f.add_linear(w, p + "ffn_gate.weight", o.dim, o.ff_dim, in_std);
    f.add_linear(w, p + "ffn_up.weight", o.dim, o.ff_dim, in_std);
    f.add_linear(w, p + "ffn_down.weight", o.ff_dim, o.dim, 0.5f / std::sqrt(float(o.ff_dim)), true);
  }
  f.add_norm(w, "output_norm.weight", o.dim);

  // Logit spread of about 2.5 nats: peaked enough that greedy and sampled output differ.
  auto out = f.noise("output.weight", size_t{o.dim} * o.vocab, 2.5f * in_std);
  for (uint32_t t = 0; t < o.vocab; ++t) out[size_t{t} * o.dim] = 0.0f;
  for (uint32_t t : vocab.discouraged_ids()) out[size_t{t} * o.dim] = kDiscouragedLogitWeight;
  w.add_tensor("output.weight", {o.dim, o.vocab}, f.matrix_type(), std::move(out));
}

GgufWriter assemble(const TestModelOptions& opts) {
  const auto o = opts.resolved();
  const auto vocab = build_test_vocab(o.vocab);
  GgufWriter w;
  add_hyperparameters(w, o);
  add_tokenizer(w, vocab);
  add_weights(w, o, vocab);
  return w;
}

}  // namespace

TestModelOptions TestModelOptions::resolved() const {
  TestModelOptions o = *this;
  auto fail = [](const std::string& why) { throw std::invalid_argument("test model: " + why); };
  if (o.layers < 1 || o.layers > 64) fail("layers must be in [1, 64]");
  if (o.dim < 16 || o.dim > 4096) fail("dim must be in [16, 4096]");
  if (o.heads == 0) o.heads = std::max(1u, o.dim / 16);
  if (o.kv_heads == 0) o.kv_heads = o.heads;
  if (o.ff_dim == 0) o.ff_dim = 3 * o.dim;
  if (o.dim % o.heads != 0) fail("dim must be a multiple of heads");
  if ((o.dim / o.heads) % 2 != 0) fail("head size (dim / heads) must be even for RoPE");
  if (o.kv_heads > o.heads || o.heads % o.kv_heads != 0) fail("heads must be a multiple of kv_heads");
  if (o.context < 16) fail("context must be at least 16");
  if (o.name.empty()) fail("name must not be empty");
  return o;
}

std::vector<uint8_t> build_test_model(const TestModelOptions& opts) { return assemble(opts).serialize(); }

void write_test_model(const TestModelOptions& opts, const std::filesystem::path& out) { assemble(opts).write_to(out); }

}  // namespace chrysalis::model
