#include "ton/contracts/root_registry.h"

#include "ton/cells/contract_dictionary.h"
#include "ton/cells/encoding.h"
#include "ton/contracts/contract_get_methods.h"

namespace chrysalis::ton::contracts {

namespace asio = boost::asio;

std::vector<Hash256> parse_hash_set(const CellRef& dictionary) {
  std::vector<Hash256> out;
  for (auto& e : parse_dictionary(dictionary, 256)) {
    Hash256 h{};
    std::copy(e.key.begin(), e.key.end(), h.begin());
    out.push_back(h);
  }
  return out;
}

std::vector<RegisteredProxy> parse_proxy_registry(const CellRef& dictionary) {
  std::vector<RegisteredProxy> out;
  for (auto& e : parse_dictionary(dictionary, 32)) {
    RegisteredProxy p;
    for (uint8_t b : e.key) p.seqno = (p.seqno << 8) | b;
    p.entry = load_proxy_entry(e.value);
    e.value.end_parse();
    out.push_back(std::move(p));
  }
  return out;
}

nlohmann::json RootRegistry::to_json() const {
  auto hashes = [](const std::vector<Hash256>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& h : v) a.push_back(to_hex(h));
    return a;
  };
  nlohmann::json j = nlohmann::json::object();
  j["address"] = address.to_raw();
  j["address_friendly"] = address.to_friendly(true);
  j["owner"] = owner.to_raw();
  j["version"] = version;
  j["last_proxy_seqno"] = last_proxy_seqno;
  j["params"] = params.to_json();
  j["params_cell_hash"] = params_cell ? params_cell->hash_hex() : "";
  nlohmann::json codes_json = nlohmann::json::object();
  codes_json["proxy_code_hash"] = codes.proxy ? codes.proxy->hash_hex() : "";
  codes_json["client_code_hash"] = codes.client ? codes.client->hash_hex() : "";
  codes_json["worker_code_hash"] = codes.worker ? codes.worker->hash_hex() : "";
  j["codes"] = codes_json;
  j["proxy_image_hashes"] = hashes(proxy_image_hashes);
  j["worker_image_hashes"] = hashes(worker_image_hashes);
  j["model_hashes"] = hashes(model_hashes);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : proxies) {
    nlohmann::json e = nlohmann::json::object();
    e["seqno"] = p.seqno;
    e["public_key"] = to_hex(p.entry.public_key);
    e["workers_endpoint"] = p.entry.workers_endpoint;
    e["clients_endpoint"] = p.entry.clients_endpoint;
    list.push_back(e);
  }
  j["proxies"] = list;
  return j;
}

asio::awaitable<RootRegistry> read_root_registry(ToncenterClient& client, const Address& root) {
  RootRegistry reg;
  reg.address = root;
  {
    auto r = co_await run_get_method_checked(client, root, "get_root_data");
    StackReader s{"get_root_data", r.stack};
    reg.owner = s.address(0);
    reg.version = static_cast<uint32_t>(s.u64(1));
    reg.last_proxy_seqno = static_cast<uint32_t>(s.u64(2));
  }
  {
    auto r = co_await run_get_method_checked(client, root, "get_params");
    reg.params = parse_params_stack(r.stack);
  }
  {
    auto r = co_await run_get_method_checked(client, root, "get_params_cell");
    reg.params_cell = StackReader{"get_params_cell", r.stack}.cell(0);
    if (parse_params_cell(reg.params_cell) != reg.params) {
      throw GetMethodError("get_params_cell", 0, "params cell disagrees with get_params");
    }
  }
  {
    auto r = co_await run_get_method_checked(client, root, "get_codes");
    StackReader s{"get_codes", r.stack};
    reg.codes = {s.cell(0), s.cell(1), s.cell(2)};
  }
  auto read_set = [&](const char* method) -> asio::awaitable<std::vector<Hash256>> {
    auto r = co_await run_get_method_checked(client, root, method);
    try {
      co_return parse_hash_set(StackReader{method, r.stack}.cell_opt(0));
    } catch (const CellError& e) {
      throw GetMethodError(method, 0, std::string("malformed dictionary: ") + e.what());
    }
  };
  reg.proxy_image_hashes = co_await read_set("get_proxy_image_hashes");
  reg.worker_image_hashes = co_await read_set("get_worker_image_hashes");
  reg.model_hashes = co_await read_set("get_model_hashes");
  {
    auto r = co_await run_get_method_checked(client, root, "get_proxies");
    try {
      reg.proxies = parse_proxy_registry(StackReader{"get_proxies", r.stack}.cell_opt(0));
    } catch (const CellError& e) {
      throw GetMethodError("get_proxies", 0, std::string("malformed dictionary: ") + e.what());
    }
  }
  co_return reg;
}

}  // namespace chrysalis::ton::contracts
