// Mock OpenAI-compatible engine for the network-overhead benchmark (bench/run.sh builds it with
// g++ into its work directory; nothing but the C++ standard library and Linux system calls).
//
// It ignores the prompt and streams N content chunks of B bytes each as OpenAI SSE
// (`data: {chat.completion.chunk}`), then a usage chunk (prompt 34, cached 11, completion N,
// reasoning 0) and `data: [DONE]`, so that what the benchmark measures is the cost of moving a
// stream, not of generating it. Each chunk leaves in its own write(), as a real engine's tokens do:
// with --delay-ms 0 a stream gets one chunk per turn of the event loop (streams take turns), with
// --delay-ms D one chunk every D ms; --burst writes a whole answer in one write() instead.
//
//   mock-engine [--port 8000] [--host 127.0.0.1] [--chunks 50] [--bytes 128] [--delay-ms 0]
//               [--burst] [--model mock-model]
//
// Routes: GET /v1/models, GET /healthz, POST /v1/chat/completions, POST /v1/completions
// (`"stream": true` streams; otherwise one JSON answer). HTTP/1.1 keep-alive, Content-Length
// request bodies. One thread, epoll. Prints "mock-engine ready: url=http://HOST:PORT ..." when
// listening (--port 0 picks a free port).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

struct Options {
  std::string host = "127.0.0.1";
  int port = 8000;
  int chunks = 50;
  int bytes = 128;
  int delay_ms = 0;
  bool burst = false;
  std::string model = "mock-model";
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "mock-engine: %s\n", message.c_str());
  std::exit(2);
}

int to_int(const char* flag, const char* text, int min, int max) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (!*text || *end || v < min || v > max)
    usage_error(std::string(flag) + " wants an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  return static_cast<int>(v);
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::printf(
          "usage: mock-engine [--port N] [--host H] [--chunks N] [--bytes B] [--delay-ms D] [--burst] [--model "
          "NAME]\n");
      std::exit(0);
    }
    if (flag == "--burst") {
      o.burst = true;
      continue;
    }
    if (i + 1 >= argc) usage_error(std::string(flag) + " needs a value");
    const char* v = argv[++i];
    if (flag == "--port")
      o.port = to_int(argv[i - 1], v, 0, 65535);
    else if (flag == "--host")
      o.host = v;
    else if (flag == "--chunks")
      o.chunks = to_int(argv[i - 1], v, 1, 1'000'000);
    else if (flag == "--bytes")
      o.bytes = to_int(argv[i - 1], v, 0, 1'000'000);
    else if (flag == "--delay-ms")
      o.delay_ms = to_int(argv[i - 1], v, 0, 3'600'000);
    else if (flag == "--model")
      o.model = v;
    else
      usage_error("unknown flag " + std::string(flag));
  }
  return o;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

using Clock = std::chrono::steady_clock;

// The fixed parts of every answer, built once.
struct Answers {
  long created = 0;
  std::string usage_json;
  std::string full_text;
  // Per kind (0 chat, 1 completion): the text before and after the id of each chunk.
  std::string object[2];
  std::string after_id_head[2];
  std::vector<std::string> body[2];  // rest of chunk i, after the common head
  std::string tail[2];               // rest of the usage chunk

  explicit Answers(const Options& o) {
    created = static_cast<long>(std::time(nullptr));
    usage_json =
        "{\"prompt_tokens\":34,\"completion_tokens\":" + std::to_string(o.chunks) +
        ",\"total_tokens\":" + std::to_string(34 + o.chunks) +
        ",\"prompt_tokens_details\":{\"cached_tokens\":11},\"completion_tokens_details\":{\"reasoning_tokens\":0}}";
    std::vector<std::string> pieces;
    for (int i = 0; i < o.chunks; ++i) {
      std::string digits = std::to_string(i);
      std::string p = o.bytes == 0 ? ""
                      : static_cast<int>(digits.size()) >= o.bytes
                          ? digits.substr(digits.size() - o.bytes)
                          : std::string(o.bytes - digits.size(), '0') + digits;  // B bytes, zero-padded index
      full_text += p;
      pieces.push_back(std::move(p));
    }
    for (int k = 0; k < 2; ++k) {
      object[k] = k == 0 ? "chat.completion.chunk" : "text_completion";
      after_id_head[k] = "\",\"object\":\"" + object[k] + "\",\"created\":" + std::to_string(created) +
                         ",\"model\":" + json_string(o.model) + ",\"choices\":[";
      for (int i = 0; i < o.chunks; ++i) {
        std::string finish = i == o.chunks - 1 ? "\"stop\"" : "null";
        body[k].push_back(k == 0 ? "{\"index\":0,\"delta\":{" + std::string(i == 0 ? "\"role\":\"assistant\"," : "") +
                                       "\"content\":\"" + pieces[i] +
                                       "\"},\"logprobs\":null,\"finish_reason\":" + finish + "}],\"usage\":null}\n\n"
                                 : "{\"index\":0,\"text\":\"" + pieces[i] +
                                       "\",\"logprobs\":null,\"finish_reason\":" + finish + "}],\"usage\":null}\n\n");
      }
      tail[k] = "\",\"object\":\"" + object[k] + "\",\"created\":" + std::to_string(created) +
                ",\"model\":" + json_string(o.model) + ",\"choices\":[],\"usage\":" + usage_json +
                "}\n\ndata: [DONE]\n\n";
    }
  }
};

