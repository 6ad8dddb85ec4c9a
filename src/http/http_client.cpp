#include "http/http_client.h"
#include "http/beast_text.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <cctype>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "common/url.h"
#include "http/connection_pool.h"

namespace chrysalis::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

const char* to_string(ClientError error) {
  switch (error) {
    case ClientError::none:
      return "none";
    case ClientError::invalid_url:
      return "invalid_url";
    case ClientError::resolve_failed:
      return "resolve_failed";
    case ClientError::connect_failed:
      return "connect_failed";
    case ClientError::send_failed:
      return "send_failed";
    case ClientError::bad_response:
      return "bad_response";
    case ClientError::read_failed:
      return "read_failed";
    case ClientError::tls_failed:
      return "tls_failed";
    case ClientError::timeout:
      return "timeout";
    case ClientError::cancelled:
      return "cancelled";
  }
  return "unknown";
}

namespace {

// The one client TLS context: the system's trust store, TLS 1.2 or later, peers verified.
asio::ssl::context& client_tls_context() {
  static asio::ssl::context* context = [] {
    auto* c = new asio::ssl::context(asio::ssl::context::tls_client);
    c->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    c->set_default_verify_paths();  // OpenSSL's defaults: SSL_CERT_FILE / SSL_CERT_DIR apply
    c->set_verify_mode(asio::ssl::verify_peer);
    return c;
  }();
  return *context;
}

std::mutex& tls_context_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace

void trust_client_ca(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::lock_guard lock(tls_context_mutex());
  X509_STORE* store = SSL_CTX_get_cert_store(client_tls_context().native_handle());
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);  // a duplicate is not an error worth failing on
    X509_free(cert);
    ++added;
  }
  if (added == 0) throw std::runtime_error("trust_client_ca: no PEM certificate in what was given");
}

// Shared with the deadline timer's handler, so a late expiry never touches a destroyed request.
struct StreamingRequest::Impl {
  explicit Impl(asio::any_io_executor executor) : socket(executor), resolver(executor), deadline(executor) {}

  // Closing the socket fails whatever operation is pending; that is how cancel and timeout work.
  void abort() {
    error_code ignored;
    resolver.cancel();
    socket.close(ignored);
    if (tls) tls->next_layer().close(ignored);
  }

  tcp::socket socket;
  std::unique_ptr<asio::ssl::stream<tcp::socket>> tls;  // https: the connected socket moves in here
  tcp::resolver resolver;
  asio::steady_timer deadline;
  bool cancelled = false;
  bool timed_out = false;
  bool finished = false;
};

