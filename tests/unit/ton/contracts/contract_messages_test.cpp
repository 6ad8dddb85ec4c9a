// Chrysalis contract messages, initial data, addresses, params and dictionaries built in C++,
// checked byte for byte against contracts/scripts/vectors.mjs (@ton/core). The vectors file
// comes from CHRYSALIS_CONTRACT_VECTORS (`cd contracts && npm run vectors -- OUT.json`); without
// it the vector tests skip, unless CHRYSALIS_TON_VECTORS_REQUIRED=1 makes that a failure.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "ton/cells/boc.h"
#include "ton/cells/contract_dictionary.h"
#include "ton/cells/encoding.h"
#include "ton/contracts/chrysalis_contracts.h"
#include "ton/contracts/contract_get_methods.h"
#include "ton/contracts/contract_init.h"
#include "ton/contracts/contract_messages.h"
#include "ton/contracts/root_registry.h"

using namespace chrysalis::ton;
using namespace chrysalis::ton::contracts;
using json = nlohmann::json;

namespace {

class TonContractVectors : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("CHRYSALIS_CONTRACT_VECTORS");
    const char* required = std::getenv("CHRYSALIS_TON_VECTORS_REQUIRED");
    bool must = required && std::string(required) == "1";
    std::ifstream in(path ? path : "");
    if (!path || !in) {
      if (must) FAIL() << "CHRYSALIS_CONTRACT_VECTORS is unset or unreadable (" << (path ? path : "unset") << ")";
      GTEST_SKIP() << "set CHRYSALIS_CONTRACT_VECTORS to the output of contracts/scripts/vectors.mjs";
    }
    v = json::parse(in);
    key = Ed25519Key::from_seed(from_hex(v["key"]["seed_hex"].get<std::string>()));
    root = Address::parse(v["addresses"]["root"].get<std::string>());
    params.params_version = std::stoul(v["params"]["paramsVersion"].get<std::string>());
    params.price_per_token = std::stoull(v["params"]["pricePerToken"].get<std::string>());
    params.worker_fee_per_token = std::stoull(v["params"]["workerFeePerToken"].get<std::string>());
    params.prompt_mult = std::stoul(v["params"]["promptMult"].get<std::string>());
    params.cached_mult = std::stoul(v["params"]["cachedMult"].get<std::string>());
    params.completion_mult = std::stoul(v["params"]["completionMult"].get<std::string>());
    params.reasoning_mult = std::stoul(v["params"]["reasoningMult"].get<std::string>());
    params.proxy_delay_before_close = std::stoul(v["params"]["proxyDelayBeforeClose"].get<std::string>());
    params.client_delay_before_close = std::stoul(v["params"]["clientDelayBeforeClose"].get<std::string>());
    params.min_proxy_stake = std::stoull(v["params"]["minProxyStake"].get<std::string>());
    params.min_client_stake = std::stoull(v["params"]["minClientStake"].get<std::string>());
    codes = {code("proxyCode"), code("clientCode"), code("workerCode")};
  }

  CellRef code(const char* name) { return deserialize_boc_single(from_hex(v["codes"][name].get<std::string>())); }
  Address addr(const char* name) { return Address::parse(v["addresses"][name].get<std::string>()); }
  // Same bytes as @ton/core (BoC without index and CRC) and the same hash.
  void expect_cell(const CellRef& cell, const json& vec, const std::string& what) {
    EXPECT_EQ(to_hex(serialize_boc(cell, BocWriteOptions{false, false})), vec["boc_hex"].get<std::string>()) << what;
    EXPECT_EQ(cell->hash_hex(), vec["hash_hex"].get<std::string>()) << what;
  }
  CellRef vec_cell(const json& vec) { return deserialize_boc_single(from_hex(vec["boc_hex"].get<std::string>())); }
  Hash256 h256(uint64_t low) {
    Hash256 h{};
    for (int i = 0; i < 8; ++i) h[31 - i] = static_cast<uint8_t>(low >> (8 * i));
    return h;
  }

  json v;
  Ed25519Key key = Ed25519Key::from_seed(std::vector<uint8_t>(32, 1));
  Address root;
  ContractParams params;
  ChildCodes codes;
};

}  // namespace

TEST_F(TonContractVectors, ParamsCellAndCodes) {
  EXPECT_EQ(to_hex(key.public_key()), v["key"]["public_key_hex"].get<std::string>());
  expect_cell(build_params_cell(params), v["params"]["cell"], "params");
  EXPECT_EQ(parse_params_cell(vec_cell(v["params"]["cell"])), params);
  EXPECT_EQ(codes.proxy->hash_hex(), v["code_hashes"]["proxyCode"].get<std::string>());
  EXPECT_EQ(codes.client->hash_hex(), v["code_hashes"]["clientCode"].get<std::string>());
  EXPECT_EQ(codes.worker->hash_hex(), v["code_hashes"]["workerCode"].get<std::string>());
}

