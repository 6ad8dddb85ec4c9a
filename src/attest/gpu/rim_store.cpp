#include "attest/gpu/rim_store.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "attest/gpu/rim.h"

namespace chrysalis::attest::gpu {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

RimStore RimStore::from_directory(const std::filesystem::path& dir) {
  RimStore store;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) throw std::runtime_error("cannot read the RIM directory " + dir.string() + ": " + ec.message());
  for (const auto& entry : it) {
    auto ext = lower(entry.path().extension().string());
    if (!entry.is_regular_file() || (ext != ".swidtag" && ext != ".xml")) continue;
    if (store.entries_.size() == kMaxFiles)
      throw std::runtime_error(dir.string() + " holds more than " + std::to_string(kMaxFiles) + " RIM files");
    if (entry.file_size() > kMaxRimBytes)
      throw std::runtime_error(entry.path().string() + " is larger than a RIM may be");
    std::ifstream in(entry.path(), std::ios::binary);
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    auto version = rim_version_unverified(text);
    if (!version) continue;  // not a RIM; the directory may hold other files
    store.entries_.push_back({entry.path().filename().string(), *version, std::move(text)});
  }
  std::sort(store.entries_.begin(), store.entries_.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return store;
}

GpuReferences RimStore::references_for(const SpdmReport& report) const {
  GpuReferences refs;
  for (const auto& e : entries_) {
    std::string v = lower(e.version);
    if (!refs.driver_rim && !report.driver_version.empty() && v == lower(report.driver_version)) refs.driver_rim = e.text;
    if (!refs.vbios_rim && !report.vbios_version.empty() && v == lower(report.vbios_version)) refs.vbios_rim = e.text;
  }
  return refs;
}

}  // namespace chrysalis::attest::gpu