namespace {

bool is_parse_error(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

bool managed_header(const std::string& name) {
  auto n = lower(name);
  return n == "host" || n == "content-length" || n == "connection" || n == "transfer-encoding";
}

using ResponseParser = bhttp::response_parser<bhttp::buffer_body>;

// The request as sent: Connection: close (or keep-alive for a pooled one), our own Host, the
// caller's other headers.
bhttp::request<bhttp::string_body> make_message(ClientRequest& request, const Url& url, const std::string& where,
                                                bool keep_alive) {
  bhttp::request<bhttp::string_body> message;
  message.version(11);
  if (auto verb = bhttp::string_to_verb(request.method); verb != bhttp::verb::unknown)
    message.method(verb);
  else
    message.method_string(request.method);
  message.target(url.target_for(request.target));
  bool default_port = url.port == (url.scheme == "https" ? 443 : 80);
  message.set(bhttp::field::host, default_port ? url.host : where);
  message.set(bhttp::field::user_agent, "chrysalis");
  for (const auto& [name, value] : request.headers)
    if (!managed_header(name)) message.insert(name, value);
  message.keep_alive(keep_alive);
  message.body() = std::move(request.body);
  message.prepare_payload();
  return message;
}

// One run of a StreamingRequest: its result and the phases that fill it. Each phase that fails
// records why, closes the connection and returns false.
struct Exchange {
  std::shared_ptr<StreamingRequest::Impl> impl;
  std::string where;  // host:port, for messages
  std::chrono::milliseconds timeout;
  ClientResult result;
  bool stopped_early = false;  // the body callback said stop

  // Every failure funnels through here: a cancel or timeout explains any socket error it caused.
  void fail(ClientError kind, const std::string& what, const error_code& ec) {
    if (impl->cancelled) {
      result.error = ClientError::cancelled;
      result.message = "request to " + where + " cancelled";
    } else if (impl->timed_out) {
      result.error = ClientError::timeout;
      result.message = "request to " + where + " timed out after " + std::to_string(timeout.count()) + " ms";
    } else {
      result.error = kind;
      result.message = what + (ec ? ": " + ec.message() : std::string());
    }
  }

  void finish() {
    impl->finished = true;
    impl->deadline.cancel();
    error_code ignored;
    tcp::socket& socket = impl->tls ? impl->tls->next_layer() : impl->socket;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  // The timer that aborts the whole exchange once `timeout` has passed.
  void arm_deadline() {
    impl->deadline.expires_after(timeout);
    arm_deadline_handler();
  }
  void arm_deadline_handler() {
    impl->deadline.async_wait([weak = std::weak_ptr<StreamingRequest::Impl>(impl)](error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->finished) return;
      self->timed_out = true;
      self->abort();
    });
  }

  // Resolve (IP literals skip the resolver) and connect.
  asio::awaitable<bool> connect(const Url& url) {
    error_code ec;
    std::vector<tcp::endpoint> endpoints;
    if (auto address = asio::ip::make_address(url.host, ec); !ec) {
      endpoints.emplace_back(address, url.port);
    } else {
      std::string port = std::to_string(url.port);
      auto results =
          co_await impl->resolver.async_resolve(url.host, port, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || results.empty()) {
        fail(ClientError::resolve_failed, "cannot resolve host of " + where, ec);
        finish();
        co_return false;
      }
      for (const auto& entry : results) endpoints.push_back(entry.endpoint());
    }
    if (impl->cancelled || impl->timed_out) {  // closed while resolving: nothing left to fail on
      fail(ClientError::cancelled, "", {});
      finish();
      co_return false;
    }
    co_await asio::async_connect(impl->socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      fail(ClientError::connect_failed, "cannot connect to " + where, ec);
      finish();
      co_return false;
    }
    impl->socket.set_option(tcp::no_delay(true), ec);
    if (url.scheme == "https") co_return co_await handshake(url);
    co_return true;
  }

  // https: TLS over the connected socket, with SNI and the certificate checked for the host.
  asio::awaitable<bool> handshake(const Url& url) {
    {
      std::lock_guard lock(tls_context_mutex());
      impl->tls = std::make_unique<asio::ssl::stream<tcp::socket>>(std::move(impl->socket), client_tls_context());
    }
    error_code ec;
    if (!SSL_set_tlsext_host_name(impl->tls->native_handle(), url.host.c_str())) {
      fail(ClientError::tls_failed, "cannot set the TLS server name for " + where, {});
      finish();
      co_return false;
    }
    impl->tls->set_verify_callback(asio::ssl::host_name_verification(url.host));
    co_await impl->tls->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      long verify = SSL_get_verify_result(impl->tls->native_handle());
      std::string why = verify != X509_V_OK ? std::string(": ") + X509_verify_cert_error_string(verify) : "";
      fail(ClientError::tls_failed, "TLS handshake with " + where + " failed" + why, ec);
      finish();
      co_return false;
    }
    co_return true;
  }

  // The response head, handed to on_head. A failed send shows here: a server may answer early
  // (413) and stop reading, and then its answer is still worth reading.
  template <class Stream>
  asio::awaitable<bool> read_head(Stream& stream, ResponseParser& parser, beast::flat_buffer& buffer,
                                  const error_code& send_ec, const HeadCallback& on_head) {
    error_code ec;
    co_await bhttp::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (send_ec)
        fail(ClientError::send_failed, "cannot send request to " + where, send_ec);
      else if (is_parse_error(ec))
        fail(ClientError::bad_response, "invalid HTTP response from " + where, ec);
      else
        fail(ClientError::read_failed, "no response from " + where, ec);
      finish();
      co_return false;
    }
    ResponseHead head;
    head.status = static_cast<int>(parser.get().result_int());
    for (const auto& field : parser.get()) {
      auto [it, inserted] = head.headers.emplace(lower(to_std(field.name_string())), std::string(field.value()));
      if (!inserted) it->second += ", " + std::string(field.value());
    }
    result.status = head.status;
    if (on_head) on_head(head);
    co_return true;
  }