TEST_F(TonContractVectors, InitDataAndAddresses) {
  auto params_cell = build_params_cell(params);
  auto root_data = root_init_data(addr("root_owner"), params_cell, codes);
  expect_cell(root_data, v["init_data"]["root"], "root init data");
  EXPECT_EQ(contract_address(0, {code("rootCode"), root_data}), root);

  ChrysalisNetwork net{root, params_cell, codes};
  auto pub = key.public_key();
  auto proxy_init = net.proxy_state_init(addr("proxy_owner"), pub);
  expect_cell(proxy_init.data, v["init_data"]["proxy"], "proxy init data");
  auto proxy = net.proxy_address(addr("proxy_owner"), pub);
  EXPECT_EQ(proxy, addr("proxy"));
  expect_cell(net.client_state_init(addr("client_owner"), proxy, pub).data, v["init_data"]["client"],
              "client init data");
  expect_cell(net.worker_state_init(addr("worker_owner"), proxy, pub).data, v["init_data"]["worker"],
              "worker init data");
  EXPECT_EQ(net.client_address(addr("client_owner"), proxy, pub), addr("client"));
  EXPECT_EQ(net.worker_address(addr("worker_owner"), proxy, pub), addr("worker"));
}

TEST_F(TonContractVectors, SignedPayloadsAndBodies) {
  struct Case {
    const char* name;
    uint32_t op;
    const char* target;
  };
  for (auto c :
       {Case{"client_charge", op::kClientCharge, "client"}, Case{"client_refund", op::kClientRefund, "client"},
        Case{"worker_payout", op::kWorkerPayout, "worker"}, Case{"proxy_save_state", op::kProxySaveState, "proxy"}}) {
    const auto& s = v["signed"][c.name];
    SignedPayload p;
    p.op = c.op;
    p.target = addr(c.target);
    p.root = root;
    p.amount = std::stoull(s["amount"].get<std::string>());
    auto extra = TvmInt::parse(s["extra"].get<std::string>()).to_bytes(32);
    std::copy(extra.begin(), extra.end(), p.extra.begin());
    uint64_t qid = std::stoull(s["query_id"].get<std::string>());
    auto payload = build_signed_payload(p);
    expect_cell(payload, s["payload"], std::string(c.name) + " payload");
    EXPECT_EQ(payload->bit_size(), 886u);
    auto sig = sign_payload(payload, key);
    EXPECT_EQ(to_hex(sig), s["signature_hex"].get<std::string>()) << c.name;  // Ed25519 is deterministic
    auto body = make_signed_body(p, qid, key);
    expect_cell(body, s["body"], std::string(c.name) + " body");

    auto parsed = parse_signed_body(vec_cell(s["body"]));
    EXPECT_EQ(parsed.payload, p);
    EXPECT_EQ(parsed.query_id, qid);
    EXPECT_EQ(check_signed_body(parsed, key.public_key(), p.target, root), 0) << c.name;
    EXPECT_EQ(check_signed_body(parsed, key.public_key(), root, root), error::kWrongTarget);
    EXPECT_EQ(check_signed_body(parsed, key.public_key(), p.target, p.target), error::kWrongRoot);
    EXPECT_EQ(
        check_signed_body(parsed, Ed25519Key::from_seed(std::vector<uint8_t>(32, 9)).public_key(), p.target, root),
        error::kBadSignature);
  }
  // the typed builders make the same bodies
  auto amount = [&](const char* n) { return std::stoull(v["signed"][n]["amount"].get<std::string>()); };
  expect_cell(client_body::charge(addr("client"), root, amount("client_charge"), key, 77),
              v["signed"]["client_charge"]["body"], "charge");
  expect_cell(client_body::refund(addr("client"), root, amount("client_refund"), key, 77),
              v["signed"]["client_refund"]["body"], "refund");
  expect_cell(worker_body::payout(addr("worker"), root, amount("worker_payout"), key, 77),
              v["signed"]["worker_payout"]["body"], "payout");
  expect_cell(proxy_body::save_state(addr("proxy"), root, 42, h256(0xfeedfacecafebeefULL), key, 77),
              v["signed"]["proxy_save_state"]["body"], "save state");
}

