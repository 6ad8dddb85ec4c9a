#pragma once
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <memory>

#include <deque>
#include "api/openai_error.h"
#include "api/response_assembler.h"
#include "client/client_config.h"
#include "client/proxy_pool.h"
#include "client/verified_workers.h"

#include "common/metrics.h"
#include "e2e/client_side.h"
#include "http/admin_token.h"
#include "http/http_server.h"

namespace chrysalis::attest {
class NodeAttestation;
class ModelNames;
class ProxyTargetsFeed;
}  // namespace chrysalis::attest

namespace chrysalis::api {
class NodeHttp;
}

namespace chrysalis::client {

// The app-facing node: an OpenAI-compatible HTTP API on localhost backed by RA-TLS
// connections to one or more proxies.
class ClientBilling;

class ClientNode {
 public:
  ClientNode(boost::asio::io_context& io, ClientConfig config);
  ~ClientNode();
  void start();
  void stop();
  nlohmann::json stats() const;

 private:
  boost::asio::awaitable<void> route(const http::Request& req, http::Responder& res);
  boost::asio::awaitable<void> serve_models(http::Responder& res, std::optional<std::string> only);
  // A proxy's reputation table as this client checked it (client_reputation.cpp).
  struct CheckedReputation {
    struct ModelFigures {
      uint64_t subjects = 0, requests = 0, successes = 0, mid_stream_errors = 0, spot_disagreements = 0;
    };
    bool verified = false;
    std::string problem, root;
    std::map<std::string, ModelFigures> models;
    // The newest table the proxy committed on chain, as this client checked it against the proxy
    // contract (null: the proxy offered none, or this client reads no chain).
    nlohmann::json committed;
    // The replay of the entries' recent events and their receipts (proxy/reputation_history_check.h).
    nlohmann::json history;
    nlohmann::json model_json(const std::string& model) const;
  };
  boost::asio::awaitable<CheckedReputation> checked_reputation(std::shared_ptr<net::Connection> conn,
                                                               std::string model);
  // Checked tables per (proxy connection, model filter), reused for a few seconds: a proxy's table
  // can be large, and /v1/models may be asked often. At most kMaxCheckedTables kept.
  boost::asio::awaitable<CheckedReputation> fetch_and_check(std::shared_ptr<net::Connection> conn, std::string model);
  boost::asio::awaitable<nlohmann::json> fetch_table(std::shared_ptr<net::Connection> conn, std::string model);
  boost::asio::awaitable<nlohmann::json> check_committed_table(nlohmann::json committed, std::string proxy_key_hex);
  static constexpr std::size_t kMaxCheckedTables = 64;
  static constexpr int64_t kCheckedTableTtlUs = 5'000'000;
  std::map<std::pair<uint64_t, std::string>, std::pair<int64_t, CheckedReputation>> checked_tables_;
  boost::asio::awaitable<void> serve_completion(const http::Request& req, http::Responder& res);
  // POST /v1/responses, run as a chat request (serve_response.cpp).
  boost::asio::awaitable<void> serve_response(const http::Request& req, http::Responder& res);
  // The phases of serve_completion (serve_completion.cpp), around one request's state.
  struct Completion;
  api::ValidationLimits validation_limits() const;
  boost::asio::awaitable<bool> begin_request(Completion& c, const http::Request& req, http::Responder& res);
  boost::asio::awaitable<void> run_request(Completion& c, const std::string& path, http::Responder& res);
  enum class FirstAnswer { head, try_next, retry_plain, finished };
  std::vector<std::shared_ptr<net::Connection>> payable_proxies(const std::vector<uint64_t>& tried,
                                                                std::string& billing_problem) const;
  boost::asio::awaitable<bool> find_answering_proxy(Completion& c, http::Responder& res);
  boost::asio::awaitable<FirstAnswer> await_first_answer(Completion& c, http::Responder& res);
  boost::asio::awaitable<void> relay_answer(Completion& c, http::Responder& res);
  boost::asio::awaitable<void> collect_cancelled_receipt(Completion& c);
  std::optional<std::vector<std::string>> part_events(Completion& c, const proto::ResponsePart& part,
                                                      std::string& error);
  boost::asio::awaitable<void> write_held_sse(Completion& c, http::Responder& res);
  boost::asio::awaitable<void> relay_part(Completion& c, const std::vector<std::string>& events,
                                          api::ResponseAssembler& assembler, http::Responder& res);
  boost::asio::awaitable<void> finish_answer(Completion& c, const proto::ResponseEnd& end,
                                             api::ResponseAssembler& assembler, http::Responder& res);
  boost::asio::awaitable<void> deliver_answer(Completion& c, nlohmann::json chrysalis,
                                              api::ResponseAssembler& assembler, http::Responder& res);
  api::ApiError answer_failure(Completion& c, const std::optional<StreamEvent>& event);
  // E2E (client_e2e.cpp): the request sealed per attempt, the worker checked by our own policy.
  void begin_e2e(Completion& c, const api::ValidatedRequest& vr);
  void drop_e2e(Completion& c, const std::string& reason);
  bool check_worker(const std::string& der, const std::string& model, e2e::VerifiedWorker& worker, std::string& reason);
  void answer_seal_for(Completion& c, const proto::SealFor& ask);
  std::optional<api::ApiError> open_head(Completion& c);
  std::optional<api::ApiError> open_error(Completion& c, proto::ResponseError& error);
  proto::Usage bounded_usage(Completion& c, proto::Usage usage);
  boost::asio::awaitable<void> reject_sealed_answer(Completion& c, const std::string& error, http::Responder& res);
  boost::asio::awaitable<void> reject_malformed_answer(Completion& c, http::Responder& res);
  boost::asio::awaitable<void> early_error(Completion& c, http::Responder& res, const api::ApiError& error);
  static bool lacks_capacity(const api::ApiError& err);  // another proxy may take the request
  // The answer's worker failed mid-way: continue it on another (resume_answer.cpp); false when it
  // is not, with `failure` saying why.
  boost::asio::awaitable<bool> resume_answer(Completion& c, const std::optional<StreamEvent>& event,
                                             api::ApiError& failure, http::Responder& res);
  boost::asio::awaitable<void> fail_mid_answer(Completion& c, const api::ApiError& failure, http::Responder& res);
  void record_completion(Completion& c);
  // Receipts (client_receipts.cpp): checked against what this client knows, kept, and the charge
  // compared with the worker's signed usage.
  void start_digest(Completion& c);
  void take_receipt(Completion& c, const proto::Receipt* receipt, const proto::Usage& usage,
                    const proto::Billing* billing, bool worker_vanished = false);
  nlohmann::json receipts_json() const;
  bool authorized(const http::Request& req) const;
  boost::asio::awaitable<void> serve_admin(const http::Request& req, http::Responder& res);

  boost::asio::io_context& io_;
  ClientConfig config_;
  Metrics metrics_;
  std::unique_ptr<ProxyPool> pool_;
  std::unique_ptr<attest::ProxyTargetsFeed> proxy_feed_;
  std::unique_ptr<ClientBilling> billing_;
  std::unique_ptr<attest::NodeAttestation> attestation_;
  std::unique_ptr<attest::ModelNames> model_names_;
  std::string affinity_salt_;  // e2e: this client's salt for prompt-prefix hashes (memory only)
  std::unique_ptr<api::NodeHttp> http_;
  std::unique_ptr<http::AdminToken> admin_token_;
  int64_t started_at_us_ = 0;
  uint64_t in_flight_ = 0;
  std::deque<nlohmann::json> receipts_;  // the last config_.receipts_kept, newest last
  VerifiedWorkers verified_workers_;     // per model, for /v1/models
  uint64_t receipts_seen_ = 0;
};

}  // namespace chrysalis::client
