#include <gtest/gtest.h>

#include "common/url.h"

namespace {

using chrysalis::parse_query;
using chrysalis::parse_url;
using chrysalis::percent_decode;

TEST(HttpUrl, HostAndPort) {
  auto url = parse_url("http://127.0.0.1:8000");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8000);
  EXPECT_EQ(url->path, "");
  EXPECT_EQ(url->authority(), "127.0.0.1:8000");
  EXPECT_EQ(url->target_for("/v1/models"), "/v1/models");
  EXPECT_EQ(url->target_for(""), "/");
}

TEST(HttpUrl, PathPrefixIsPrepended) {
  auto url = parse_url("http://engine.local:8000/prefix/");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "engine.local");
  EXPECT_EQ(url->path, "/prefix");
  EXPECT_EQ(url->target_for("/v1/chat/completions"), "/prefix/v1/chat/completions");
  EXPECT_EQ(url->target_for("v1/models"), "/prefix/v1/models");
}

TEST(HttpUrl, DefaultPortQueryAndIpv6) {
  auto url = parse_url("HTTP://example.com/healthz?deep=1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->target_for(""), "/healthz?deep=1");
  url = parse_url("http://[::1]:9000/x");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->authority(), "[::1]:9000");
}

TEST(HttpUrl, BadUrlsExplainThemselves) {
  std::string error;
  EXPECT_FALSE(parse_url("127.0.0.1:8000", &error));
  EXPECT_NE(error.find("scheme"), std::string::npos);
  EXPECT_FALSE(parse_url("ftp://host", &error));
  EXPECT_NE(error.find("only http:// and https://"), std::string::npos);
  auto secure = parse_url("https://api.trustedservices.intel.com/sgx");
  ASSERT_TRUE(secure);
  EXPECT_EQ(secure->scheme, "https");
  EXPECT_EQ(secure->port, 443);
  EXPECT_EQ(secure->authority(), "api.trustedservices.intel.com:443");
  EXPECT_FALSE(parse_url("http://host:99999", &error));
  EXPECT_NE(error.find("port"), std::string::npos);
  EXPECT_FALSE(parse_url("http://:80", &error));
  EXPECT_FALSE(parse_url("http://host:abc", &error));
}

TEST(HttpUrl, QueryDecoding) {
  EXPECT_EQ(percent_decode("a%20b+c%2", true), "a b c%2");
  EXPECT_EQ(percent_decode("a+b", false), "a+b");
  auto query = parse_query("value=1500&name=x%26y&flag&&value2=");
  EXPECT_EQ(query.at("value"), "1500");
  EXPECT_EQ(query.at("name"), "x&y");
  EXPECT_EQ(query.at("flag"), "");
  EXPECT_EQ(query.at("value2"), "");
  EXPECT_EQ(query.size(), 4u);
}

}  // namespace