// A proxy lists itself with an announcement signed by its key over the endpoints cell's hash; the
// owner's delist is unsigned. Byte for byte as the contracts' wrapper builds them.
TEST_F(TonContractVectors, ProxyAnnouncements) {
  const auto& listed = v["signed"]["proxy_announce"];
  expect_cell(proxy_body::announce(addr("proxy"), root, "10.0.0.1:9001", "proxy.example.org:9002", key, 21),
              v["bodies"]["proxy_announce"], "announce");
  EXPECT_EQ(proxy_body::endpoints_cell("10.0.0.1:9001", "proxy.example.org:9002")->hash_hex(),
            listed["endpoints_hash_hex"].get<std::string>());
  expect_cell(proxy_body::delist(addr("proxy"), root, 22), v["bodies"]["proxy_announce_delist"], "delist");
  auto d = decode_body(vec_cell(v["bodies"]["proxy_announce"]));
  EXPECT_EQ(d.name, "proxy_announce");
  EXPECT_EQ(d.query_id, 21u);
  EXPECT_EQ(d.fields["listed"], true);
  EXPECT_EQ(d.fields["clients_endpoint"], "proxy.example.org:9002");
  EXPECT_EQ(d.fields["target"], v["addresses"]["proxy"]);
  // The signature covers the endpoints: the same signature over other endpoints does not verify.
  auto other = proxy_body::announce(addr("proxy"), root, "6.6.6.6:1", "proxy.example.org:9002", key, 21);
  EXPECT_NE(other->hash_hex(), vec_cell(v["bodies"]["proxy_announce"])->hash_hex());
  auto delist = decode_body(vec_cell(v["bodies"]["proxy_announce_delist"]));
  EXPECT_EQ(delist.fields["listed"], false);
  EXPECT_EQ(delist.fields["signature"], std::string(128, '0'));
}

