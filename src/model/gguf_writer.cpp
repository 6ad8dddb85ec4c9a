#include "model/gguf_writer.h"

#include <fstream>
#include <stdexcept>

#include "model/byte_sink.h"
#include "model/half_float.h"

namespace chrysalis::model {

using detail::put;
using detail::put_string;
using gguf::ValueType;

GgufWriter::GgufWriter(uint64_t alignment) : alignment_(alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    throw std::invalid_argument("GGUF alignment must be a power of two");
  }
  // Readers assume 32 unless told; say it explicitly only when it differs.
  if (alignment != gguf::kDefaultAlignment) add_uint32("general.alignment", static_cast<uint32_t>(alignment));
}

void GgufWriter::begin_kv(const std::string& key, ValueType type) {
  put_string(kv_bytes_, key);
  put<uint32_t>(kv_bytes_, static_cast<uint32_t>(type));
  ++kv_count_;
}

void GgufWriter::add_string(const std::string& key, const std::string& value) {
  begin_kv(key, ValueType::String);
  put_string(kv_bytes_, value);
}

void GgufWriter::add_uint32(const std::string& key, uint32_t value) {
  begin_kv(key, ValueType::UInt32);
  put<uint32_t>(kv_bytes_, value);
}

void GgufWriter::add_int32(const std::string& key, int32_t value) {
  begin_kv(key, ValueType::Int32);
  put<int32_t>(kv_bytes_, value);
}

void GgufWriter::add_float32(const std::string& key, float value) {
  begin_kv(key, ValueType::Float32);
  put<float>(kv_bytes_, value);
}

void GgufWriter::add_bool(const std::string& key, bool value) {
  begin_kv(key, ValueType::Bool);
  put<uint8_t>(kv_bytes_, value ? 1 : 0);
}

// Arrays: element type, uint64 count, then the elements back to back.
void GgufWriter::add_string_array(const std::string& key, const std::vector<std::string>& values) {
  begin_kv(key, ValueType::Array);
  put<uint32_t>(kv_bytes_, static_cast<uint32_t>(ValueType::String));
  put<uint64_t>(kv_bytes_, values.size());
  for (const auto& v : values) put_string(kv_bytes_, v);
}

void GgufWriter::add_float32_array(const std::string& key, const std::vector<float>& values) {
  begin_kv(key, ValueType::Array);
  put<uint32_t>(kv_bytes_, static_cast<uint32_t>(ValueType::Float32));
  put<uint64_t>(kv_bytes_, values.size());
  for (float v : values) put<float>(kv_bytes_, v);
}

void GgufWriter::add_int32_array(const std::string& key, const std::vector<int32_t>& values) {
  begin_kv(key, ValueType::Array);
  put<uint32_t>(kv_bytes_, static_cast<uint32_t>(ValueType::Int32));
  put<uint64_t>(kv_bytes_, values.size());
  for (int32_t v : values) put<int32_t>(kv_bytes_, v);
}

void GgufWriter::add_tensor(const std::string& name, std::vector<uint64_t> dims, gguf::TensorType type,
                            std::vector<float> data) {
  uint64_t count = 1;
  for (uint64_t d : dims) count *= d;
  if (dims.empty() || dims.size() > 4 || count != data.size()) {
    throw std::invalid_argument("tensor " + name + ": dims do not match data size");
  }
  tensors_.push_back(Tensor{name, std::move(dims), type, std::move(data)});
}

std::vector<uint8_t> GgufWriter::serialize() const {
  std::vector<uint8_t> out;
  put<uint32_t>(out, gguf::kMagic);
  put<uint32_t>(out, gguf::kVersion);
  put<uint64_t>(out, tensors_.size());
  put<uint64_t>(out, kv_count_);
  out.insert(out.end(), kv_bytes_.begin(), kv_bytes_.end());

  // Tensor infos: offsets are relative to the start of the data section, each one aligned.
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    put_string(out, t.name);
    put<uint32_t>(out, static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) put<uint64_t>(out, d);
    put<uint32_t>(out, static_cast<uint32_t>(t.type));
    put<uint64_t>(out, offset);
    offset = gguf::align_up(offset + t.data.size() * gguf::element_size(t.type), alignment_);
  }

  // The data section itself starts on an aligned file offset, and so does every tensor in it.
  out.resize(gguf::align_up(out.size(), alignment_), 0);
  for (const auto& t : tensors_) {
    for (float v : t.data) {
      if (t.type == gguf::TensorType::F32) {
        put<float>(out, v);
      } else {
        put<uint16_t>(out, float_to_half(v));
      }
    }
    out.resize(gguf::align_up(out.size(), alignment_), 0);
  }
  return out;
}

void GgufWriter::write_to(const std::filesystem::path& path) const {
  const auto bytes = serialize();
  // Write to a sibling temp file and rename, so a reader never sees a half-written model.
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error("cannot open " + tmp.string() + " for writing");
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!f) throw std::runtime_error("write failed: " + tmp.string());
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace chrysalis::model
