// The worker's engine settings: an external engine must run on loopback (prompts stay in the TEE)
// and its operator must state the served model file's SHA-256 (the attested model hash).
#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.h"
#include "worker/worker_config.h"

namespace chrysalis::worker {
namespace {

const std::string kHash = "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789";

std::string error_of(const std::string& engine) {
  test::TempDir dir("worker-config");
  auto file = dir / "worker.toml";
  std::ofstream(file) << "[worker]\nmodel = \"m\"\n[engine]\nkind = \"external\"\n" << engine;
  try {
    load_worker_config(file);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

WorkerConfig load(const std::string& engine) {
  test::TempDir dir("worker-config");
  auto file = dir / "worker.toml";
  std::ofstream(file) << "[worker]\nmodel = \"m\"\n[engine]\nkind = \"external\"\n" << engine;
  return load_worker_config(file);
}

TEST(WorkerConfig, AnExternalEngineNeedsTheModelFilesHash) {
  auto missing = error_of("url = \"http://127.0.0.1:8000\"\n");
  EXPECT_NE(missing.find("'engine.model_sha256'"), std::string::npos) << missing;
  auto short_hash = error_of("url = \"http://127.0.0.1:8000\"\nmodel_sha256 = \"abcd\"\n");
  EXPECT_NE(short_hash.find("'engine.model_sha256'"), std::string::npos) << short_hash;
  auto c = load("url = \"http://127.0.0.1:8000\"\nmodel_sha256 = \"" + kHash + "\"\n");
  EXPECT_EQ(c.engine_model_sha256, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
}

TEST(WorkerConfig, AnExternalEngineMustBeOnLoopback) {
  const std::string hash = "model_sha256 = \"" + kHash + "\"\n";
  for (std::string url : {"http://10.0.0.5:8000", "http://8.8.8.8", "http://localhost:8000", "http://engine.example"}) {
    auto error = error_of("url = \"" + url + "\"\n" + hash);
    EXPECT_NE(error.find("'engine.url'"), std::string::npos) << url << ": " << error;
    EXPECT_NE(error.find("not loopback"), std::string::npos) << url << ": " << error;
  }
  EXPECT_EQ(error_of("url = \"http://127.0.0.1:8000\"\n" + hash), "");
  EXPECT_EQ(error_of("url = \"http://127.8.9.10:8000/v1\"\n" + hash), "");
  EXPECT_EQ(error_of("url = \"http://[::1]:8000\"\n" + hash), "");
}

}  // namespace
}  // namespace chrysalis::worker
