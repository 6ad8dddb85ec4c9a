#include "ton/contracts/contract_signed.h"

#include "ton/contracts/chrysalis_contracts.h"

namespace chrysalis::ton::contracts {

CellRef build_signed_payload(const SignedPayload& p) {
  return CellBuilder()
      .store_uint(p.op, 32)
      .store_address(p.target)
      .store_address(p.root)
      .store_uint(p.amount, 64)
      .store_uint_be(p.extra, 256)
      .end_cell();
}

SignedPayload parse_signed_payload(const CellRef& cell) {
  if (!cell) throw CellUnderflow("signed payload: missing cell");
  CellSlice s(cell);
  SignedPayload p;
  p.op = static_cast<uint32_t>(s.load_uint(32));
  p.target = s.load_address();
  p.root = s.load_address();
  p.amount = s.load_uint(64);
  p.extra = s.load_uint256();
  s.end_parse();
  return p;
}

Signature sign_payload(const CellRef& payload, const Ed25519Key& key) { return key.sign(payload->hash()); }

bool verify_payload(const CellRef& payload, const Signature& signature, const PublicKey& public_key) {
  return ed25519_verify(public_key, payload->hash(), signature);
}

CellRef build_signed_body(uint32_t op, uint64_t query_id, const Signature& signature, const CellRef& payload) {
  return CellBuilder().store_uint(op, 32).store_uint(query_id, 64).store_bytes(signature).store_ref(payload).end_cell();
}

CellRef make_signed_body(const SignedPayload& payload, uint64_t query_id, const Ed25519Key& key) {
  auto cell = build_signed_payload(payload);
  return build_signed_body(payload.op, query_id, sign_payload(cell, key), cell);
}

SignedBody parse_signed_body(const CellRef& body) {
  if (!body) throw CellUnderflow("signed body: missing cell");
  CellSlice s(body);
  SignedBody out;
  out.op = static_cast<uint32_t>(s.load_uint(32));
  out.query_id = s.load_uint(64);
  auto sig = s.load_bytes(64);
  std::copy(sig.begin(), sig.end(), out.signature.begin());
  out.payload_cell = s.load_ref();
  s.end_parse();
  out.payload = parse_signed_payload(out.payload_cell);
  return out;
}

int check_signed_body(const SignedBody& body, const PublicKey& proxy_key, const Address& self, const Address& root) {
  if (!verify_payload(body.payload_cell, body.signature, proxy_key)) return error::kBadSignature;
  if (body.payload.op != body.op) return error::kWrongOp;
  if (!(body.payload.target == self)) return error::kWrongTarget;
  if (!(body.payload.root == root)) return error::kWrongRoot;
  return 0;
}

}  // namespace chrysalis::ton::contracts
