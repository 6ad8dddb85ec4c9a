#include "ton/cells/message.h"

namespace chrysalis::ton {

void store_state_init(CellBuilder& builder, const StateInit& init) {
  builder.store_bit(false);  // split_depth
  builder.store_bit(false);  // special (tick-tock)
  builder.store_maybe_ref(init.code);
  builder.store_maybe_ref(init.data);
  builder.store_bit(false);  // library: empty dictionary
}

CellRef build_state_init(const StateInit& init) {
  CellBuilder b;
  store_state_init(b, init);
  return b.end_cell();
}

Address contract_address(int32_t workchain, const StateInit& init) {
  return Address{workchain, build_state_init(init)->hash()};
}

namespace {

// @ton/core differs between storeMessageRelaxed (internal) and storeMessage (external) in when the
// StateInit goes into a reference; both are mirrored so that the bytes (and hashes) agree.
void store_init_and_body(CellBuilder& b, const std::optional<StateInit>& init, const CellRef& body_or_null,
                         bool relaxed) {
  CellRef body = body_or_null ? body_or_null : Cell::empty();
  if (init) {
    b.store_bit(true);
    CellBuilder init_builder;
    store_state_init(init_builder, *init);
    bool need_ref =
        relaxed ? !(static_cast<int>(b.remaining_bits()) - 2 >= static_cast<int>(init_builder.bits()))
                : static_cast<int>(b.remaining_bits()) - 2 < static_cast<int>(init_builder.bits() + body->bit_size());
    if (need_ref) {
      b.store_bit(true);
      b.store_ref(init_builder.end_cell());
    } else {
      b.store_bit(false);
      b.store_builder(init_builder);
    }
  } else {
    b.store_bit(false);
  }
  bool body_inline = static_cast<int>(b.remaining_bits()) - 1 >= static_cast<int>(body->bit_size()) &&
                     b.refs() + body->refs().size() <= Cell::kMaxRefs;
  if (body_inline) {
    b.store_bit(false);
    b.store_cell_contents(body);
  } else {
    b.store_bit(true);
    b.store_ref(body);
  }
}

}  // namespace

CellRef build_internal_message(const InternalMessage& m) {
  CellBuilder b;
  b.store_bit(false);  // int_msg_info$0
  b.store_bit(m.ihr_disabled).store_bit(m.bounce).store_bit(m.bounced);
  b.store_address(m.src);
  b.store_address(m.dest);
  b.store_coins(m.value).store_bit(false);  // CurrencyCollection: grams, no extra currencies
  b.store_coins(m.ihr_fee).store_coins(m.fwd_fee);
  b.store_uint(m.created_lt, 64).store_uint(m.created_at, 32);
  store_init_and_body(b, m.state_init, m.body, true);
  return b.end_cell();
}

CellRef build_external_message(const ExternalInMessage& m) {
  CellBuilder b;
  b.store_uint(0b10, 2);  // ext_in_msg_info$10
  b.store_address_none();
  b.store_address(m.dest);
  b.store_coins(m.import_fee);
  store_init_and_body(b, m.state_init, m.body, false);
  return b.end_cell();
}

}  // namespace chrysalis::ton
