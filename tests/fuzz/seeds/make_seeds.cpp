// Writes the binary seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/): RA-TLS claims
// and certificates, frame streams and bags of cells, each made by our own encoders with the fixed
// identity the harnesses use (fuzz_identity.h). Usage: fuzz_seed_maker <repo root>. Deterministic:
// running it again rewrites the same files.
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "attest/ra_tls/claims.h"
#include "attest/ra_tls/ra_tls_cert.h"
#include "fuzz_identity.h"
#include "net/frame_codec.h"
#include "common/hex.h"
#include "proxy/reputation_event.h"
#include "proxy/reputation_table.h"
#include "receipts/answer_digest.h"
#include "receipts/merkle.h"
#include "receipts/receipt.h"
#include "receipts/receipt_proof.h"
#include "billing/ledger_codec.h"
#include "ton/cells/boc.h"
#include "ton/contracts/chrysalis_contracts.h"
#include "ton/contracts/contract_signed.h"

using namespace chrysalis;
namespace fs = std::filesystem;

namespace {

fs::path g_corpus;

void write(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(g_corpus / target);
  std::ofstream(g_corpus / target / name, std::ios::binary) << bytes;
}

std::string as_string(const std::vector<uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

attest::Claims claims_for(const std::string& role) {
  attest::Claims c;
  c.role = role;
  size_t len = c.public_key.size();
  EVP_PKEY_get_raw_public_key(fuzz::fixed_ed25519_key(), c.public_key.data(), &len);
  c.created_unix = fuzz::kNowUnix - 60;
  if (role == "worker") c.model_hash = std::string(64, 'a');      // the harness policy's allowed model
  if (role == "worker") c.e2e_public_key = std::string(32, 'e');  // the X25519 key e2e clients seal to
  c.node_id = role + "-1";
  return c;
}

std::string der_certificate(const std::string& role, const std::string& quote) {
  attest::RaTlsCertificateSpec spec;
  spec.key = fuzz::fixed_ed25519_key();
  spec.encoded_claims = attest::encode_claims(claims_for(role));
  spec.quote = quote;
  spec.not_before_unix = 1577836800;  // 2020-01-01
  spec.not_after_unix = 2208988800;   // 2040-01-01
  spec.common_name = role + "-1";
  X509* cert = attest::parse_certificate_pem(attest::make_ra_tls_certificate_pem(spec));
  // A fixed serial instead of the random one, re-signed (Ed25519 is deterministic): same bytes every run.
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_sign(cert, fuzz::fixed_ed25519_key(), nullptr);
  unsigned char* der = nullptr;
  int len = i2d_X509(cert, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  X509_free(cert);
  return out;
}

void ra_tls_seeds(const fs::path& root) {
  for (const char* role : {"proxy", "worker", "client"}) {
    write("ra_tls_claims_fuzz", std::string(role) + ".bin", attest::encode_claims(claims_for(role)));
    write("ra_tls_cert_fuzz", std::string(role) + ".der", der_certificate(role, ""));
  }
  // A real quote in the extension: the quote verifies, the REPORTDATA check then refuses.
  write("ra_tls_cert_fuzz", "worker_with_quote.der",
        der_certificate("worker", read_file(root / "tests/data/tdx/dcap-qvl_tdx_quote_v4.dat")));
}

ton::CellRef signed_body() {
  std::array<uint8_t, 32> seed{};
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i + 1);
  ton::contracts::SignedPayload payload{.op = ton::contracts::op::kClientCharge,
                                        .target = ton::Address{0, ton::Hash256{0x11}},
                                        .root = ton::Address{-1, ton::Hash256{0x22}},
                                        .amount = 1234};
  return ton::contracts::make_signed_body(payload, 7, ton::Ed25519Key::from_seed(seed));
}

void boc_seeds() {
  auto body = signed_body();
  write("boc_fuzz", "signed_body.boc", as_string(ton::serialize_boc(body)));
  write("boc_fuzz", "signed_body_indexed.boc", as_string(ton::serialize_boc(body, {.index = true, .crc32c = true})));
  write("boc_fuzz", "signed_body_plain.boc", as_string(ton::serialize_boc(body, {.index = false, .crc32c = false})));
  write("boc_fuzz", "signed_body.b64", ton::boc_to_base64(body));
  write("boc_fuzz", "signed_body.hex", ton::to_hex(ton::serialize_boc(body)));
  // A shared subtree and odd bit lengths (completion tags), two roots.
  auto leaf = ton::CellBuilder().store_uint(5, 3).end_cell();
  auto mid = ton::CellBuilder().store_uint(0xabcdef, 24).store_ref(leaf).store_ref(leaf).end_cell();
  auto top = ton::CellBuilder().store_bit(true).store_ref(mid).store_ref(leaf).end_cell();
  write("boc_fuzz", "two_roots.boc", as_string(ton::serialize_boc(std::vector<ton::CellRef>{top, mid})));
  write("boc_fuzz", "empty_cell.boc", as_string(ton::serialize_boc(ton::Cell::empty())));
}

// A countersigned receipt (protobuf and JSON forms, first byte 0 and 1) and its inclusion proof in a
// two-leaf tree walked through one later commit (first byte 2), with fixed keys: the same bytes
// every run.
void receipt_seeds() {
  auto key = [](uint8_t first) {
    std::array<uint8_t, 32> seed{};
    for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(first + i);
    return ton::Ed25519Key::from_seed(seed);
  };
  auto worker_key = key(1), proxy_key = key(101);
  proto::WorkerReceipt w;
  w.set_request_id("rid-1");
  w.set_request_hash(std::string(32, 'r'));
  w.set_answer_hash(receipts::answer_hash("salt", "Hello"));
  w.set_model_hash(std::string(64, 'a'));
  w.mutable_usage()->set_prompt_tokens(12);
  w.mutable_usage()->set_completion_tokens(5);
  w.set_coefficient(1000);
  w.set_started_ms(1000);
  w.set_ended_ms(2000);
  w.set_worker_key(std::string(worker_key.public_key().begin(), worker_key.public_key().end()));
  w.set_outcome("stop");
  auto receipt = receipts::sign_worker_part(w, worker_key);
  proto::ProxyCountersign charge;
  charge.set_charged_tokens(17);
  charge.set_cost_nano(34);
  charge.set_ledger_seqno(9);
  charge.set_signed_ms(2001);
  receipts::countersign(receipt, charge, proxy_key);
  write("receipt_fuzz", "receipt.bin", std::string(1, '\0') + receipt.SerializeAsString());
  write("receipt_fuzz", "receipt.json", "\x01" + receipts::receipt_json(receipt, "salt").dump());

  std::vector<std::string> leaves = {receipts::receipt_leaf(receipt), std::string(32, 'x')};
  receipts::ReceiptProof p;
  p.request_id = "rid-1";
  p.leaf = leaves[0];
  p.commit_seqno = 10;
  p.count = 2;
  p.path = receipts::merkle_path(leaves, 0);
  p.root = receipts::merkle_root(leaves);
  p.prev_link = std::string(32, '\0');
  p.later.push_back({12, receipts::merkle_root({}), 0});
  p.chain_seqno = 12;
  p.chain_prev_hash = std::string(32, 'p');
  std::string link = receipts::receipts_link(receipts::receipts_link(p.prev_link, p.root, 2), p.later[0].root, 0);
  ton::Hash256 prev{};
  std::copy(p.chain_prev_hash.begin(), p.chain_prev_hash.end(), prev.begin());
  auto hash = billing::chain_next(prev, p.chain_seqno, receipts::commit_marker(link));
  p.chain_hash.assign(hash.begin(), hash.end());
  p.proxy_contract = "0:" + std::string(64, '1');
  write("receipt_fuzz", "proof.json", "\x02" + receipts::proof_json(p).dump());

  // A reputation table whose entry carries its history: the worker's receipt behind a success.
  proxy::ReputationTable table;
  std::string worker_hex = to_hex(worker_key.public_key());
  table.record(worker_hex, "m", proxy::outcome_event(w.request_id(), worker_hex, proxy::Outcome::Success, 120, 30,
                                                     &receipt, ""));
  table.record(worker_hex, "m", proxy::outcome_event("r2", worker_hex, proxy::Outcome::Timeout, -1, 0, nullptr, ""));
  std::map<proxy::ReputationTable::Id, proxy::ReputationTable::History> histories;
  auto served = table.signed_table(proxy_key, 1234, &histories);
  proxy::ReputationTable::add_histories(served, histories, 64);
  write("receipt_fuzz", "reputation.json", "\x03" + served.dump());
}

proto::Frame frame_on(uint64_t stream) {
  proto::Frame f;
  f.set_stream(stream);
  return f;
}

void frame_seeds() {
  auto hello = frame_on(0);
  auto* h = hello.mutable_hello();
  h->set_role(proto::ROLE_WORKER);
  h->set_min_version(1);
  h->set_max_version(1);
  h->set_node_id("worker-1");
  h->set_software("chrysalis/0.1");
  auto ack = frame_on(0);
  ack.mutable_hello_ack()->set_role(proto::ROLE_PROXY);
  ack.mutable_hello_ack()->set_version(1);
  auto state = frame_on(0);
  state.mutable_worker_state()->set_model("chrysalis-test");
  state.mutable_worker_state()->set_coefficient(1000);
  state.mutable_worker_state()->set_enabled(true);
  write("frame_fuzz", "handshake.bin", net::encode_frame(hello) + net::encode_frame(ack) + net::encode_frame(state));

  auto request = frame_on(1);
  auto* r = request.mutable_request();
  r->set_request_id("rid-1");
  r->set_path("/v1/chat/completions");
  r->set_body(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true})");
  r->set_max_tokens(16);
  auto head = frame_on(1);
  head.mutable_head()->set_status(200);
  head.mutable_head()->set_worker_id("worker-1");
  auto part = frame_on(1);
  part.mutable_part()->add_events(R"({"choices":[{"delta":{"content":"Hel"}}]})");
  part.mutable_part()->add_events(R"({"choices":[{"delta":{"content":"lo"}}]})");
  auto end = frame_on(1);
  end.mutable_end()->mutable_usage()->set_prompt_tokens(3);
  end.mutable_end()->mutable_usage()->set_completion_tokens(2);
  end.mutable_end()->set_finish_reason("stop");
  write("frame_fuzz", "answer.bin",
        net::encode_frame(request) + net::encode_frame(head) + net::encode_frame(part) + net::encode_frame(end));

  auto error = frame_on(3);
  error.mutable_error()->set_http_status(502);
  error.mutable_error()->set_message("worker: engine gone");
  auto cancel = frame_on(5);
  cancel.mutable_cancel()->set_reason("client left");
  auto ping = frame_on(0);
  ping.mutable_ping()->set_id(9);
  write("frame_fuzz", "errors.bin", net::encode_frame(error) + net::encode_frame(cancel) + net::encode_frame(ping));

  auto info = frame_on(0);
  info.mutable_billing_info()->set_enabled(true);
  info.mutable_billing_info()->set_root(ton::Address{-1, ton::Hash256{0x22}}.to_raw());
  info.mutable_billing_info()->set_proxy_contract(ton::Address{0, ton::Hash256{0x33}}.to_friendly());
  info.mutable_billing_info()->set_party_contract(ton::Address{0, ton::Hash256{0x11}}.to_friendly(false, true));
  auto payment = frame_on(0);
  payment.mutable_payment_update()->set_tokens(1234);
  payment.mutable_payment_update()->set_signed_body_boc(as_string(ton::serialize_boc(signed_body())));
  write("frame_fuzz", "billing.bin", net::encode_frame(info) + net::encode_frame(payment));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_seed_maker <repo root>\n";
    return 2;
  }
  fs::path root = argv[1];
  g_corpus = root / "tests/fuzz/corpus";
  ra_tls_seeds(root);
  boc_seeds();
  frame_seeds();
  receipt_seeds();
  std::cout << "seeds written under " << g_corpus << "\n";
  return 0;
}
