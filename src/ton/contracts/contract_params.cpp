#include "ton/contracts/contract_params.h"

namespace chrysalis::ton::contracts {

nlohmann::json ContractParams::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  j["params_version"] = params_version;
  j["price_per_token"] = std::to_string(price_per_token);
  j["worker_fee_per_token"] = std::to_string(worker_fee_per_token);
  j["prompt_mult"] = prompt_mult;
  j["cached_mult"] = cached_mult;
  j["completion_mult"] = completion_mult;
  j["reasoning_mult"] = reasoning_mult;
  j["proxy_delay_before_close"] = proxy_delay_before_close;
  j["client_delay_before_close"] = client_delay_before_close;
  j["min_proxy_stake"] = std::to_string(min_proxy_stake);
  j["min_client_stake"] = std::to_string(min_client_stake);
  return j;
}

CellRef build_params_cell(const ContractParams& p) {
  return CellBuilder()
      .store_uint(p.params_version, 32)
      .store_coins(p.price_per_token)
      .store_coins(p.worker_fee_per_token)
      .store_uint(p.prompt_mult, 32)
      .store_uint(p.cached_mult, 32)
      .store_uint(p.completion_mult, 32)
      .store_uint(p.reasoning_mult, 32)
      .store_uint(p.proxy_delay_before_close, 32)
      .store_uint(p.client_delay_before_close, 32)
      .store_coins(p.min_proxy_stake)
      .store_coins(p.min_client_stake)
      .end_cell();
}

ContractParams parse_params_cell(const CellRef& cell) {
  if (!cell) throw CellUnderflow("params cell is missing");
  CellSlice s(cell);
  ContractParams p;
  p.params_version = static_cast<uint32_t>(s.load_uint(32));
  p.price_per_token = s.load_coins();
  p.worker_fee_per_token = s.load_coins();
  p.prompt_mult = static_cast<uint32_t>(s.load_uint(32));
  p.cached_mult = static_cast<uint32_t>(s.load_uint(32));
  p.completion_mult = static_cast<uint32_t>(s.load_uint(32));
  p.reasoning_mult = static_cast<uint32_t>(s.load_uint(32));
  p.proxy_delay_before_close = static_cast<uint32_t>(s.load_uint(32));
  p.client_delay_before_close = static_cast<uint32_t>(s.load_uint(32));
  p.min_proxy_stake = s.load_coins();
  p.min_client_stake = s.load_coins();
  s.end_parse();
  return p;
}

}  // namespace chrysalis::ton::contracts
