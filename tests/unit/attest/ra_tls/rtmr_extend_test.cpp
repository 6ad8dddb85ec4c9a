// The configuration's RTMR3 measurement on a real TD (through a stand-in for the kernel's
// measurement register file) and the refusals of unsafe settings in a real TD.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "attest/quote/quote_crypto.h"
#include "attest/ra_tls/evidence_sim.h"
#include "attest/ra_tls/measured_config.h"
#include "attest/ra_tls/rtmr_extend.h"
#include "support/temp_dir.h"

namespace chrysalis::attest {
namespace {

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_register(const std::filesystem::path& file, const Fixed<48>& value) {
  std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(value.data()), value.size());
}

Fixed<48> digest_of(const std::string& role) {
  Policy policy;
  return measure_config(role, policy).digest();
}

TEST(RtmrExtend, AZeroRegisterIsExtendedWithTheConfigurationDigest) {
  test::TempDir dir{"rtmr"};
  write_register(dir / "rtmr3:sha384", Fixed<48>{});
  auto digest = digest_of("proxy");
  measure_config_into_rtmr3(digest, dir.path());
  // The kernel would now hold SHA-384(zero || digest); what we wrote is the digest itself.
  auto written = read_all(dir / "rtmr3:sha384");
  EXPECT_EQ(written, std::string(digest.begin(), digest.end()));
}

TEST(RtmrExtend, ARestartWithTheSameConfigurationLeavesTheRegisterAlone) {
  test::TempDir dir{"rtmr"};
  auto digest = digest_of("proxy");
  write_register(dir / "rtmr3:sha384", rtmr3_for(digest));
  EXPECT_NO_THROW(measure_config_into_rtmr3(digest, dir.path()));
  auto held = rtmr3_for(digest);
  EXPECT_EQ(read_all(dir / "rtmr3:sha384"), std::string(held.begin(), held.end()));
}

TEST(RtmrExtend, AnotherConfigurationInTheSameTdIsRefused) {
  test::TempDir dir{"rtmr"};
  write_register(dir / "rtmr3:sha384", rtmr3_for(digest_of("worker")));
  try {
    measure_config_into_rtmr3(digest_of("proxy"), dir.path());
    FAIL() << "a second configuration was measured";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("fresh TD"), std::string::npos) << e.what();
  }
}

TEST(RtmrExtend, WithoutTheKernelInterfaceTheNodeSaysWhatIsMissing) {
  test::TempDir dir{"rtmr"};
  try {
    measure_config_into_rtmr3(digest_of("proxy"), dir.path());
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("Linux >= 6.16"), std::string::npos) << e.what();
  }
}

TEST(RtmrExtend, TheSimulatedTeeHoldsWhatARealTdWould) {
  Policy policy;
  auto config = measure_config("proxy", policy);
  // RTMR3 of a real TD after one extension with the digest, computed independently.
  Bytes joined(48, 0);
  auto d = config.digest();
  joined.insert(joined.end(), d.begin(), d.end());
  EXPECT_EQ(sim_td_body(config).rtmr[3], sha384(joined));
}

TEST(RtmrExtend, ARealTdRefusesAllowNoneAndNonIntelRoots) {
  AttestationSettings s;
  s.provider = "tdx";
  EXPECT_NO_THROW(refuse_unsafe_config_on_real_td(s));
  s.allow_none = true;
  EXPECT_THROW(refuse_unsafe_config_on_real_td(s), std::runtime_error);
  s.allow_none = false;
  s.trust = {"intel", "dev:/own/ca"};
  try {
    refuse_unsafe_config_on_real_td(s);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("dev:/own/ca"), std::string::npos);
  }
  s.provider = "sim";
  EXPECT_NO_THROW(refuse_unsafe_config_on_real_td(s));
}

}  // namespace
}  // namespace chrysalis::attest
