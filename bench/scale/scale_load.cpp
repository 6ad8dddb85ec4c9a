// The load process of the scale benchmark (bench/scale/run.sh, `make bench-scale`): N simulated
// workers (sim_workers.h) and M client streams (sim_clients.h) against one real proxy, all real
// RA-TLS connections from this one process. Phases, each announced as one JSON line on stdout:
//   workers_connected  every worker dialed (dial_rate per second), its WorkerState sent
//   clients_connected  after settle_s (the proxy's memory with every worker connected is sampled then)
//   streams_started    every stream started, stream_ramp per second
//   ready_to_measure   after warmup_s more of load; waits for --sync-file to exist (run.sh reads /stats first)
//   steady_start / steady_end   the measured window of duration_s; the load then goes on until
//                      --sync-file.end exists (run.sh reads /stats again)
//   done               streams stopped and drained; totals
//   progress           every 5 s: connected workers, answers, lost connections, the proxy's CPU and memory
// With --proxy-pid each event carries the proxy's CPU ticks (utime + stime) and memory, read at
// that instant, so the window's CPU is exact.
//
//   scale_load --worker-config W.toml --client-config C.toml --workers-at HOST:PORT --clients-at HOST:PORT
//              --chrysalis BIN [--workers 10000] [--streams 1000] [--connections 20] [--dial-rate 300]
//              [--max-pending 64] [--slots 4] [--parts 16] [--part-bytes 64] [--market-s 0]
//              [--stream-ramp 200] [--settle-s 5] [--warmup-s 5] [--duration-s 30] [--proxy-pid PID] [--sync-file PATH]
//              [--log-level warn]
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <vector>

#include "attest/ra_tls/ra_tls_node.h"
#include "client/client_config.h"
#include "common/time.h"
#include "sim_clients.h"
#include "sim_workers.h"
#include "worker/worker_config.h"

namespace asio = boost::asio;
using namespace chrysalis;
using namespace chrysalis::bench;

namespace {

struct Args {
  std::map<std::string, std::string> values;
  std::string get(const std::string& key, const std::string& fallback = "") const {
    auto it = values.find(key);
    if (it != values.end()) return it->second;
    if (fallback.empty()) throw std::runtime_error("--" + key + " is required");
    return fallback;
  }
  double number(const std::string& key, double fallback) const {
    auto it = values.find(key);
    return it == values.end() ? fallback : std::stod(it->second);
  }
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0 || i + 1 >= argc) throw std::runtime_error("bad argument " + key);
    a.values[key.substr(2)] = argv[++i];
  }
  return a;
}

// A process (the proxy, or this one) as /proc shows it now: CPU ticks (utime + stime), resident and peak memory.
nlohmann::json proxy_sample(int pid) {
  if (pid <= 0) return nullptr;
  nlohmann::json j;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  auto close = line.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(line.substr(close + 2));
    std::vector<std::string> f{std::istream_iterator<std::string>(fields), std::istream_iterator<std::string>()};
    // After the command: state is field 0, utime 11, stime 12.
    if (f.size() > 12) j["cpu_ticks"] = std::stoull(f[11]) + std::stoull(f[12]);
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    for (const char* key : {"VmRSS:", "VmHWM:"})
      if (line.rfind(key, 0) == 0) j[std::string(key) == "VmRSS:" ? "rss_kb" : "hwm_kb"] = std::stoull(line.substr(6));
  }
  j["at_us"] = steady_now_us();
  return j;
}

void emit(nlohmann::json event) { std::cout << event.dump() << std::endl; }

asio::awaitable<void> sleep_for(std::chrono::milliseconds ms) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  t.expires_after(ms);
  boost::system::error_code ec;
  auto waited = t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_await std::move(waited);
}

std::chrono::milliseconds seconds(double s) { return std::chrono::milliseconds(static_cast<int64_t>(s * 1000)); }

