#pragma once
// The params cell every Chrysalis contract embeds (prices, multipliers, delays, minimum stakes).
#include <nlohmann/json.hpp>

#include <cstdint>

#include "ton/cells/cell.h"

namespace chrysalis::ton::contracts {

struct ContractParams {
  uint32_t params_version = 0;
  uint64_t price_per_token = 0;       // nanoTON per adjusted token, paid by clients
  uint64_t worker_fee_per_token = 0;  // nanoTON per adjusted token, earned by workers
  uint32_t prompt_mult = 10000;       // 10000 = 1.0x
  uint32_t cached_mult = 10000;
  uint32_t completion_mult = 10000;
  uint32_t reasoning_mult = 10000;
  uint32_t proxy_delay_before_close = 0;   // seconds
  uint32_t client_delay_before_close = 0;  // seconds
  uint64_t min_proxy_stake = 0;            // nanoTON
  uint64_t min_client_stake = 0;           // nanoTON

  bool operator==(const ContractParams&) const = default;
  // snake_case keys; coin amounts as decimal strings (they may exceed 2^53).
  nlohmann::json to_json() const;
};

// params_version:uint32 price:coins fee:coins 4×mult:uint32 2×delay:uint32 2×stake:coins.
CellRef build_params_cell(const ContractParams& params);
// Throws CellError naming what is short or left over.
ContractParams parse_params_cell(const CellRef& cell);

}  // namespace chrysalis::ton::contracts
