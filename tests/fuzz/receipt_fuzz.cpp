// libFuzzer target: what a receipt checker reads from others. The first byte picks the form:
//   0  a Receipt as protobuf (what a proxy relays to a client in ResponseEnd/ResponseError), opened
//      and checked as the client does (receipts/receipt.h open_receipt), then shown (receipt_json);
//   1  a receipt file as JSON (what `chrysalis receipt verify` reads): receipt_from_json, and what
//      reads back is checked as in 0;
//   2  an inclusion proof as JSON (what a proxy serves at GET /receipts/{id}/proof): proof_from_json,
//      then walked from its own leaf (committed_hash_of) and written back out (proof_json), which must
//      read back to the same proof;
//   3  a reputation table as JSON (what a proxy serves at GET /reputation, and to clients):
//      reputation_table_problem and the replay of its histories (check_histories), each of which
//      must name what fails or accept it.
// Nothing may crash, hang or grow without bound; a walk that succeeds must end at the proof's hash.
#include <cstddef>
#include <cstdint>
#include <string>

#include <google/protobuf/stubs/logging.h>

#include "fuzz_support.h"
#include "receipts/receipt.h"
#include "receipts/receipt_proof.h"
#include "proxy/reputation_history_check.h"
#include "receipts/reputation_proof.h"

using namespace chrysalis;

namespace {

void check_receipt(const proto::Receipt& receipt) {
  std::string error;
  receipts::Expected expected;
  expected.countersigned = false;
  auto opened = receipts::open_receipt(receipt, expected, error);
  if (!opened && error.empty()) __builtin_trap();  // a refusal always names what failed
  if (opened) (void)receipts::receipt_summary(*opened);
  (void)receipts::receipt_json(receipt, "salt");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // malformed input is expected; keep the output clean
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto text = fuzz::as_text(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      proto::Receipt receipt;
      if (receipt.ParseFromArray(text.data(), static_cast<int>(text.size()))) check_receipt(receipt);
      break;
    }
    case 1: {
      auto j = nlohmann::json::parse(text, nullptr, false);
      if (j.is_discarded()) break;
      std::string salt, error;
      auto receipt = receipts::receipt_from_json(j, salt, error);
      if (receipt) check_receipt(*receipt);
      else if (error.empty()) __builtin_trap();
      break;
    }
    case 3: {
      auto j = nlohmann::json::parse(text, nullptr, false);
      if (j.is_discarded()) break;
      (void)receipts::reputation_table_problem(j);
      const auto& key = j.is_object() ? j.value("proxy_key", nlohmann::json()) : nlohmann::json();
      (void)proxy::check_histories(j, key.is_string() ? key.get<std::string>() : "");
      break;
    }
    default: {
      auto j = nlohmann::json::parse(text, nullptr, false);
      if (j.is_discarded()) break;
      std::string error;
      auto proof = receipts::proof_from_json(j, error);
      if (!proof) {
        if (error.empty()) __builtin_trap();
        break;
      }
      auto hash = receipts::committed_hash_of(*proof, proof->leaf, error);
      if (hash && *hash != proof->chain_hash) __builtin_trap();
      auto again = receipts::proof_from_json(receipts::proof_json(*proof), error);
      if (!again || receipts::proof_json(*again) != receipts::proof_json(*proof)) __builtin_trap();
      break;
    }
  }
  return 0;
}