nlohmann::json percentiles(const std::vector<double>& v) {
  return {{"count", v.size()},
          {"p50", LoadCounters::percentile(v, 50)},
          {"p90", LoadCounters::percentile(v, 90)},
          {"p99", LoadCounters::percentile(v, 99)},
          {"max", LoadCounters::percentile(v, 100)}};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args a = parse_args(argc, argv);
    spdlog::set_level(spdlog::level::from_str(a.get("log-level", "warn")));
    const int proxy_pid = static_cast<int>(a.number("proxy-pid", 0));
    const std::string sync_file = a.values.count("sync-file") ? a.values.at("sync-file") : "";
    auto wcfg = worker::load_worker_config(a.get("worker-config"));
    auto ccfg = client::load_client_config(a.get("client-config"));

    asio::io_context io;
    LoadCounters counters;
    SimWorkerSettings ws;
    ws.proxy = parse_endpoint(a.get("workers-at"));
    ws.count = static_cast<std::size_t>(a.number("workers", 10000));
    ws.dial_rate = a.number("dial-rate", 300);
    ws.max_pending = static_cast<std::size_t>(a.number("max-pending", 64));
    ws.max_concurrent = static_cast<uint32_t>(a.number("slots", 4));
    ws.parts = static_cast<uint32_t>(a.number("parts", 16));
    ws.part_bytes = static_cast<std::size_t>(a.number("part-bytes", 64));
    ws.market_query_s = a.number("market-s", 0);
    ws.chrysalis_binary = a.get("chrysalis");
    SimClientSettings cs;
    cs.proxy = parse_endpoint(a.get("clients-at"));
    cs.connections = static_cast<std::size_t>(a.number("connections", 20));
    cs.streams = static_cast<std::size_t>(a.number("streams", 1000));
    cs.model = wcfg.model;
    cs.max_tokens = ws.parts + 16;
    cs.ramp_per_s = a.number("stream-ramp", 200);
    const double settle_s = a.number("settle-s", 5), warmup_s = a.number("warmup-s", 5),
                 duration_s = a.number("duration-s", 30);

    attest::NodeAttestation att(io.get_executor(), "client", ccfg.id + "-scale", "", ccfg.attestation, ccfg.state_dir);
    SimWorkers workers(io, wcfg, ws, counters);
    SimClients clients(io, ccfg, att, cs, counters);
    int rc = 0;
    // Every 5 s: how far the run got, and the proxy then (a stalling proxy shows here first).
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          const int64_t t0 = steady_now_us();
          for (;;) {
            co_await sleep_for(std::chrono::seconds(5));
            emit({{"event", "progress"},
                  {"t_s", static_cast<double>(steady_now_us() - t0) / 1e6},
                  {"workers_connected", workers.connected()},
                  {"answers", counters.answers},
                  {"errors", counters.errors},
                  {"in_flight", clients.in_flight()},
                  {"lost", {{"workers", counters.workers_lost}, {"clients", counters.clients_lost}}},
                  {"close_reasons", counters.close_reasons},
                  {"proxy", proxy_sample(proxy_pid)}});
          }
        },
        asio::detached);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          const int64_t t0 = steady_now_us();
          emit(
              {{"event", "start"}, {"workers", ws.count}, {"streams", cs.streams}, {"proxy", proxy_sample(proxy_pid)}});
          co_await workers.connect_all();
          emit({{"event", "workers_connected"},
                {"connected", workers.connected()},
                {"failed", workers.failed()},
                {"last_error", workers.last_error()},
                {"seconds", static_cast<double>(steady_now_us() - t0) / 1e6},
                {"identity_ms_total", workers.identity_ms()},
                {"certificate_pem_bytes", workers.certificate_bytes()},
                {"market_reply_ms", percentiles(counters.market_ms)},
                {"proxy", proxy_sample(proxy_pid)},
                {"load", proxy_sample(static_cast<int>(getpid()))}});
          counters.market_ms.clear();
          co_await sleep_for(seconds(settle_s));
          emit({{"event", "settled"},
                {"connected", workers.connected()},
                {"market_reply_ms", percentiles(counters.market_ms)},
                {"proxy", proxy_sample(proxy_pid)}});
          co_await clients.connect_all();
          emit({{"event", "clients_connected"}, {"connections", cs.connections}, {"proxy", proxy_sample(proxy_pid)}});
          co_await clients.start_streams();
          emit({{"event", "streams_started"}, {"answers", counters.answers}, {"proxy", proxy_sample(proxy_pid)}});
          co_await sleep_for(seconds(warmup_s));
          emit({{"event", "ready_to_measure"}, {"answers", counters.answers}});
          for (int i = 0; !sync_file.empty() && !std::filesystem::exists(sync_file) && i < 3000; ++i)
            co_await sleep_for(std::chrono::milliseconds(20));
          LoadCounters before = counters;
          counters.measuring = true;
          counters.market_ms.clear();
          const int64_t w0 = steady_now_us();
          emit({{"event", "steady_start"},
                {"counters", counters.json()},
                {"proxy", proxy_sample(proxy_pid)},
                {"load", proxy_sample(static_cast<int>(getpid()))}});
          co_await sleep_for(seconds(duration_s));
          nlohmann::json proxy_end = proxy_sample(proxy_pid);
          counters.measuring = false;
          const double window_s = static_cast<double>(steady_now_us() - w0) / 1e6;
          const double answers = static_cast<double>(counters.answers - before.answers);
          emit({{"event", "steady_end"},
                {"window_s", window_s},
                {"workers_connected", workers.connected()},
                {"answers", counters.answers - before.answers},
                {"errors", counters.errors - before.errors},
                {"frames", counters.frames() - before.frames()},
                {"worker_requests", counters.worker_requests - before.worker_requests},
                {"market_queries", counters.market_queries - before.market_queries},
                {"requests_per_s", answers / window_s},
                {"frames_per_s", static_cast<double>(counters.frames() - before.frames()) / window_s},
                {"latency_ms", percentiles(counters.latency_ms)},
                {"ttfb_ms", percentiles(counters.ttfb_ms)},
                {"market_reply_ms", percentiles(counters.market_ms)},
                {"counters", counters.json()},
                {"proxy", proxy_end},
                {"load", proxy_sample(static_cast<int>(getpid()))}});
          // Still under load until run.sh has read /stats again (PATH.end).
          for (int i = 0; !sync_file.empty() && !std::filesystem::exists(sync_file + ".end") && i < 3000; ++i)
            co_await sleep_for(std::chrono::milliseconds(20));
          clients.stop();
          for (int i = 0; i < 250 && clients.in_flight() > 0; ++i) co_await sleep_for(std::chrono::milliseconds(20));
          emit({{"event", "done"}, {"in_flight_left", clients.in_flight()}, {"counters", counters.json()}});
          clients.close_all();
          workers.close_all();
          att.stop();
          co_await sleep_for(std::chrono::milliseconds(500));
          io.stop();
        },
        [&](std::exception_ptr e) {
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& error) {
            emit({{"event", "failed"}, {"error", error.what()}});
            rc = 1;
          }
          io.stop();
        });
    io.run();
    return rc;
  } catch (const std::exception& e) {
    std::cerr << "scale_load: " << e.what() << "\n";
    emit({{"event", "failed"}, {"error", e.what()}});
    return 2;
  }
}
