// The client's config file: defaults for an empty file, each key read, and errors that name the
// file and the problem.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "client/client_config.h"
#include "common/toml_reader.h"

namespace chrysalis::client {
namespace {

ClientConfig read(const std::string& text) {
  auto r = TomlReader::from_string(text, "client.toml");
  return read_client_config(r, "client.toml");
}

std::string error_of(const std::string& text) {
  try {
    read(text);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(ClientConfig, AMisspeltKeyIsAnErrorNamingFileAndKey) {
  EXPECT_EQ(error_of("[client]\napi_keyz = [\"k\"]\n"),
            "client.toml: unknown key 'client.api_keyz' (misspelt, or not a setting of this node)");
  EXPECT_NE(error_of("[attestation]\nallowed_proxy_imagez = []\n").find("'attestation.allowed_proxy_imagez'"),
            std::string::npos);
  EXPECT_EQ(error_of("[client]\napi_keys = [\"k\"]\n[tls]\ndir = \"x\"\n"), "");
}

TEST(ClientConfig, EmptyFileGivesTheDefaults) {
  auto c = read("");
  EXPECT_EQ(c.id, "client");
  EXPECT_EQ(c.http.host, "127.0.0.1");
  EXPECT_EQ(c.http.port, 10000);
  ASSERT_EQ(c.proxies.size(), 1u);
  EXPECT_EQ(c.proxies[0].host, "127.0.0.1");
  EXPECT_EQ(c.proxies[0].port, 11002);
  EXPECT_TRUE(c.api_keys.empty());
  EXPECT_EQ(c.max_body_bytes, 1u << 20);
  EXPECT_EQ(c.default_max_tokens, 1000u);
  EXPECT_EQ(c.max_tokens_limit, 32768u);
  EXPECT_EQ(c.request_timeout_s, 120u);
  EXPECT_EQ(c.state_dir, std::filesystem::path("run/client"));
  EXPECT_EQ(c.log_level, "info");
  EXPECT_FALSE(c.billing.enabled);
}

TEST(ClientConfig, ReadsEveryKey) {
  auto c = read(
      "[client]\n"
      "id = \"app-1\"\n"
      "http = \"0.0.0.0:18000\"\n"
      "proxies = [\"10.0.0.1:11002\", \"[::1]:12002\"]\n"
      "api_keys = [\"k1\", \"k2\", \"k1\"]\n"
      "max_body_bytes = 4096\n"
      "default_max_tokens = 64\n"
      "max_tokens_limit = 2048\n"
      "request_timeout_s = 30\n"
      "[tls]\ndir = \"/var/lib/app\"\n"
      "[log]\nlevel = \"debug\"\n");
  EXPECT_EQ(c.id, "app-1");
  EXPECT_EQ(c.http.host, "0.0.0.0");
  EXPECT_EQ(c.http.port, 18000);
  ASSERT_EQ(c.proxies.size(), 2u);
  EXPECT_EQ(c.proxies[0].host, "10.0.0.1");
  EXPECT_EQ(c.proxies[1].host, "::1");  // brackets of an IPv6 literal dropped
  EXPECT_EQ(c.proxies[1].port, 12002);
  EXPECT_EQ(c.api_keys, (std::set<std::string>{"k1", "k2"}));
  EXPECT_EQ(c.max_body_bytes, 4096u);
  EXPECT_EQ(c.default_max_tokens, 64u);
  EXPECT_EQ(c.max_tokens_limit, 2048u);
  EXPECT_EQ(c.request_timeout_s, 30u);
  EXPECT_EQ(c.state_dir, std::filesystem::path("/var/lib/app"));
  EXPECT_EQ(c.log_level, "debug");
}

TEST(ClientConfig, StateDirFollowsTheId) { EXPECT_EQ(read("[client]\nid = \"x\"\n").state_dir, "run/x"); }

TEST(ClientConfig, NoProxiesWithoutARegistryIsAnErrorNamingTheFileAndKey) {
  auto e = error_of("[client]\nproxies = []\n");
  EXPECT_NE(e.find("client.toml"), std::string::npos) << e;
  EXPECT_NE(e.find("client.proxies"), std::string::npos) << e;
  EXPECT_NE(e.find("no [registry] to find proxies in"), std::string::npos) << e;
}

TEST(ClientConfig, OutOfRangeNumbersAreRefusedByName) {
  auto small = error_of("[client]\nmax_body_bytes = 10\n");
  EXPECT_NE(small.find("client.max_body_bytes"), std::string::npos) << small;
  auto zero = error_of("[client]\nrequest_timeout_s = 0\n");
  EXPECT_NE(zero.find("client.request_timeout_s"), std::string::npos) << zero;
  auto huge = error_of("[client]\nrequest_timeout_s = 3601\n");
  EXPECT_NE(huge.find("client.request_timeout_s"), std::string::npos) << huge;
  EXPECT_EQ(read("[client]\nrequest_timeout_s = 3600\n").request_timeout_s, 3600u);  // the bound itself is fine
}

TEST(ClientConfig, WrongTypesAreRefusedByName) {
  auto e = error_of("[client]\nproxies = \"127.0.0.1:11002\"\n");
  EXPECT_NE(e.find("client.proxies"), std::string::npos) << e;
  auto id = error_of("[client]\nid = 7\n");
  EXPECT_NE(id.find("client.id"), std::string::npos) << id;
}

TEST(ClientConfig, BadEndpointsAreRefusedQuotingThem) {
  auto no_port = error_of("[client]\nproxies = [\"proxy.example\"]\n");
  EXPECT_NE(no_port.find("'proxy.example'"), std::string::npos) << no_port;
  EXPECT_NE(no_port.find("host:port"), std::string::npos) << no_port;
  auto bad_port = error_of("[client]\nhttp = \"127.0.0.1:99999\"\n");
  EXPECT_NE(bad_port.find("bad port"), std::string::npos) << bad_port;
}

TEST(ClientConfig, BillingWithoutARegistryIsRefused) {
  auto e = error_of("[billing]\nenabled = true\nwallet_key = \"w.json\"\n");
  EXPECT_NE(e.find("client.toml"), std::string::npos) << e;
  EXPECT_NE(e.find("registry"), std::string::npos) << e;
}

TEST(ClientConfig, LoadsFromAFileAndNamesAMissingOne) {
  auto dir = std::filesystem::temp_directory_path() / ("client_config_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto file = dir / "client.toml";
  std::ofstream(file) << "[client]\nid = \"from-file\"\nproxies = [\"127.0.0.1:1\"]\n";
  auto c = load_client_config(file);
  EXPECT_EQ(c.id, "from-file");
  EXPECT_EQ(c.proxies.at(0).port, 1);
  std::filesystem::remove_all(dir);
  try {
    load_client_config(file);
    ADD_FAILURE() << "a missing config file must be an error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("client.toml"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace chrysalis::client
