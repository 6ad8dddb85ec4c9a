#include "net/tls_stream.h"

#include <openssl/bio.h>
#include <openssl/err.h>

#include <boost/asio/error.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace chrysalis::net {

namespace asio = boost::asio;
using boost::system::error_code;

struct TlsStream::State {
  explicit State(asio::ip::tcp::socket s) : socket(std::move(s)) {}
  ~State() {
    if (ssl) SSL_free(ssl);  // frees the BIO too
  }
  asio::ip::tcp::socket socket;
  SSL* ssl = nullptr;
  error_code io_error;      // the socket's own error in the last OpenSSL call, if it had one
  bool peer_closed = false;  // the TCP stream ended (read returned 0)
};

namespace {

TlsStream::State* state_of(BIO* bio) { return static_cast<TlsStream::State*>(BIO_get_data(bio)); }

bool would_block(const error_code& ec) { return ec == asio::error::would_block || ec == asio::error::try_again; }

// A BIO call's result from the socket call's: the count, a retry when the socket would block, 0 at
// the end of the stream, or -1 with the socket's error kept for error_of.
int bio_result(BIO* bio, TlsStream::State* s, std::size_t n, const error_code& ec, bool reading) {
  if (would_block(ec)) {
    reading ? BIO_set_retry_read(bio) : BIO_set_retry_write(bio);
    return -1;
  }
  if (reading && ec == asio::error::eof) {
    s->peer_closed = true;
    return 0;
  }
  if (ec) {
    s->io_error = ec;
    return -1;
  }
  return static_cast<int>(n);
}

int bio_write(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  auto* s = state_of(bio);
  error_code ec;
  std::size_t n = s->socket.write_some(asio::buffer(data, static_cast<std::size_t>(size)), ec);
  return bio_result(bio, s, n, ec, false);
}

int bio_read(BIO* bio, char* into, int size) {
  BIO_clear_retry_flags(bio);
  auto* s = state_of(bio);
  error_code ec;
  std::size_t n = s->socket.read_some(asio::buffer(into, static_cast<std::size_t>(size)), ec);
  return bio_result(bio, s, n, ec, true);
}

long bio_ctrl(BIO* bio, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;  // nothing is buffered here: every write goes to the socket
    case BIO_CTRL_EOF:
      return state_of(bio)->peer_closed ? 1 : 0;  // lets OpenSSL tell a truncated stream from a stall
    case BIO_C_GET_FD:
      return state_of(bio)->socket.is_open() ? state_of(bio)->socket.native_handle() : -1;
    default:
      return 0;
  }
}

BIO_METHOD* socket_bio_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "chrysalis asio socket");
    if (!m) throw std::runtime_error("BIO_meth_new failed");
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, [](BIO* b) {
      BIO_set_init(b, 1);
      return 1;
    });
    return m;
  }();
  return method;
}

// What a failed OpenSSL call means, in the error codes asio::ssl::stream gives.
error_code error_of(const TlsStream::State& s, int ssl_error) {
  if (ssl_error == SSL_ERROR_ZERO_RETURN) return asio::error::eof;
  unsigned long queued = ERR_get_error();
  ERR_clear_error();
  if (queued != 0 && ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
    return asio::ssl::error::stream_truncated;
  if (s.io_error) return s.io_error;
  if (queued != 0) return error_code(static_cast<int>(queued), asio::error::get_ssl_category());
  if (s.peer_closed) return asio::ssl::error::stream_truncated;
  return asio::ssl::error::unspecified_system_error;
}

enum class Step { Handshake, Read, Write };

// Calls OpenSSL until the step makes progress: a positive count, or `ec` set. Waits for the socket
// whenever OpenSSL says it needs to read or write.
asio::awaitable<int> drive(TlsStream::State* s, Step step, char* data, int size, error_code& ec) {
  for (;;) {
    ERR_clear_error();
    s->io_error = {};
    int result = 0;
    switch (step) {
      case Step::Handshake:
        result = SSL_do_handshake(s->ssl);
        break;
      case Step::Read:
        result = SSL_read(s->ssl, data, size);
        break;
      case Step::Write:
        result = SSL_write(s->ssl, data, size);
        break;
    }
    if (result > 0) co_return result;
    int ssl_error = SSL_get_error(s->ssl, result);
    if (ssl_error != SSL_ERROR_WANT_READ && ssl_error != SSL_ERROR_WANT_WRITE) {
      ec = error_of(*s, ssl_error);
      co_return 0;
    }
    auto wait = s->socket.async_wait(ssl_error == SSL_ERROR_WANT_READ ? asio::ip::tcp::socket::wait_read
                                                                      : asio::ip::tcp::socket::wait_write,
                                     asio::redirect_error(asio::use_awaitable, ec));
    co_await std::move(wait);
    if (ec) co_return 0;
  }
}

int clamp_size(std::size_t size) { return static_cast<int>(std::min<std::size_t>(size, 1u << 30)); }

}  // namespace

TlsStream::TlsStream(asio::ip::tcp::socket socket, asio::ssl::context& context)
    : state_(std::make_unique<State>(std::move(socket))) {
  state_->ssl = SSL_new(context.native_handle());
  if (!state_->ssl) throw std::runtime_error("SSL_new failed");
  BIO* bio = BIO_new(socket_bio_method());
  if (!bio) throw std::runtime_error("BIO_new failed");
  BIO_set_data(bio, state_.get());
  SSL_set_bio(state_->ssl, bio, bio);  // one reference, owned by the SSL object
  SSL_set_mode(state_->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Whole socket reads (several records at once) instead of a header read, then a body read.
  SSL_set_read_ahead(state_->ssl, 1);
}

TlsStream::TlsStream(const executor_type& executor, asio::ssl::context& context)
    : TlsStream(asio::ip::tcp::socket(executor), context) {}

TlsStream::TlsStream(TlsStream&&) noexcept = default;
TlsStream& TlsStream::operator=(TlsStream&&) noexcept = default;
TlsStream::~TlsStream() = default;

TlsStream::executor_type TlsStream::get_executor() { return state_->socket.get_executor(); }
asio::ip::tcp::socket& TlsStream::socket() { return state_->socket; }
SSL* TlsStream::native_handle() { return state_->ssl; }

asio::awaitable<void> TlsStream::handshake(Side side, error_code& ec) {
  state_->socket.non_blocking(true, ec);
  if (ec) co_return;
  if (side == Side::Client)
    SSL_set_connect_state(state_->ssl);
  else
    SSL_set_accept_state(state_->ssl);
  auto step = drive(state_.get(), Step::Handshake, nullptr, 0, ec);
  co_await std::move(step);
}

asio::awaitable<std::size_t> TlsStream::read_some(asio::mutable_buffer into) {
  error_code ec;
  auto step = drive(state_.get(), Step::Read, static_cast<char*>(into.data()), clamp_size(into.size()), ec);
  int n = co_await std::move(step);
  if (ec) throw boost::system::system_error(ec);
  co_return static_cast<std::size_t>(n);
}

asio::awaitable<void> TlsStream::write_all(asio::const_buffer data, error_code& ec) {
  // OpenSSL only reads from the buffer it is given to write.
  auto* next = const_cast<char*>(static_cast<const char*>(data.data()));
  std::size_t left = data.size();
  while (left > 0) {
    auto step = drive(state_.get(), Step::Write, next, clamp_size(left), ec);
    int n = co_await std::move(step);
    if (ec) co_return;
    next += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace chrysalis::net
