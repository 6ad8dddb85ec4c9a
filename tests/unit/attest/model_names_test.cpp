// Names announced by workers against the hashes their certificates attest: the proxy's
// [attestation] models map, read from TOML, decides which worker may serve which name.
#include <gtest/gtest.h>

#include "attest/policy/model_names.h"
#include "attest/policy/policy_config.h"
#include "common/toml_reader.h"

namespace chrysalis::attest {
namespace {

const std::string kA(64, 'a');
const std::string kB(64, 'b');

TEST(RoutingModelNames, AWorkerIsRoutedOnlyUnderTheNameOfItsAttestedHash) {
  ModelNames names({{"llama", kA}, {"qwen", kB}});
  EXPECT_EQ(names.check("llama", kA).code, "");
  auto swapped = names.check("llama", kB);
  EXPECT_EQ(swapped.code, "model_hash_mismatch");
  EXPECT_NE(swapped.message.find(kA), std::string::npos);
  EXPECT_NE(swapped.message.find(kB), std::string::npos);
  EXPECT_EQ(names.check("gpt-9", kA).code, "model_unknown");
  EXPECT_EQ(names.check("qwen", "").code, "model_hash_mismatch");
  EXPECT_EQ(ModelNames({}).check("llama", kA).code, "model_unknown") << "no map: nobody is routed";
}

TEST(RoutingModelNames, TheMapIsReadFromAttestationModels) {
  auto r = TomlReader::from_string(
      "[attestation]\nmodels = { \"qwen2.5-0.5b\" = \"" + std::string(64, 'C') + "\", \"llama\" = \"" + kA + "\" }\n",
      "proxy.toml");
  auto s = attest::read_attestation_settings(r, "proxy.toml");
  ASSERT_EQ(s.model_names.size(), 2u);
  EXPECT_EQ(s.model_names.at("qwen2.5-0.5b"), std::string(64, 'c'));  // lowercased
  EXPECT_NO_THROW(r.refuse_unknown_keys()) << "a dotted model name is a known key";
  auto bad = TomlReader::from_string("[attestation.models]\nllama = \"xyz\"\n", "proxy.toml");
  try {
    attest::read_attestation_settings(bad, "proxy.toml");
    FAIL() << "a non-hash was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("'attestation.models' entry \"llama\""), std::string::npos) << e.what();
  }
  auto not_table = TomlReader::from_string("[attestation]\nmodels = [\"llama\"]\n", "proxy.toml");
  EXPECT_THROW(attest::read_attestation_settings(not_table, "proxy.toml"), std::runtime_error);
}

}  // namespace
}  // namespace chrysalis::attest
