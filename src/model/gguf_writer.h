#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "model/gguf_format.h"

namespace chrysalis::model {

// Builds a GGUF v3 file in memory: metadata key/value pairs first, then tensors, then
// `write_to` lays out header, KV section, tensor infos, padding and aligned tensor data.
// Insertion order is kept, so the same calls always produce the same bytes.
class GgufWriter {
 public:
  explicit GgufWriter(uint64_t alignment = gguf::kDefaultAlignment);

  void add_string(const std::string& key, const std::string& value);
  void add_uint32(const std::string& key, uint32_t value);
  void add_int32(const std::string& key, int32_t value);
  void add_float32(const std::string& key, float value);
  void add_bool(const std::string& key, bool value);
  void add_string_array(const std::string& key, const std::vector<std::string>& values);
  void add_float32_array(const std::string& key, const std::vector<float>& values);
  void add_int32_array(const std::string& key, const std::vector<int32_t>& values);

  // `dims` is in ggml order: dims[0] is the contiguous (innermost) dimension.
  // F32 data is stored as given; F16 data is converted from the given floats.
  void add_tensor(const std::string& name, std::vector<uint64_t> dims, gguf::TensorType type, std::vector<float> data);

  std::vector<uint8_t> serialize() const;
  void write_to(const std::filesystem::path& path) const;

 private:
  struct Tensor {
    std::string name;
    std::vector<uint64_t> dims;
    gguf::TensorType type;
    std::vector<float> data;
  };
  void begin_kv(const std::string& key, gguf::ValueType type);

  uint64_t alignment_;
  uint64_t kv_count_ = 0;
  std::vector<uint8_t> kv_bytes_;  // already-encoded KV section
  std::vector<Tensor> tensors_;
};

}  // namespace chrysalis::model
