#pragma once
#include <filesystem>
#include <string>

namespace chrysalis::cli {

struct LocalNetworkOptions {
  std::filesystem::path dir = "run";
  std::filesystem::path model;  // empty: generate dir/model.gguf
  std::string model_name = "chrysalis-test";
  int workers = 2;  // two, so that an answer whose worker dies goes on (docs/resume.md)
  int client_port = 10000;
  int proxy_http_port = 11000;   // worker listener +1, client listener +2
  int worker_http_port = 12000;  // +i per worker; its engine listens on 12100 + i
  int engine_threads = 2;
  int engine_pace_ms = 0;
  std::string prompt = "Tell me a short story about a butterfly.";
  int max_tokens = 48;
  bool send_request = true;
  bool paid = true;  // a devnet, funded wallets and billing on every node
  int devnet_port = 8091;
};

// Starts proxy, workers (embedded engine) and client as background processes under opts.dir,
// waits until the model is served, and streams one chat answer to stdout. Returns an exit code.
int local_up(const LocalNetworkOptions& opts);
int local_down(const std::filesystem::path& dir);
int local_status(const std::filesystem::path& dir);
// SIGKILL for one worker of the local network: `name`, or else the one answering a request now.
int local_kill_worker(const std::filesystem::path& dir, const std::string& name);

}  // namespace chrysalis::cli
