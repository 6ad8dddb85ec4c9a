#include "ton/contracts/contract_init.h"

namespace chrysalis::ton::contracts {

namespace {
CellRef ident_cell(const Address& owner, const Address& proxy, const Address& root) {
  return CellBuilder().store_address(owner).store_address(proxy).store_address(root).end_cell();
}
void need_cell(const CellRef& cell, const char* what) {
  if (!cell) throw std::invalid_argument(std::string("contract init data: ") + what + " is missing");
}
}  // namespace

CellRef root_init_data(const Address& owner, const CellRef& params_cell, const ChildCodes& codes, uint32_t version) {
  need_cell(params_cell, "params cell");
  need_cell(codes.proxy, "proxy code");
  need_cell(codes.client, "client code");
  need_cell(codes.worker, "worker code");
  auto code_cell = CellBuilder().store_ref(codes.proxy).store_ref(codes.client).store_ref(codes.worker).end_cell();
  auto registry = CellBuilder().store_uint(0, 4).end_cell();
  return CellBuilder()
      .store_address(owner)
      .store_uint(version, 32)
      .store_uint(0, 32)
      .store_ref(params_cell)
      .store_ref(code_cell)
      .store_ref(registry)
      .store_uint(0, 16)  // self-listed proxies: none yet
      .store_uint(0, 1)   // and their key index, empty
      .end_cell();
}

CellRef proxy_init_data(const Address& owner, const PublicKey& public_key, const Address& root,
                        const CellRef& params_cell, const CellRef& client_code, const CellRef& worker_code) {
  need_cell(params_cell, "params cell");
  need_cell(client_code, "client code");
  need_cell(worker_code, "worker code");
  auto ident = CellBuilder().store_address(owner).store_uint_be(public_key, 256).store_address(root).end_cell();
  auto child_codes = CellBuilder().store_ref(client_code).store_ref(worker_code).end_cell();
  return CellBuilder()
      .store_uint(0, 2)
      .store_coins(0)
      .store_coins(0)
      .store_uint(0, 64)
      .store_uint(0, 64)
      .store_uint(0, 32)
      .store_uint(0, 64)
      .store_uint_be(Hash256{}, 256)
      .store_ref(ident)
      .store_ref(params_cell)
      .store_ref(child_codes)
      .end_cell();
}

CellRef client_init_data(const Address& owner, const Address& proxy, const Address& root, const PublicKey& key,
                         const CellRef& params_cell) {
  need_cell(params_cell, "params cell");
  return CellBuilder()
      .store_uint(0, 2)
      .store_coins(0)
      .store_coins(0)
      .store_uint(0, 64)
      .store_uint(0, 32)
      .store_uint_be(Hash256{}, 256)
      .store_uint_be(key, 256)
      .store_ref(ident_cell(owner, proxy, root))
      .store_ref(params_cell)
      .end_cell();
}

CellRef worker_init_data(const Address& owner, const Address& proxy, const Address& root, const PublicKey& key,
                         const CellRef& params_cell) {
  need_cell(params_cell, "params cell");
  return CellBuilder()
      .store_uint(0, 2)
      .store_uint(0, 64)
      .store_uint_be(key, 256)
      .store_ref(ident_cell(owner, proxy, root))
      .store_ref(params_cell)
      .end_cell();
}

StateInit ChrysalisNetwork::proxy_state_init(const Address& owner, const PublicKey& key) const {
  need_cell(codes.proxy, "proxy code");
  return {codes.proxy, proxy_init_data(owner, key, root, params_cell, codes.client, codes.worker)};
}
StateInit ChrysalisNetwork::client_state_init(const Address& owner, const Address& proxy, const PublicKey& key) const {
  need_cell(codes.client, "client code");
  return {codes.client, client_init_data(owner, proxy, root, key, params_cell)};
}
StateInit ChrysalisNetwork::worker_state_init(const Address& owner, const Address& proxy, const PublicKey& key) const {
  need_cell(codes.worker, "worker code");
  return {codes.worker, worker_init_data(owner, proxy, root, key, params_cell)};
}
Address ChrysalisNetwork::proxy_address(const Address& owner, const PublicKey& key) const {
  return contract_address(0, proxy_state_init(owner, key));
}
Address ChrysalisNetwork::client_address(const Address& owner, const Address& proxy, const PublicKey& key) const {
  return contract_address(0, client_state_init(owner, proxy, key));
}
Address ChrysalisNetwork::worker_address(const Address& owner, const Address& proxy, const PublicKey& key) const {
  return contract_address(0, worker_state_init(owner, proxy, key));
}

}  // namespace chrysalis::ton::contracts