  // Body, delivered piece by piece as the parser de-chunks it, until done or on_body says stop.
  // `drain`: after a stop, the rest of the response (usually just the chunked body's terminator
  // behind an engine's [DONE]) is still read, unseen, for up to kDrainBytes and kDrainTime, so that
  // the connection can be kept; past either it closes instead (the result stays ok).
  template <class Stream>
  asio::awaitable<bool> read_body(Stream& stream, ResponseParser& parser, beast::flat_buffer& buffer,
                                  const BodyCallback& on_body, bool drain) {
    static constexpr std::size_t kDrainBytes = 64 * 1024;
    static constexpr std::chrono::milliseconds kDrainTime{200};
    std::array<char, 16 * 1024> piece;
    bool stopped = false, draining = false;
    std::size_t drained = 0;
    error_code ec;
    while (!parser.is_done() && (!stopped || draining)) {
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      co_await bhttp::async_read_some(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == bhttp::error::need_buffer) ec = {};  // our piece is full: deliver it and go on
      std::size_t got = piece.size() - parser.get().body().size;
      if (draining) {
        drained += got;
        if (ec || drained > kDrainBytes) {  // not worth keeping: close it, the answer is whole anyway
          finish();
          co_return true;
        }
        continue;
      }
      if (got > 0) {
        result.body_bytes += got;
        if (on_body && !on_body(std::string_view(piece.data(), got))) stopped = stopped_early = true;
      }
      if (ec && !stopped) {
        if (is_parse_error(ec))
          fail(ClientError::bad_response, "malformed response body from " + where, ec);
        else
          fail(ClientError::read_failed, "connection to " + where + " ended before the response was complete", ec);
        finish();
        co_return false;
      }
      if (stopped && drain && !ec && !parser.is_done()) {
        draining = true;
        impl->deadline.expires_after(std::min<std::chrono::steady_clock::duration>(
            kDrainTime, impl->deadline.expiry() - std::chrono::steady_clock::now()));
        arm_deadline_handler();
      }
    }
    co_return true;
  }

  // Sends the request and reads the answer over `stream` (the socket, or TLS over it).
  template <class Stream>
  asio::awaitable<bool> converse(Stream& stream, bhttp::request<bhttp::string_body>& message,
                                 const HeadCallback& on_head, const BodyCallback& on_body, ResponseParser& parser,
                                 beast::flat_buffer& buffer, bool drain) {
    error_code send_ec;
    co_await bhttp::async_write(stream, message, asio::redirect_error(asio::use_awaitable, send_ec));
    if (!co_await read_head(stream, parser, buffer, send_ec, on_head)) co_return false;
    co_return co_await read_body(stream, parser, buffer, on_body, drain);
  }
};

}  // namespace

StreamingRequest::StreamingRequest(asio::any_io_executor executor) : impl_(std::make_shared<Impl>(executor)) {}

StreamingRequest::~StreamingRequest() {
  impl_->finished = true;
  impl_->abort();
}

void StreamingRequest::cancel() {
  if (impl_->finished) return;
  impl_->cancelled = true;
  impl_->abort();
}

bool StreamingRequest::cancelled() const { return impl_->cancelled; }

