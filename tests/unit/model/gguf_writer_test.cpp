// Container-level checks of the GGUF writer/reader pair: header, value types, alignment.
#include <gtest/gtest.h>

#include <cstring>

#include "model/gguf_reader.h"
#include "model/gguf_writer.h"
#include "model/half_float.h"

namespace chrysalis::model {
namespace {

TEST(GgufWriter, HeaderAndValuesRoundTrip) {
  GgufWriter w;
  w.add_string("general.architecture", "llama");
  w.add_uint32("answer", 42);
  w.add_int32("negative", -7);
  w.add_float32("eps", 1e-5f);
  w.add_bool("flag", true);
  w.add_string_array("words", {"a",
                               "\xE2\x96\x81"
                               "b",
                               ""});
  w.add_float32_array("scores", {0.0f, -1.5f});
  w.add_int32_array("kinds", {1, 6});
  w.add_tensor("t", {3, 2}, gguf::TensorType::F32, {1, 2, 3, 4, 5, 6});

  const auto bytes = w.serialize();
  ASSERT_GE(bytes.size(), 24u);
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 4), "GGUF");

  const auto f = parse_gguf(bytes);
  EXPECT_EQ(f.version, 3u);
  EXPECT_EQ(f.kv.size(), 8u);
  EXPECT_EQ(f.kv_order.front(), "general.architecture");
  EXPECT_EQ(f.at("general.architecture").as_string(), "llama");
  EXPECT_EQ(f.at("answer").as_uint(), 42u);
  EXPECT_EQ(f.at("answer").type, gguf::ValueType::UInt32);
  EXPECT_EQ(f.at("negative").as_int(), -7);
  EXPECT_FLOAT_EQ(static_cast<float>(f.at("eps").as_float()), 1e-5f);
  EXPECT_TRUE(f.at("flag").as_bool());
  ASSERT_EQ(f.at("words").as_array().size(), 3u);
  EXPECT_EQ(f.at("words").as_array()[1].as_string(),
            "\xE2\x96\x81"
            "b");
  EXPECT_EQ(f.at("words").as_array()[2].as_string(), "");
  EXPECT_DOUBLE_EQ(f.at("scores").as_array()[1].as_float(), -1.5);
  EXPECT_EQ(f.at("kinds").as_array()[1].as_int(), 6);
  EXPECT_THROW(f.at("missing"), std::out_of_range);
  EXPECT_THROW(f.at("general.architecture").as_uint(), std::runtime_error);

  ASSERT_EQ(f.tensors.size(), 1u);
  EXPECT_EQ(f.tensors[0].name, "t");
  EXPECT_EQ(f.tensors[0].dims, (std::vector<uint64_t>{3, 2}));
  EXPECT_EQ(f.tensors[0].offset, 0u);
}

TEST(GgufWriter, TensorDataIsAlignedAndExact) {
  GgufWriter w;
  w.add_string("k", "odd length value to misalign the header");
  w.add_tensor("a", {5}, gguf::TensorType::F32, {1, 2, 3, 4, 5});      // 20 bytes -> padded to 32
  w.add_tensor("b", {3}, gguf::TensorType::F32, {-1.0f, 0.5f, 8.0f});  // starts at offset 32
  w.add_tensor("c", {4}, gguf::TensorType::F16, {1.0f, -2.0f, 0.0f, 65504.0f});
  const auto bytes = w.serialize();
  const auto f = parse_gguf(bytes);

  EXPECT_EQ(f.data_offset % 32, 0u);
  EXPECT_EQ(bytes.size() % 32, 0u);
  ASSERT_EQ(f.tensors.size(), 3u);
  EXPECT_EQ(f.tensors[1].offset, 32u);
  EXPECT_EQ(f.tensors[2].offset, 64u);
  EXPECT_EQ(f.tensors[2].type, static_cast<uint32_t>(gguf::TensorType::F16));

  float b[3];
  std::memcpy(b, bytes.data() + f.data_offset + f.tensors[1].offset, sizeof b);
  EXPECT_EQ(b[0], -1.0f);
  EXPECT_EQ(b[1], 0.5f);
  EXPECT_EQ(b[2], 8.0f);

  uint16_t c[4];
  std::memcpy(c, bytes.data() + f.data_offset + f.tensors[2].offset, sizeof c);
  EXPECT_EQ(c[0], 0x3C00);
  EXPECT_EQ(c[1], 0xC000);
  EXPECT_EQ(c[2], 0x0000);
  EXPECT_EQ(c[3], 0x7BFF);
  // Padding after tensor "a" (bytes 20..31 of the data section) is zero-filled.
  for (uint64_t i = 20; i < 32; ++i) EXPECT_EQ(bytes[f.data_offset + i], 0) << i;
}

TEST(GgufWriter, RejectsMismatchedTensor) {
  GgufWriter w;
  EXPECT_THROW(w.add_tensor("x", {2, 2}, gguf::TensorType::F32, {1, 2, 3}), std::invalid_argument);
  EXPECT_THROW(GgufWriter(24), std::invalid_argument);
}

TEST(GgufReader, RejectsGarbageAndTruncation) {
  EXPECT_THROW(parse_gguf({'G', 'G', 'U', 'X', 3, 0, 0, 0}), std::runtime_error);
  GgufWriter w;
  w.add_string("general.name", "x");
  auto bytes = w.serialize();
  bytes.resize(30);
  EXPECT_THROW(parse_gguf(bytes), TruncatedGguf);
}

TEST(HalfFloat, RoundsToNearestEven) {
  EXPECT_EQ(float_to_half(1.0f), 0x3C00);
  EXPECT_EQ(float_to_half(0.5f), 0x3800);
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  EXPECT_EQ(float_to_half(1e6f), 0x7C00);                   // overflow to +Inf
  EXPECT_EQ(float_to_half(5.960464477539063e-8f), 0x0001);  // smallest subnormal
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 2048), 0x3C00);     // exactly halfway, rounds down to even
  EXPECT_EQ(float_to_half(1.0f + 3.0f / 2048), 0x3C02);     // halfway, rounds up to even
}

}  // namespace
}  // namespace chrysalis::model
