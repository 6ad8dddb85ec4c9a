#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "model/gguf_format.h"

namespace chrysalis::model {

// One decoded metadata value. Integers are widened to 64 bits, floats to double.
struct GgufValue {
  gguf::ValueType type = gguf::ValueType::UInt32;
  std::variant<uint64_t, int64_t, double, bool, std::string, std::vector<GgufValue>> value;

  uint64_t as_uint() const;  // throws std::runtime_error when the stored type does not fit
  int64_t as_int() const;
  double as_float() const;
  bool as_bool() const;
  const std::string& as_string() const;
  const std::vector<GgufValue>& as_array() const;
};

struct GgufTensorInfo {
  std::string name;
  std::vector<uint64_t> dims;  // ggml order, dims[0] innermost
  uint32_t type = 0;           // ggml type id
  uint64_t offset = 0;         // relative to the data section
};

// The parsed header of a GGUF file (tensor data is not loaded, only located).
struct GgufFile {
  uint32_t version = 0;
  uint64_t alignment = gguf::kDefaultAlignment;
  std::map<std::string, GgufValue> kv;
  std::vector<std::string> kv_order;  // keys in file order
  std::vector<GgufTensorInfo> tensors;
  uint64_t data_offset = 0;  // absolute file offset of the (aligned) data section

  const GgufValue& at(const std::string& key) const;  // throws std::out_of_range naming the key
  const GgufTensorInfo* find_tensor(const std::string& name) const;
};

// Thrown when the bytes end before the header does.
struct TruncatedGguf : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses header, metadata and tensor infos; throws std::runtime_error on malformed input.
GgufFile parse_gguf(const std::vector<uint8_t>& bytes);
// Reads only as much of the file as the header needs.
GgufFile read_gguf(const std::filesystem::path& path);

std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path);

}  // namespace chrysalis::model