asio::awaitable<ClientResult> StreamingRequest::run(ClientRequest request, HeadCallback on_head, BodyCallback on_body) {
  std::string why;
  auto url = parse_url(request.url, &why);
  if (!url) {
    ClientResult result;
    result.error = ClientError::invalid_url;
    result.message = why;
    co_return result;
  }
  Exchange ex{impl_, url->authority(), request.timeout, {}};
  if (ex.impl->cancelled) {
    ex.fail(ClientError::cancelled, "", {});
    co_return ex.result;
  }
  ex.arm_deadline();
  ConnectionPool* pool = url->scheme == "http" ? request.pool : nullptr;
  bool reused = false;
  if (pool) {
    if (auto idle = pool->take(ex.where)) {
      ex.impl->socket = std::move(*idle);
      reused = true;
    }
  }
  if (!reused) {
    if (!co_await ex.connect(*url)) co_return ex.result;
    if (pool) pool->note_opened();
  }

  auto message = make_message(request, *url, ex.where, pool != nullptr);
  std::optional<ResponseParser> parser;
  beast::flat_buffer buffer;
  bool answered = false;
  while (true) {
    parser.emplace();
    // Streams may be long; the caller decides when to stop. (Not boost::none: Beast 1.74 compares
    // Content-Length against an empty optional and then rejects every sized body.)
    parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    parser->header_limit(64 * 1024);
    buffer.clear();
    answered = ex.impl->tls ? co_await ex.converse(*ex.impl->tls, message, on_head, on_body, *parser, buffer, pool)
                            : co_await ex.converse(ex.impl->socket, message, on_head, on_body, *parser, buffer, pool);
    // A kept connection the server closed meanwhile fails before any response: once more, new.
    bool stale = !answered && reused && ex.result.status == 0 &&
                 (ex.result.error == ClientError::send_failed || ex.result.error == ClientError::read_failed);
    if (!stale) break;
    reused = false;
    pool->note_stale_retry();
    ex.result = {};
    ex.impl->finished = false;
    ex.impl->socket = tcp::socket(ex.impl->socket.get_executor());
    ex.arm_deadline();
    if (!co_await ex.connect(*url)) co_return ex.result;
    pool->note_opened();
  }
  if (!answered) co_return ex.result;
  // A callback may have called cancel(): report that rather than success.
  if (ex.impl->cancelled) {
    ex.fail(ClientError::cancelled, "", {});
  } else {
    ex.result.complete = parser->is_done() && !ex.stopped_early;
  }
  // Whole response read, nothing after it, and the server keeps the connection: pool it.
  if (pool && ex.result.ok() && parser->is_done() && parser->keep_alive() && buffer.size() == 0 &&
      !ex.impl->timed_out) {
    ex.impl->finished = true;
    ex.impl->deadline.cancel();
    pool->give_back(ex.where, std::move(ex.impl->socket));
    co_return ex.result;
  }
  ex.finish();
  co_return ex.result;
}

asio::awaitable<SimpleResponse> http_fetch(asio::any_io_executor executor, ClientRequest request,
                                           std::size_t max_body_bytes) {
  SimpleResponse response;
  bool too_large = false;
  const std::string url = request.url;
  StreamingRequest exchange(executor);
  auto result = co_await exchange.run(
      std::move(request), [&](const ResponseHead& head) { response.headers = head.headers; },
      [&](std::string_view data) {
        if (response.body.size() + data.size() > max_body_bytes) {
          too_large = true;
          return false;
        }
        response.body.append(data);
        return true;
      });
  response.status = result.status;
  response.error = result.error;
  response.message = result.message;
  if (too_large && result.ok()) {
    response.error = ClientError::bad_response;
    response.message = "response body from " + url + " exceeds " + std::to_string(max_body_bytes) + " bytes";
  }
  co_return response;
}

asio::awaitable<SimpleResponse> http_get(asio::any_io_executor executor, std::string url,
                                         std::chrono::milliseconds timeout) {
  ClientRequest request;
  request.method = "GET";
  request.url = std::move(url);
  request.timeout = timeout;
  co_return co_await http_fetch(std::move(executor), std::move(request));
}

}  // namespace chrysalis::http
