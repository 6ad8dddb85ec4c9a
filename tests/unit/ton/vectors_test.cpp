// Byte-for-byte agreement of the C++ TON layer with @ton/core / @ton/ton.
// Vectors: `node tests/ton-vectors/generate.mjs OUT.json`, path in CHRYSALIS_TON_VECTORS.
// Without it the tests skip, unless CHRYSALIS_TON_VECTORS_REQUIRED=1 (then they fail).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <optional>

#include "ton/cells/address.h"
#include "ton/cells/boc.h"
#include "ton/cells/cell.h"
#include "ton/cells/message.h"
#include "ton/wallet/wallet_v4r2.h"

namespace chrysalis::ton {
namespace {

using nlohmann::json;

// Loads the vectors once; nullopt (with a reason) when they are not available.
const json* vectors(std::string& why_missing) {
  static std::optional<json> loaded;
  static std::string reason;
  static bool tried = false;
  if (!tried) {
    tried = true;
    const char* path = std::getenv("CHRYSALIS_TON_VECTORS");
    if (!path || !*path) {
      reason = "CHRYSALIS_TON_VECTORS is not set (generate with: node tests/ton-vectors/generate.mjs OUT.json)";
    } else if (std::ifstream in(path); !in) {
      reason = std::string("CHRYSALIS_TON_VECTORS file not found: ") + path;
    } else {
      loaded = json::parse(in);
    }
  }
  why_missing = reason;
  return loaded ? &*loaded : nullptr;
}

bool vectors_required() {
  const char* v = std::getenv("CHRYSALIS_TON_VECTORS_REQUIRED");
  return v && std::string(v) == "1";
}

#define TON_VECTORS_OR_SKIP(var)                    \
  std::string why_missing_;                         \
  const json* var = vectors(why_missing_);          \
  if (!var) {                                       \
    if (vectors_required()) FAIL() << why_missing_; \
    GTEST_SKIP() << why_missing_;                   \
  }

uint64_t hex_u64(const std::string& hex) { return std::stoull(hex, nullptr, 16); }

// Interprets a generate.mjs op list with CellBuilder.
CellRef build(const json& spec);

void store_chain(CellBuilder& b, unsigned n) {
  if (n == 0) {
    b.store_uint(0x2a, 8);
    return;
  }
  CellRef c = CellBuilder().store_uint(0x2a, 8).end_cell();
  for (unsigned i = 0; i + 1 < n; ++i) c = CellBuilder().store_uint(i % 128, 7).store_ref(c).end_cell();
  b.store_uint((n - 1) % 128, 7).store_ref(c);
}

CellRef build(const json& spec) {
  CellBuilder b;
  for (const auto& op : spec) {
    const std::string kind = op[0];
    if (kind == "uint") {
      unsigned bits = op[1];
      std::string hex = op[2];
      if (hex.size() <= 16)
        b.store_uint(hex_u64(hex), bits);
      else
        b.store_uint_be(from_hex(hex), bits);
    } else if (kind == "int") {
      unsigned bits = op[1];
      std::string hex = op[2];
      if (bits <= 64 && hex.size() <= 16) {
        uint64_t v = hex_u64(hex);
        unsigned width = static_cast<unsigned>(hex.size() * 4);
        if (width < 64 && (v >> (width - 1)) & 1) v |= ~uint64_t{0} << width;
        b.store_int(static_cast<int64_t>(v), bits);
      } else {
        b.store_int_be(from_hex(hex), bits);
      }
    } else if (kind == "bit") {
      b.store_bit(op[1].get<int>() != 0);
    } else if (kind == "bits") {
      b.store_bits(from_hex(op[2].get<std::string>()), op[1]);
    } else if (kind == "bytes") {
      b.store_bytes(from_hex(op[1].get<std::string>()));
    } else if (kind == "coins") {
      std::string hex = op[1];
      if (hex.size() <= 16)
        b.store_coins(hex_u64(hex));
      else
        b.store_coins_be(from_hex(hex));
    } else if (kind == "address") {
      if (op[1].is_null())
        b.store_address_none();
      else
        b.store_address(Address::parse(op[1].get<std::string>()));
    } else if (kind == "ref") {
      b.store_ref(build(op[1]));
    } else if (kind == "maybe_ref") {
      b.store_maybe_ref(op[1].is_null() ? nullptr : build(op[1]));
    } else if (kind == "chain") {
      store_chain(b, op[1]);
    } else {
      ADD_FAILURE() << "unknown op " << kind;
    }
  }
  return b.end_cell();
}

// Reads a cell back with CellSlice, following the same op list, and checks every value.
void read_back(const CellRef& cell, const json& spec, const std::string& where) {
  CellSlice s(cell);
  for (const auto& op : spec) {
    const std::string kind = op[0];
    if (kind == "uint" || kind == "int") {
      unsigned bits = op[1];
      Bytes want = from_hex(op[2].get<std::string>());
      Bytes got = s.load_uint_be(bits);
      // Compare the low `bits` bits of both big-endian numbers.
      for (unsigned i = 0; i < bits; ++i) {
        auto bit_of = [&](const Bytes& v) {
          size_t k = i / 8;
          return k < v.size() && ((v[v.size() - 1 - k] >> (i % 8)) & 1);
        };
        ASSERT_EQ(bit_of(got), bit_of(want)) << where << " " << kind << " bit " << i;
      }
    } else if (kind == "bit") {
      ASSERT_EQ(s.load_bit(), op[1].get<int>() != 0) << where;
    } else if (kind == "bits") {
      unsigned bits = op[1];
      Bytes want = from_hex(op[2].get<std::string>());
      Bytes got = s.load_bits(bits);
      want.resize(got.size());
      if (bits % 8) want.back() &= static_cast<uint8_t>(0xFF << (8 - bits % 8));
      ASSERT_EQ(to_hex(got), to_hex(want)) << where;
    } else if (kind == "bytes") {
      Bytes want = from_hex(op[1].get<std::string>());
      ASSERT_EQ(to_hex(s.load_bytes(want.size())), to_hex(want)) << where;
    } else if (kind == "coins") {
      Bytes want = from_hex(op[1].get<std::string>());
      while (!want.empty() && want.front() == 0) want.erase(want.begin());
      ASSERT_EQ(to_hex(s.load_coins_be()), to_hex(want)) << where;
    } else if (kind == "address") {
      auto a = s.load_address_opt();
      if (op[1].is_null())
        ASSERT_FALSE(a.has_value()) << where;
      else
        ASSERT_EQ(a.value().to_raw(), op[1].get<std::string>()) << where;
    } else if (kind == "ref") {
      read_back(s.load_ref(), op[1], where + "/ref");
    } else if (kind == "maybe_ref") {
      CellRef r = s.load_maybe_ref();
      if (op[1].is_null())
        ASSERT_EQ(r, nullptr) << where;
      else
        read_back(r, op[1], where + "/maybe_ref");
    } else if (kind == "chain") {
      unsigned n = op[1];
      if (n == 0)
        ASSERT_EQ(s.load_uint(8), 0x2au) << where;
      else {
        ASSERT_EQ(s.load_uint(7), (n - 1) % 128) << where;
        ASSERT_EQ(s.load_ref()->depth(), n - 1) << where;
      }
    }
  }
  s.end_parse();
}

TEST(TonVectors, CellsHashDepthAndBocBytes) {
  TON_VECTORS_OR_SKIP(v);
  ASSERT_GE(v->at("cells").size(), 20u);
  for (const auto& c : v->at("cells")) {
    const std::string name = c["name"];
    CellRef cell = build(c["spec"]);
    EXPECT_EQ(cell->hash_hex(), c["hash"].get<std::string>()) << name;
    EXPECT_EQ(cell->depth(), c["depth"].get<unsigned>()) << name;
    EXPECT_EQ(cell->bit_size(), c["bits"].get<unsigned>()) << name;
    EXPECT_EQ(cell->refs().size(), c["refs"].get<size_t>()) << name;
    EXPECT_EQ(cell->bits_text(), c["bits_text"].get<std::string>()) << name;
    EXPECT_EQ(to_hex(serialize_boc(cell)), c["boc_hex"].get<std::string>()) << name;
    EXPECT_EQ(to_hex(serialize_boc(cell, {.index = false, .crc32c = false})), c["boc_plain_hex"].get<std::string>())
        << name;
    EXPECT_EQ(to_hex(serialize_boc(cell, {.index = true, .crc32c = true})), c["boc_idx_crc_hex"].get<std::string>())
        << name;
    EXPECT_EQ(to_hex(serialize_boc(cell, {.index = true, .crc32c = false})), c["boc_idx_hex"].get<std::string>())
        << name;
  }
}

TEST(TonVectors, CellsDeserializeAndReadBack) {
  TON_VECTORS_OR_SKIP(v);
  for (const auto& c : v->at("cells")) {
    const std::string name = c["name"];
    for (const char* key : {"boc_hex", "boc_plain_hex", "boc_idx_crc_hex", "boc_idx_hex"}) {
      Bytes bytes = from_hex(c[key].get<std::string>());
      CellRef root = deserialize_boc_single(bytes);
      ASSERT_EQ(root->hash_hex(), c["hash"].get<std::string>()) << name << " " << key;
      EXPECT_EQ(root->depth(), c["depth"].get<unsigned>()) << name << " " << key;
      EXPECT_EQ(to_hex(serialize_boc(root)), c["boc_hex"].get<std::string>()) << name << " " << key;
    }
    read_back(deserialize_boc_single(from_hex(c["boc_hex"].get<std::string>())), c["spec"], name);
  }
}

TEST(TonVectors, AddressesAllForms) {
  TON_VECTORS_OR_SKIP(v);
  for (const auto& a : v->at("addresses")) {
    Address addr = Address::parse(a["raw"].get<std::string>());
    EXPECT_EQ(addr.workchain, a["workchain"].get<int>());
    EXPECT_EQ(to_hex(addr.hash), a["hash_hex"].get<std::string>());
    EXPECT_EQ(addr.to_raw(), a["raw"].get<std::string>());
    EXPECT_EQ(addr.to_friendly(true, false), a["bounceable"].get<std::string>());
    EXPECT_EQ(addr.to_friendly(false, false), a["non_bounceable"].get<std::string>());
    EXPECT_EQ(addr.to_friendly(true, true), a["testnet_bounceable"].get<std::string>());
    EXPECT_EQ(addr.to_friendly(false, true), a["testnet_non_bounceable"].get<std::string>());
    EXPECT_EQ(addr.to_friendly(true, false, false), a["bounceable_std"].get<std::string>());
    EXPECT_EQ(addr.to_friendly(false, true, false), a["testnet_non_bounceable_std"].get<std::string>());
    struct Form {
      const char* key;
      bool bounceable;
      bool testnet;
    };
    for (Form f : {Form{.key = "bounceable", .bounceable = true, .testnet = false},
                   Form{.key = "non_bounceable", .bounceable = false, .testnet = false},
                   Form{.key = "testnet_bounceable", .bounceable = true, .testnet = true},
                   Form{.key = "testnet_non_bounceable", .bounceable = false, .testnet = true},
                   Form{.key = "bounceable_std", .bounceable = true, .testnet = false},
                   Form{.key = "testnet_non_bounceable_std", .bounceable = false, .testnet = true}}) {
      ParsedAddress p = parse_address_text(a[f.key].get<std::string>());
      EXPECT_EQ(p.address, addr) << f.key;
      EXPECT_TRUE(p.friendly);
      EXPECT_EQ(p.bounceable, f.bounceable) << f.key;
      EXPECT_EQ(p.testnet, f.testnet) << f.key;
    }
  }
}

TEST(TonVectors, StateInitAddresses) {
  TON_VECTORS_OR_SKIP(v);
  for (const auto& s : v->at("state_inits")) {
    StateInit init{build(s["code"]), build(s["data"])};
    EXPECT_EQ(to_hex(serialize_boc(build_state_init(init))), s["state_init_boc_hex"].get<std::string>()) << s["name"];
    EXPECT_EQ(contract_address(s["workchain"].get<int>(), init).to_raw(), s["address_raw"].get<std::string>())
        << s["name"];
  }
}

InternalMessage internal_of(const json& m) {
  InternalMessage out;
  out.dest = Address::parse(m["dest"].get<std::string>());
  out.value = std::stoull(m["value"].get<std::string>());
  out.bounce = m["bounce"];
  if (!m["body"].is_null()) out.body = build(m["body"]);
  if (!m["init"].is_null()) out.state_init = StateInit{build(m["init"]["code"]), build(m["init"]["data"])};
  return out;
}

TEST(TonVectors, InternalMessages) {
  TON_VECTORS_OR_SKIP(v);
  for (const auto& m : v->at("internal_messages")) {
    CellRef cell = build_internal_message(internal_of(m["message"]));
    EXPECT_EQ(to_hex(serialize_boc(cell)), m["boc_hex"].get<std::string>());
    EXPECT_EQ(cell->hash_hex(), m["hash"].get<std::string>());
  }
}

TEST(TonVectors, WalletV4R2AddressesAndData) {
  TON_VECTORS_OR_SKIP(v);
  for (const auto& w : v->at("wallets")) {
    Ed25519Key key = Ed25519Key::from_seed(from_hex(w["seed_hex"].get<std::string>()));
    EXPECT_EQ(to_hex(key.public_key()), w["public_key_hex"].get<std::string>());
    WalletV4R2 wallet(key.public_key(), w["workchain"].get<int>());
    EXPECT_EQ(wallet.wallet_id(), w["wallet_id"].get<uint32_t>());
    EXPECT_EQ(wallet.address().to_raw(), w["address_raw"].get<std::string>()) << w["name"];
    EXPECT_EQ(wallet.address().to_friendly(), w["address_bounceable"].get<std::string>());
    EXPECT_EQ(WalletV4R2::code()->hash_hex(), w["code_hash"].get<std::string>());
    EXPECT_EQ(to_hex(serialize_boc(wallet.data())), w["data_boc_hex"].get<std::string>());
  }
}

TEST(TonVectors, WalletV4R2SignedTransfers) {
  TON_VECTORS_OR_SKIP(v);
  std::map<std::string, std::string> seeds;
  for (const auto& w : v->at("wallets")) seeds[w["name"]] = w["seed_hex"];
  for (const auto& t : v->at("transfers")) {
    const std::string name = t["name"];
    Ed25519Key key = Ed25519Key::from_seed(from_hex(seeds.at(t["wallet"])));
    WalletV4R2 wallet(key.public_key(), t["workchain"].get<int>());
    std::vector<WalletOutMessage> out;
    for (const auto& m : t["messages"]) out.push_back({internal_of(m), t["send_mode"].get<uint8_t>()});
    uint32_t valid_until = t["valid_until"];
    CellRef ext = t["deploy"].get<bool>() ? wallet.create_deploy_transfer(key, valid_until, out)
                                          : wallet.create_transfer(key, t["seqno"].get<uint32_t>(), valid_until, out);
    EXPECT_EQ(to_hex(serialize_boc(ext)), t["boc_hex"].get<std::string>()) << name;
    EXPECT_EQ(ext->hash_hex(), t["hash"].get<std::string>()) << name;
    EXPECT_EQ(wallet.create_transfer_body(key, t["seqno"], valid_until, out)->hash_hex(),
              t["body_hash"].get<std::string>())
        << name;
  }
}

}  // namespace
}  // namespace chrysalis::ton
