#pragma once
#include <openssl/ssl.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <memory>

namespace chrysalis::net {

// TLS on a TCP socket with OpenSSL driven directly: the socket is non-blocking, OpenSSL reads and
// writes it through a small BIO of our own, and Asio only says when it is readable or writable.
//
// Why not boost::asio::ssl::stream: it keeps two 17 KiB vectors per connection and talks to
// OpenSSL through a BIO pair with two more 17 KiB buffers (~68 KiB resident for as long as the
// connection lives), and copies every byte twice on its way. A proxy holding 10,000 worker
// connections spent most of its memory there (bench/results/scale.md). Here an idle connection
// holds OpenSSL's state only: its record buffers are released while idle (SSL_MODE_RELEASE_BUFFERS).
//
// One read and one write may be pending at once, from coroutines on one thread (the node's
// io_context). Errors are those of asio::ssl::stream: asio::error::eof after the peer's
// close_notify, asio::ssl::error::stream_truncated when the TCP stream ends without one, and
// OpenSSL's errors in asio::error::get_ssl_category().
class TlsStream {
 public:
  enum class Side { Client, Server };
  using executor_type = boost::asio::any_io_executor;

  TlsStream(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& context);
  TlsStream(const executor_type& executor, boost::asio::ssl::context& context);
  TlsStream(TlsStream&&) noexcept;
  TlsStream& operator=(TlsStream&&) noexcept;
  ~TlsStream();

  executor_type get_executor();
  boost::asio::ip::tcp::socket& socket();
  SSL* native_handle();

  // The socket must be connected. On failure `ec` says why (handshake_refusal() names a verifier's refusal).
  boost::asio::awaitable<void> handshake(Side side, boost::system::error_code& ec);
  // Waits for bytes and returns how many were written to `into` (at least one). Bytes land in
  // `into` only in the step that returns them, with no suspension in between: callers may share one
  // scratch buffer per thread instead of holding one per connection. Throws boost::system::system_error.
  boost::asio::awaitable<std::size_t> read_some(boost::asio::mutable_buffer into);
  // Writes all of `data` (as few TLS records as OpenSSL makes of it).
  boost::asio::awaitable<void> write_all(boost::asio::const_buffer data, boost::system::error_code& ec);

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace chrysalis::net
