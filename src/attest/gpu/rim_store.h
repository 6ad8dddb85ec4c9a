#pragma once
// Reference manifests an operator keeps on disk: a directory of NVIDIA RIM files (.swidtag or
// .xml), as downloaded from NVIDIA's RIM service while online. Which two a report needs is
// picked by version (driver and VBIOS); the verifier then checks their signatures and contents.
#include <filesystem>
#include <string>
#include <vector>

#include "attest/gpu/gpu_verifier.h"

namespace chrysalis::attest::gpu {

class RimStore {
 public:
  static constexpr std::size_t kMaxFiles = 1024;

  // Reads every .swidtag/.xml file of `dir` (not recursing); throws std::runtime_error naming a
  // directory that cannot be read, too many files, or a file over kMaxRimBytes.
  static RimStore from_directory(const std::filesystem::path& dir);

  // The manifests whose versions are the report's driver and VBIOS versions (case-insensitive);
  // either is absent when none matches. Files are tried in name order.
  GpuReferences references_for(const SpdmReport& report) const;
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string name, version, text;
  };
  std::vector<Entry> entries_;
};

}  // namespace chrysalis::attest::gpu
