#pragma once
// StateInit, contract addresses and message cells, laid out exactly as @ton/core lays them out
// (storeStateInit, contractAddress, storeMessageRelaxed for internal messages, storeMessage for
// inbound external messages — including its rule for putting init/body inline or in a reference).
#include <cstdint>
#include <optional>

#include "ton/cells/address.h"
#include "ton/cells/cell.h"

namespace chrysalis::ton {

struct StateInit {
  CellRef code;  // may be null (absent)
  CellRef data;  // may be null (absent)
};

// split_depth:nothing special:nothing code:(Maybe ^Cell) data:(Maybe ^Cell) library:empty = b{00} b{1} b{1} b{0} +
// refs.
CellRef build_state_init(const StateInit& init);
void store_state_init(CellBuilder& builder, const StateInit& init);
// Address of a contract = (workchain, representation hash of its StateInit cell).
Address contract_address(int32_t workchain, const StateInit& init);

// Send modes (the byte a wallet puts before each message).
namespace send_mode {
constexpr uint8_t kPayFeesSeparately = 1;
constexpr uint8_t kIgnoreErrors = 2;
constexpr uint8_t kDestroyIfZero = 32;
constexpr uint8_t kCarryRemainingValue = 64;
constexpr uint8_t kCarryAllBalance = 128;
}  // namespace send_mode

// int_msg_info$0 ihr_disabled bounce bounced src dest value:CurrencyCollection ihr_fee fwd_fee created_lt created_at,
// then init:(Maybe (Either StateInit ^StateInit)) body:(Either X ^X). Defaults = @ton/core's internal().
struct InternalMessage {
  Address dest;
  uint64_t value = 0;  // nanoTON (no extra currencies)
  bool bounce = true;
  CellRef body;  // null = empty body
  std::optional<StateInit> state_init;
  bool ihr_disabled = true;
  bool bounced = false;
  std::optional<Address> src;  // addr_none (filled in by the sending contract)
  uint64_t ihr_fee = 0;
  uint64_t fwd_fee = 0;
  uint64_t created_lt = 0;
  uint32_t created_at = 0;
};
CellRef build_internal_message(const InternalMessage& message);

// ext_in_msg_info$10 src:addr_none dest import_fee:Grams, then init and body. What sendBoc takes.
struct ExternalInMessage {
  Address dest;
  CellRef body;  // null = empty body
  std::optional<StateInit> state_init;
  uint64_t import_fee = 0;
};
CellRef build_external_message(const ExternalInMessage& message);

}  // namespace chrysalis::ton