TEST_F(TonContractVectors, PlainBodies) {
  const auto& b = v["bodies"];
  ProxyEntry entry{key.public_key(), "10.0.0.1:8001", "10.0.0.1:8002"};
  ProxyEntry updated{key.public_key(), "w.example:1", "c.example:2"};
  expect_cell(client_body::top_up(5'000'000'000, 1), b["client_top_up"], "top up");
  expect_cell(client_body::increase_stake(1'000'000'000, 2), b["client_increase_stake"], "increase stake");
  expect_cell(client_body::withdraw(1'500'000'000, 3), b["client_withdraw"], "client withdraw");
  expect_cell(client_body::change_secret(h256(0xabcdef), 4), b["client_change_secret"], "change secret");
  expect_cell(client_body::request_close(5), b["client_request_close"], "client close");
  expect_cell(proxy_body::add_stake(10'000'000'000, 6), b["proxy_add_stake"], "add stake");
  expect_cell(proxy_body::withdraw(250'000'000, 7), b["proxy_withdraw"], "proxy withdraw");
  expect_cell(proxy_body::request_close(8), b["proxy_request_close"], "proxy close");
  expect_cell(root_body::add_proxy_image_hash(h256(0x11), 9), b["root_add_proxy_image_hash"], "add proxy image");
  expect_cell(root_body::add_worker_image_hash(h256(0x22), 10), b["root_add_worker_image_hash"], "add worker image");
  expect_cell(root_body::add_model_hash(h256(0x33), 11), b["root_add_model_hash"], "add model");
  expect_cell(root_body::register_proxy(entry, 12), b["root_register_proxy"], "register proxy");
  expect_cell(root_body::change_params(params, 13), b["root_change_params"], "change params");
  expect_cell(root_body::del_proxy_image_hash(h256(0x11), 14), b["root_del_proxy_image_hash"], "del proxy image");
  expect_cell(root_body::del_worker_image_hash(h256(0x22), 15), b["root_del_worker_image_hash"], "del worker image");
  expect_cell(root_body::del_model_hash(h256(0x33), 16), b["root_del_model_hash"], "del model");
  expect_cell(root_body::unregister_proxy(5, 17), b["root_unregister_proxy"], "unregister");
  expect_cell(root_body::update_proxy(5, updated, 18), b["root_update_proxy"], "update proxy");
  expect_cell(root_body::set_codes(codes, 19), b["root_set_codes"], "set codes");
  expect_cell(root_body::change_owner(addr("proxy_owner"), 20), b["root_change_owner"], "change owner");
  expect_cell(root_body::upgrade_root(code("rootCode"), 21), b["root_upgrade_root"], "upgrade root");
  expect_cell(proxy_body::client_charge_notify(100, 250, addr("client_owner"), addr("worker_owner"), 22),
              b["proxy_client_charge_notify"], "charge notify");
  expect_cell(proxy_body::worker_payout_request(7, 70, addr("worker_owner"), addr("client_owner"), 23),
              b["proxy_worker_payout_request"], "payout request");
  expect_cell(excesses_body(24), b["excesses"], "excesses");
  expect_cell(payout_body(25), b["payout"], "payout");
  PublicKey proxy_key = key.public_key();
  expect_cell(root_body::proxy_listing(addr("proxy_owner"), proxy_key, true, addr("client_owner"), "10.0.0.1:9001",
                                       "proxy.example.org:9002", 23),
              b["root_proxy_listing"], "proxy listing");
}

TEST_F(TonContractVectors, DecoderReadsEveryVectorBody) {
  for (auto& [name, vec] : v["bodies"].items()) {
    auto d = decode_body(vec_cell(vec));
    EXPECT_EQ(d.name, name == "proxy_announce_delist" ? "proxy_announce" : name) << name;
  }
  auto d = decode_body(vec_cell(v["bodies"]["root_register_proxy"]));
  EXPECT_EQ(d.query_id, 12u);
  EXPECT_EQ(d.fields["workers_endpoint"], "10.0.0.1:8001");
  EXPECT_EQ(decode_body(vec_cell(v["bodies"]["client_top_up"])).fields["amount"], "5000000000");
  auto c = decode_body(vec_cell(v["signed"]["client_charge"]["body"]));
  EXPECT_EQ(c.name, "client_charge");
  EXPECT_EQ(c.fields["amount"], "123456");
  EXPECT_EQ(c.fields["target"], v["addresses"]["client"]);
  EXPECT_EQ(decode_body(vec_cell(v["bodies"]["root_change_params"])).fields["params"], params.to_json());
}

TEST_F(TonContractVectors, Dictionaries) {
  const auto& set = v["dictionaries"]["hash_set"];
  auto hashes = parse_hash_set(vec_cell(set));
  ASSERT_EQ(hashes.size(), set["keys_hex"].size());
  for (size_t i = 0; i < hashes.size(); ++i) EXPECT_EQ(to_hex(hashes[i]), set["keys_hex"][i].get<std::string>());
  const auto& px = v["dictionaries"]["proxies"];
  auto proxies = parse_proxy_registry(vec_cell(px));
  ASSERT_EQ(proxies.size(), px["entries"].size());
  for (size_t i = 0; i < proxies.size(); ++i) {
    EXPECT_EQ(proxies[i].seqno, px["entries"][i]["seqno"].get<uint32_t>());
    EXPECT_EQ(to_hex(proxies[i].entry.public_key), px["entries"][i]["public_key_hex"].get<std::string>());
    EXPECT_EQ(proxies[i].entry.workers_endpoint, px["entries"][i]["workers_endpoint"].get<std::string>());
    EXPECT_EQ(proxies[i].entry.clients_endpoint, px["entries"][i]["clients_endpoint"].get<std::string>());
  }
}

// Pure tests that need no vectors.
TEST(TonContractMessages, StringCellsSnakeAcrossCells) {
  std::string long_text(300, 'x');
  long_text[200] = 'y';
  auto cell = build_string_cell(long_text);
  EXPECT_EQ(cell->bit_size(), 127u * 8);
  ASSERT_EQ(cell->refs().size(), 1u);
  EXPECT_EQ(parse_string_cell(cell), long_text);
  EXPECT_EQ(parse_string_cell(build_string_cell("")), "");
}

TEST(TonContractMessages, DecodeRefusesTruncatedAndTolerantOfUnknown) {
  auto truncated = CellBuilder().store_uint(op::kClientTopUp, 32).store_uint(1, 64).end_cell();
  EXPECT_THROW(decode_body(truncated), CellError);
  auto extra_bits = CellBuilder().store_uint(op::kClientRequestClose, 32).store_uint(1, 64).store_uint(1, 3).end_cell();
  EXPECT_THROW(decode_body(extra_bits), CellError);
  auto unknown = decode_body(CellBuilder().store_uint(0x12345678, 32).store_uint(9, 64).end_cell());
  EXPECT_EQ(unknown.name, "unknown");
  EXPECT_EQ(unknown.query_id, 9u);
  EXPECT_EQ(decode_body(Cell::empty()).name, "empty");
}

TEST(TonContractMessages, GetMethodStackReaders) {
  TvmStack stack;
  for (int i = 0; i < 11; ++i) stack.push_back(TvmStackEntry::number(TvmInt::from_u64(i == 1 ? 2000 : 10000)));
  auto p = parse_params_stack(stack);
  EXPECT_EQ(p.price_per_token, 2000u);
  EXPECT_EQ(p.min_client_stake, 10000u);
  stack.pop_back();
  EXPECT_THROW(parse_params_stack(stack), GetMethodError);
  TvmStack wrong{TvmStackEntry::cell("x")};
  EXPECT_THROW(parse_worker_data(wrong), GetMethodError);
}