void append_http_chunk(std::string& out, std::string_view data) {
  char size[24];
  int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  out.append(size, n);
  out.append(data);
  out.append("\r\n");
}

struct Conn {
  int fd = -1;
  std::string in;
  std::string out;           // bytes not yet accepted by the socket
  bool want_write = false;   // EPOLLOUT registered
  bool close_after = false;  // Connection: close, or a protocol error
  bool http10 = false;       // HTTP/1.0 peer: no chunked framing, the close ends the stream
  // The stream in progress, if any.
  bool streaming = false;
  int kind = 0;
  int next = 0;  // next chunk index; == chunks: the usage chunk and [DONE] are next
  std::string id;
  Clock::time_point due{};
};

class Server {
 public:
  explicit Server(Options o) : o_(std::move(o)), answers_(o_) {}

  void run() {
    listen_socket();
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) fail("epoll_create1");
    add(listen_fd_, EPOLLIN);
    std::vector<epoll_event> events(256);
    for (;;) {
      int timeout = next_timeout_ms();
      int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout);
      if (n < 0 && errno != EINTR) fail("epoll_wait");
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == listen_fd_) {
          accept_all();
          continue;
        }
        auto it = conns_.find(fd);
        if (it == conns_.end()) continue;
        Conn& c = *it->second;
        if (events[i].events & (EPOLLERR | EPOLLHUP)) {
          drop(c);
          continue;
        }
        if ((events[i].events & EPOLLOUT) && !flush(c)) continue;
        if (events[i].events & EPOLLIN) on_readable(c);
      }
      advance_streams();
    }
  }

 private:
  [[noreturn]] static void fail(const char* what) {
    std::fprintf(stderr, "mock-engine: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
  }

  void listen_socket() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) fail("socket");
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(o_.port));
    if (inet_pton(AF_INET, o_.host.c_str(), &addr.sin_addr) != 1) usage_error("--host must be an IPv4 address");
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) fail("bind");
    if (listen(listen_fd_, 1024) < 0) fail("listen");
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    std::printf("mock-engine ready: url=http://%s:%d model=%s chunks=%d bytes=%d delay_ms=%d burst=%s\n",
                o_.host.c_str(), ntohs(addr.sin_port), o_.model.c_str(), o_.chunks, o_.bytes, o_.delay_ms,
                o_.burst ? "true" : "false");
    std::fflush(stdout);
  }

  void add(int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) < 0) fail("epoll_ctl");
  }

  void set_want_write(Conn& c, bool want) {
    if (c.want_write == want) return;
    c.want_write = want;
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
    ev.data.fd = c.fd;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void accept_all() {
    for (;;) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN, or out of descriptors: try again on the next event
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_unique<Conn>();
      c->fd = fd;
      add(fd, EPOLLIN);
      conns_.emplace(fd, std::move(c));
    }
  }

  void drop(Conn& c) {
    epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    conns_.erase(c.fd);  // destroys c
  }

  // Sends what is queued; false when the connection was dropped.
  bool flush(Conn& c) {
    while (!c.out.empty()) {
      ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        c.out.erase(0, static_cast<std::size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        set_want_write(c, true);
        return true;
      } else {
        drop(c);
        return false;
      }
    }
    set_want_write(c, false);
    if (c.close_after && !c.streaming) {
      drop(c);
      return false;
    }
    return true;
  }

  void on_readable(Conn& c) {
    char buf[16384];
    for (;;) {
      ssize_t n = recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<std::size_t>(n));
        if (c.in.size() > (8u << 20)) {
          drop(c);
          return;
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      drop(c);  // peer closed or error: a stream in progress stops here
      return;
    }
    handle_requests(c);
  }

  void simple(Conn& c, int status, const char* reason, const std::string& type, const std::string& body) {
    c.out += "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nContent-Type: " + type +
             "\r\nContent-Length: " + std::to_string(body.size()) + (c.close_after ? "\r\nConnection: close" : "") +
             "\r\n\r\n" + body;
  }

  static std::string error_body(const std::string& message, const std::string& code) {
    return "{\"error\":{\"message\":" + json_string(message) + ",\"type\":\"invalid_request_error\",\"code\":\"" +
           code + "\"}}";
  }

  // Parses and answers complete requests; a streaming answer holds the rest until it is over.
  void handle_requests(Conn& c) {
    int fd = c.fd;
    while (!c.streaming) {
      std::size_t head_end = c.in.find("\r\n\r\n");
      if (head_end == std::string::npos) {
        if (c.in.size() > 65536) {
          c.close_after = true;
          simple(c, 431, "Request Header Fields Too Large", "application/json",
                 error_body("request head too large", "head_too_large"));
        }
        break;
      }
      std::string_view head(c.in.data(), head_end);
      std::size_t line_end = head.find("\r\n");
      std::string_view line = head.substr(0, line_end);
      std::size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
      if (sp1 == std::string_view::npos || sp2 == sp1) {
        c.close_after = true;
        simple(c, 400, "Bad Request", "application/json", error_body("malformed request line", "bad_request"));
        c.in.clear();
        break;
      }
      std::string method(line.substr(0, sp1));
      std::string target(line.substr(sp1 + 1, sp2 - sp1 - 1));
      std::string_view version = line.substr(sp2 + 1);
      std::size_t content_length = 0;
      bool close = version == "HTTP/1.0", chunked_body = false;
      std::size_t pos = line_end == std::string_view::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        std::size_t e = head.find("\r\n", pos);
        if (e == std::string_view::npos) e = head.size();
        std::string_view h = head.substr(pos, e - pos);
        pos = e + 2;
        std::size_t colon = h.find(':');
        if (colon == std::string_view::npos) continue;
        std::string name(h.substr(0, colon));
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        std::string_view value = h.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        std::string v(value);
        for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (name == "content-length")
          content_length = std::strtoull(v.c_str(), nullptr, 10);
        else if (name == "connection")
          close =
              v.find("close") != std::string::npos ? true : (v.find("keep-alive") != std::string::npos ? false : close);
        else if (name == "transfer-encoding" && v.find("chunked") != std::string::npos)
          chunked_body = true;
      }
      if (chunked_body) {
        c.close_after = true;
        simple(c, 411, "Length Required", "application/json",
               error_body("send the request body with Content-Length", "length_required"));
        c.in.clear();
        break;
      }
      if (content_length > (4u << 20)) {
        c.close_after = true;
        simple(c, 413, "Payload Too Large", "application/json", error_body("request body too large", "body_too_large"));
        c.in.clear();
        break;
      }
      if (c.in.size() < head_end + 4 + content_length) break;  // body not complete yet
      std::string body = c.in.substr(head_end + 4, content_length);
      c.in.erase(0, head_end + 4 + content_length);
      c.close_after = close;
      c.http10 = version == "HTTP/1.0";
      std::string path = target.substr(0, target.find('?'));
      answer(c, method, path, body);
      if (!flush(c)) return;  // dropped
      if (conns_.find(fd) == conns_.end()) return;
    }
  }

  static bool asks_stream(const std::string& body) {
    // "stream": true (the key "stream_options" does not match: its quote comes later).
    std::size_t k = body.find("\"stream\"");
    if (k == std::string::npos) return false;
    std::size_t i = k + 8;
    while (i < body.size() && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r')) ++i;
    if (i >= body.size() || body[i] != ':') return false;
    ++i;
    while (i < body.size() && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r')) ++i;
    return body.compare(i, 4, "true") == 0;
  }

  void answer(Conn& c, const std::string& method, const std::string& path, const std::string& body) {
    if (method == "GET" && path == "/v1/models") {
      simple(c, 200, "OK", "application/json",
             "{\"object\":\"list\",\"data\":[{\"id\":" + json_string(o_.model) +
                 ",\"object\":\"model\",\"created\":0,\"owned_by\":\"mock\"}]}");
      return;
    }
    if (method == "GET" && path == "/healthz") {
      simple(c, 200, "OK", "application/json", "{\"status\":\"ok\"}");
      return;
    }
    int kind = path == "/v1/chat/completions" ? 0 : path == "/v1/completions" ? 1 : -1;
    if (method != "POST" || kind < 0) {
      simple(c, 404, "Not Found", "application/json", error_body("no route " + method + " " + path, "not_found"));
      return;
    }
    char id[40];
    std::snprintf(id, sizeof id, "%s%08llx", kind == 0 ? "chatcmpl-mock" : "cmpl-mock", ++counter_);
    if (!asks_stream(body)) {
      std::string choice = kind == 0 ? "{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" +
                                           answers_.full_text + "\"},\"logprobs\":null,\"finish_reason\":\"stop\"}"
                                     : "{\"index\":0,\"text\":\"" + answers_.full_text +
                                           "\",\"logprobs\":null,\"finish_reason\":\"stop\"}";
      simple(c, 200, "OK", "application/json",
             std::string("{\"id\":\"") + id + "\",\"object\":\"" + (kind == 0 ? "chat.completion" : "text_completion") +
                 "\",\"created\":" + std::to_string(answers_.created) + ",\"model\":" + json_string(o_.model) +
                 ",\"choices\":[" + choice + "],\"usage\":" + answers_.usage_json + "}");
      return;
    }
    c.out += "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n";
    if (c.http10)
      c.close_after = true;
    else
      c.out += "Transfer-Encoding: chunked\r\n";
    c.out += c.close_after ? "Connection: close\r\n\r\n" : "\r\n";
    c.streaming = true;
    c.kind = kind;
    c.next = 0;
    c.id = id;
    if (o_.burst) {
      while (c.streaming) queue_next_chunk(c);
    } else {
      queue_next_chunk(c);  // the first chunk leaves with the head
    }
  }

  // Appends the next SSE event of c's stream to its output; the last one ends the stream.
  void queue_next_chunk(Conn& c) {
    int k = c.kind;
    std::string event;
    if (c.next < o_.chunks) {
      event = "data: {\"id\":\"" + c.id + answers_.after_id_head[k] + answers_.body[k][c.next];
      ++c.next;
      if (c.http10)
        c.out += event;
      else
        append_http_chunk(c.out, event);
      c.due = o_.delay_ms > 0 ? Clock::now() + std::chrono::milliseconds(o_.delay_ms) : Clock::time_point{};
      return;
    }
    event = "data: {\"id\":\"" + c.id + answers_.tail[k];
    if (c.http10) {
      c.out += event;
    } else {
      append_http_chunk(c.out, event);
      c.out += "0\r\n\r\n";
    }
    c.streaming = false;
  }

  // One chunk for every stream that is due and whose previous chunk has left.
  void advance_streams() {
    std::vector<int> ready;
    auto now = Clock::now();
    for (auto& [fd, c] : conns_)
      if (c->streaming && c->out.empty() && c->due <= now) ready.push_back(fd);
    for (int fd : ready) {
      auto it = conns_.find(fd);
      if (it == conns_.end()) continue;
      Conn& c = *it->second;
      queue_next_chunk(c);
      if (!flush(c)) continue;
      if (!c.streaming) handle_requests(c);  // a pipelined request may be waiting
    }
  }

  int next_timeout_ms() {
    bool any = false;
    auto now = Clock::now();
    auto soonest = Clock::time_point::max();
    for (auto& [fd, c] : conns_) {
      if (!c->streaming || !c->out.empty()) continue;
      any = true;
      if (c->due < soonest) soonest = c->due;
    }
    if (!any) return -1;
    if (soonest <= now) return 0;
    return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(soonest - now).count()) + 1;
  }

  Options o_;
  Answers answers_;
  int listen_fd_ = -1;
  int epoll_ = -1;
  unsigned long long counter_ = 0;
  std::unordered_map<int, std::unique_ptr<Conn>> conns_;
};

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  Server(parse_args(argc, argv)).run();
}
