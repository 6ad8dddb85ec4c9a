#pragma once
#include <cstdint>

// Constants of the GGUF v3 container format shared by the writer and the reader.
namespace chrysalis::model::gguf {

inline constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian uint32
inline constexpr uint32_t kVersion = 3;
inline constexpr uint64_t kDefaultAlignment = 32;  // used unless general.alignment says otherwise

// Metadata value types, numbered as in the GGUF specification.
enum class ValueType : uint32_t {
  UInt8 = 0,
  Int8 = 1,
  UInt16 = 2,
  Int16 = 3,
  UInt32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  UInt64 = 10,
  Int64 = 11,
  Float64 = 12,
};

// The subset of ggml tensor types this project writes.
enum class TensorType : uint32_t {
  F32 = 0,
  F16 = 1,
};

// Bytes per element of the tensor types above (both are unquantized, so no block maths).
inline constexpr uint64_t element_size(TensorType t) { return t == TensorType::F32 ? 4 : 2; }

// SentencePiece token kinds as llama.cpp stores them in tokenizer.ggml.token_type.
enum class TokenKind : int32_t {
  Normal = 1,
  Unknown = 2,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
  Byte = 6,
};

inline constexpr uint64_t align_up(uint64_t n, uint64_t alignment) {
  return (n + alignment - 1) / alignment * alignment;
}

}  // namespace chrysalis::model::gguf
