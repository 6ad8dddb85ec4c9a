// Collateral kept fresh from a PCS (collateral_store.h): a local server in the test answers the
// PCS v4 paths with collateral for the development platform, signed under the dev root; quotes are
// then judged with it — accepted, refused for a status the policy does not accept, for a revoked
// PCK certificate, for expired collateral — and the disk cache serves a restart.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <filesystem>

#include "attest/quote/collateral_store.h"
#include "attest/quote/dev_collateral.h"
#include "attest/quote/quote_builder.h"
#include "attest/quote/quote_crypto.h"
#include "attest/ra_tls/attested_peer_verifier_cache.h"
#include "http/http_server.h"

namespace chrysalis::attest {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

std::string percent_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text)
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  return out;
}

// Intel's PCS paths, answered from `responses` (which the test changes); `fail` makes every answer 500.
class LocalPcs {
 public:
  LocalPcs(asio::io_context& io, DevPcsResponses initial) : responses(std::move(initial)) {
    server_ = std::make_unique<http::Server>(io, [this](const http::Request& req, http::Responder& res) {
      return answer(req, res);
    });
    server_->listen("127.0.0.1", 0);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  DevPcsResponses responses;
  bool fail = false;
  int requests = 0;

 private:
  // What the PCS sends for `req`: status, body and the issuer-chain header (GCC 12: the values
  // are named before the co_await that sends them).
  struct Answer {
    int status = 404;
    std::string body = "no such PCS path";
    http::Headers headers;
  };
  Answer answer_for(const http::Request& req) const {
    const auto& r = responses;
    auto has = [&](const char* key, const std::string& value) { return req.query.count(key) && req.query.at(key) == value; };
    if (fail) return {500, "PCS is down", {}};
    if (req.path == "/tdx/certification/v4/tcb" && has("fmspc", r.fmspc))
      return {200, r.tcb_body, {{"TCB-Info-Issuer-Chain", percent_encode(r.signing_chain)}}};
    if (req.path == "/tdx/certification/v4/qe/identity")
      return {200, r.qe_body, {{"SGX-Enclave-Identity-Issuer-Chain", percent_encode(r.signing_chain)}}};
    if (req.path == "/sgx/certification/v4/pckcrl" && has("ca", "platform"))
      return {200, r.pck_crl_pem, {{"SGX-PCK-CRL-Issuer-Chain", percent_encode(r.pck_crl_chain)}}};
    if (req.path == "/sgx/certification/v4/rootcacrl") return {200, r.root_crl_der, {}};
    return {};
  }
  asio::awaitable<void> answer(const http::Request& req, http::Responder& res) {
    ++requests;
    Answer a = answer_for(req);
    std::string type = "application/octet-stream";
    co_await res.send(a.status, type, std::move(a.body), a.headers);
  }
  std::unique_ptr<http::Server> server_;
};

class CollateralStoreTest : public ::testing::Test {
 protected:
  DevCa ca = create_dev_ca();
  asio::io_context io;
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("chrysalis-collateral-" + std::to_string(::getpid()) + "-" +
                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  void TearDown() override { std::filesystem::remove_all(dir); }

  std::string quote() const {
    Bytes q = build_tdx_quote_v4(default_td_body(), {}, ca.signing_material());
    return std::string(q.begin(), q.end());
  }
  TrustAnchors anchors() const {
    TrustAnchors a;
    a.add(ca.root_cert);
    return a;
  }
  // store->fetch run to completion on the test's io_context.
  std::shared_ptr<const CollateralEntry> fetch_now(CollateralStore& store, const std::string& fmspc) {
    std::shared_ptr<const CollateralEntry> out;
    std::exception_ptr failure;
    asio::co_spawn(io, store.fetch(fmspc, "platform"), [&](std::exception_ptr e, std::shared_ptr<const CollateralEntry> v) {
      failure = e;
      out = std::move(v);
      io.stop();
    });
    io.run_for(10s);
    io.restart();
    if (failure) std::rethrow_exception(failure);
    return out;
  }
};

TEST_F(CollateralStoreTest, PeersAreJudgedWithFreshCollateralAndADowngradeOrRevocationRefusesThem) {
  LocalPcs pcs(io, make_dev_pcs_responses(ca));
  auto store = std::make_shared<CollateralStore>(io.get_executor(), PcsSettings{pcs.url()}, dir, 3600s);
  PeerQuoteCache cache;
  cache.use_collateral(store, {"UpToDate", "SWHardeningNeeded"});

  // First sight of the platform: refused while its collateral is fetched.
  auto first = cache.verify(quote(), anchors(), Clock::now());
  EXPECT_FALSE(first.verified);
  EXPECT_EQ(first.reason, "collateral_unavailable");
  EXPECT_NE(first.reason_text.find("FMSPC " + pcs.responses.fmspc), std::string::npos) << first.reason_text;
  for (int i = 0; i < 100 && !store->get(pcs.responses.fmspc, "platform"); ++i) io.run_for(20ms);
  io.restart();
  auto judged = cache.verify(quote(), anchors(), Clock::now());
  ASSERT_TRUE(judged.verified) << judged.reason << ": " << judged.reason_text;
  EXPECT_EQ(judged.tcb_status, "UpToDate");
  EXPECT_TRUE(judged.checks_not_done.empty()) << "TCB level, QE identity, module and revocation all checked";
  EXPECT_TRUE(std::filesystem::exists(dir / (pcs.responses.fmspc + "-platform.json")));

  // Intel downgrades the platform: the next fetch brings it, and the peer is refused by name.
  DevCollateralOptions older;
  older.tcb_status = "OutOfDate";
  pcs.responses = make_dev_pcs_responses(ca, older);
  fetch_now(*store, pcs.responses.fmspc);
  auto downgraded = cache.verify(quote(), anchors(), Clock::now());
  EXPECT_FALSE(downgraded.verified);
  EXPECT_EQ(downgraded.reason, "tcb_status");
  EXPECT_NE(downgraded.reason_text.find("TCB status is OutOfDate"), std::string::npos) << downgraded.reason_text;
  EXPECT_NE(downgraded.reason_text.find("INTEL-SA-00000"), std::string::npos);

  // The PCK certificate is revoked.
  DevCollateralOptions revoked;
  revoked.revoke_pck = true;
  pcs.responses = make_dev_pcs_responses(ca, revoked);
  fetch_now(*store, pcs.responses.fmspc);
  EXPECT_EQ(cache.verify(quote(), anchors(), Clock::now()).reason, reason::kPckRevoked);

  // Collateral past its nextUpdate (the PCS stopped updating it) is refused as expired.
  DevCollateralOptions stale;
  stale.issued = Clock::now() - 48h;
  stale.next_update = Clock::now() - 1h;
  pcs.responses = make_dev_pcs_responses(ca, stale);
  fetch_now(*store, pcs.responses.fmspc);
  EXPECT_EQ(cache.verify(quote(), anchors(), Clock::now()).reason, reason::kCollateralExpired);
}

TEST_F(CollateralStoreTest, ARestartReadsTheDiskAndAFailingPcsIsNamed) {
  LocalPcs pcs(io, make_dev_pcs_responses(ca));
  auto store = std::make_shared<CollateralStore>(io.get_executor(), PcsSettings{pcs.url()}, dir, 3600s);
  auto fetched = fetch_now(*store, pcs.responses.fmspc);
  ASSERT_TRUE(fetched);

  pcs.fail = true;
  int before = pcs.requests;
  auto restarted = std::make_shared<CollateralStore>(io.get_executor(), PcsSettings{pcs.url()}, dir, 3600s);
  auto entry = restarted->get(pcs.responses.fmspc, "platform");
  ASSERT_TRUE(entry) << "the cached bundle serves at once";
  EXPECT_EQ(entry->fingerprint, fetched->fingerprint);
  EXPECT_EQ(pcs.requests, before);

  try {
    fetch_now(*restarted, pcs.responses.fmspc);
    FAIL() << "a PCS answering 500 is an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/tdx/certification/v4/tcb?fmspc=" + pcs.responses.fmspc + " answered HTTP 500"),
              std::string::npos)
        << e.what();
  }
  auto stats = restarted->stats();
  EXPECT_EQ(stats["platforms"][0]["failures"], 1);
  EXPECT_NE(stats["platforms"][0]["last_error"].get<std::string>().find("HTTP 500"), std::string::npos);
  EXPECT_EQ(restarted->get(pcs.responses.fmspc, "platform")->fingerprint, fetched->fingerprint)
      << "a failed refresh keeps what it had";
}

}  // namespace
}  // namespace chrysalis::attest
