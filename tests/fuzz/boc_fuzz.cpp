// libFuzzer target: a bag of cells as peers send them (ton/cells/boc.h): the signed body of a
// PaymentUpdate frame from a proxy, and BoCs in toncenter's answers. deserialize_boc must accept or
// throw a CellError; whatever it accepts must serialize (with and without index and CRC) and
// deserialize again to the same cell hashes. A single root then goes through what the client and
// worker do with a proxy's signed amount: parse_signed_body and check_signed_body. The input is
// also tried as text (hex or base64), as a BoC arrives in toncenter JSON.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_support.h"
#include "ton/cells/boc.h"
#include "ton/contracts/contract_signed.h"

using namespace chrysalis;
using namespace chrysalis::ton;

namespace {

std::vector<Hash256> hashes(const std::vector<CellRef>& roots) {
  std::vector<Hash256> out;
  for (const auto& r : roots) out.push_back(r->hash());
  return out;
}

// The proxy key and addresses the seeds' signed bodies were made with (seed bytes 1..32).
void check_signed(const CellRef& root) {
  static const PublicKey key = [] {
    std::array<uint8_t, 32> seed{};
    for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i + 1);
    return Ed25519Key::from_seed(seed).public_key();
  }();
  static const Address self{0, Hash256{0x11}}, root_contract{-1, Hash256{0x22}};
  contracts::SignedBody body;
  try {
    body = contracts::parse_signed_body(root);
  } catch (const CellError&) {
    return;
  }
  int code = contracts::check_signed_body(body, key, self, root_contract);
  if (code == 0 && !(body.payload.target == self)) __builtin_trap();
}

void check_boc(std::span<const uint8_t> bytes) {
  std::vector<CellRef> roots;
  try {
    roots = deserialize_boc(bytes);
  } catch (const CellError&) {
    return;
  }
  if (roots.empty()) __builtin_trap();
  for (bool index : {false, true}) {
    for (bool crc : {false, true}) {
      Bytes again = serialize_boc(roots, {.index = index, .crc32c = crc});
      if (hashes(deserialize_boc(again)) != hashes(roots)) __builtin_trap();
    }
  }
  if (roots.size() == 1) check_signed(roots.front());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_boc({data, size});
  Bytes decoded;
  try {
    decoded = boc_bytes_from_text(fuzz::as_text(data, size));
  } catch (const CellError&) {
    return 0;
  }
  check_boc(decoded);
  return 0;
}
