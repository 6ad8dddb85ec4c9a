#include "model/gguf_reader.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace chrysalis::model {

using gguf::ValueType;

namespace {

// Bounds-checked little-endian cursor over the file bytes.
class Cursor {
 public:
  explicit Cursor(const std::vector<uint8_t>& bytes) : bytes_(bytes) {}

  template <typename T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string get_string() {
    const auto len = get<uint64_t>();
    need(len);
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), len);
    pos_ += len;
    return s;
  }

  uint64_t pos() const { return pos_; }

 private:
  void need(uint64_t n) const {
    if (n > bytes_.size() - pos_) throw TruncatedGguf("GGUF truncated at byte " + std::to_string(pos_));
  }
  const std::vector<uint8_t>& bytes_;
  uint64_t pos_ = 0;
};

GgufValue read_value(Cursor& c, ValueType type, int depth) {
  GgufValue out;
  out.type = type;
  switch (type) {
    case ValueType::UInt8:
      out.value = uint64_t{c.get<uint8_t>()};
      break;
    case ValueType::UInt16:
      out.value = uint64_t{c.get<uint16_t>()};
      break;
    case ValueType::UInt32:
      out.value = uint64_t{c.get<uint32_t>()};
      break;
    case ValueType::UInt64:
      out.value = c.get<uint64_t>();
      break;
    case ValueType::Int8:
      out.value = int64_t{c.get<int8_t>()};
      break;
    case ValueType::Int16:
      out.value = int64_t{c.get<int16_t>()};
      break;
    case ValueType::Int32:
      out.value = int64_t{c.get<int32_t>()};
      break;
    case ValueType::Int64:
      out.value = c.get<int64_t>();
      break;
    case ValueType::Float32:
      out.value = double{c.get<float>()};
      break;
    case ValueType::Float64:
      out.value = c.get<double>();
      break;
    case ValueType::Bool:
      out.value = c.get<uint8_t>() != 0;
      break;
    case ValueType::String:
      out.value = c.get_string();
      break;
    case ValueType::Array: {
      if (depth > 0) throw std::runtime_error("GGUF nested arrays are not supported");
      const auto elem = static_cast<ValueType>(c.get<uint32_t>());
      const auto count = c.get<uint64_t>();
      std::vector<GgufValue> items;
      for (uint64_t i = 0; i < count; ++i) items.push_back(read_value(c, elem, depth + 1));
      out.value = std::move(items);
      break;
    }
    default:
      throw std::runtime_error("GGUF unknown value type " + std::to_string(static_cast<uint32_t>(type)));
  }
  return out;
}

}  // namespace

uint64_t GgufValue::as_uint() const {
  if (auto* u = std::get_if<uint64_t>(&value)) return *u;
  if (auto* i = std::get_if<int64_t>(&value); i && *i >= 0) return static_cast<uint64_t>(*i);
  throw std::runtime_error("GGUF value is not an unsigned integer");
}

int64_t GgufValue::as_int() const {
  if (auto* i = std::get_if<int64_t>(&value)) return *i;
  if (auto* u = std::get_if<uint64_t>(&value)) return static_cast<int64_t>(*u);
  throw std::runtime_error("GGUF value is not an integer");
}

double GgufValue::as_float() const {
  if (auto* d = std::get_if<double>(&value)) return *d;
  throw std::runtime_error("GGUF value is not a float");
}

bool GgufValue::as_bool() const {
  if (auto* b = std::get_if<bool>(&value)) return *b;
  throw std::runtime_error("GGUF value is not a bool");
}

const std::string& GgufValue::as_string() const {
  if (auto* s = std::get_if<std::string>(&value)) return *s;
  throw std::runtime_error("GGUF value is not a string");
}

const std::vector<GgufValue>& GgufValue::as_array() const {
  if (auto* a = std::get_if<std::vector<GgufValue>>(&value)) return *a;
  throw std::runtime_error("GGUF value is not an array");
}

const GgufValue& GgufFile::at(const std::string& key) const {
  auto it = kv.find(key);
  if (it == kv.end()) throw std::out_of_range("GGUF key missing: " + key);
  return it->second;
}

const GgufTensorInfo* GgufFile::find_tensor(const std::string& name) const {
  for (const auto& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

GgufFile parse_gguf(const std::vector<uint8_t>& bytes) {
  Cursor c(bytes);
  GgufFile file;
  if (c.get<uint32_t>() != gguf::kMagic) throw std::runtime_error("not a GGUF file (bad magic)");
  file.version = c.get<uint32_t>();
  if (file.version < 2 || file.version > 3) {
    throw std::runtime_error("unsupported GGUF version " + std::to_string(file.version));
  }
  const auto tensor_count = c.get<uint64_t>();
  const auto kv_count = c.get<uint64_t>();
  for (uint64_t i = 0; i < kv_count; ++i) {
    auto key = c.get_string();
    const auto type = static_cast<ValueType>(c.get<uint32_t>());
    file.kv[key] = read_value(c, type, 0);
    file.kv_order.push_back(std::move(key));
  }
  if (auto it = file.kv.find("general.alignment"); it != file.kv.end()) file.alignment = it->second.as_uint();

  for (uint64_t i = 0; i < tensor_count; ++i) {
    GgufTensorInfo t;
    t.name = c.get_string();
    const auto n_dims = c.get<uint32_t>();
    if (n_dims == 0 || n_dims > 4) throw std::runtime_error("GGUF tensor " + t.name + " has bad rank");
    for (uint32_t d = 0; d < n_dims; ++d) t.dims.push_back(c.get<uint64_t>());
    t.type = c.get<uint32_t>();
    t.offset = c.get<uint64_t>();
    file.tensors.push_back(std::move(t));
  }
  file.data_offset = gguf::align_up(c.pos(), file.alignment);
  return file;
}

std::vector<uint8_t> read_file_bytes(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path.string());
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Real models are gigabytes but their headers are small: parse a growing prefix of the file
// until the header fits, so no tensor data is read.
GgufFile read_gguf(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path.string());
  const auto size = std::filesystem::file_size(path);
  for (uint64_t want = 1 << 20;; want *= 4) {
    const auto take = std::min<uint64_t>(want, size);
    std::vector<uint8_t> prefix(take);
    f.seekg(0);
    f.read(reinterpret_cast<char*>(prefix.data()), static_cast<std::streamsize>(take));
    if (!f) throw std::runtime_error("read failed: " + path.string());
    try {
      return parse_gguf(prefix);
    } catch (const TruncatedGguf&) {
      if (take == size) throw;
    }
  }
}

}  // namespace chrysalis::model
