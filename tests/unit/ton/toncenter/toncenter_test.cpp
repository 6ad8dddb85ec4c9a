// Pure parts of the toncenter client: stack codec, TVM integers, reply/error mapping, retry rule,
// backoff schedule, reply parsers and transaction matching.
#include <gtest/gtest.h>

#include "ton/toncenter/toncenter_client.h"

using namespace chrysalis::ton;
using json = nlohmann::json;

TEST(TonToncenterInt, ParsesHexDecimalAndNegative) {
  EXPECT_EQ(TvmInt::parse("0x7b").to_u64(), 123u);
  EXPECT_EQ(TvmInt::parse("123").to_u64(), 123u);
  EXPECT_EQ(TvmInt::parse("-0x7B").to_i64(), -123);
  EXPECT_EQ(TvmInt::parse("-1").to_i64(), -1);
  EXPECT_EQ(TvmInt::parse("0x0").to_hex(), "0x0");
  EXPECT_EQ(TvmInt::from_i64(-255).to_hex(), "-0xff");
  EXPECT_EQ(TvmInt::parse("18446744073709551615").to_u64(), UINT64_MAX);
  EXPECT_THROW(TvmInt::parse("18446744073709551616").to_u64(), std::out_of_range);
  EXPECT_THROW(TvmInt::parse("-1").to_u64(), std::out_of_range);
  EXPECT_THROW(TvmInt::parse("12a"), std::invalid_argument);
  EXPECT_THROW(TvmInt::parse(""), std::invalid_argument);
  EXPECT_EQ(TvmInt::from_i64(INT64_MIN).to_i64(), INT64_MIN);
}

TEST(TonToncenterInt, WideValuesRoundTrip) {
  std::string hash(32, '\0');
  for (int i = 0; i < 32; ++i) hash[i] = static_cast<char>(0xa0 + i);
  auto v = TvmInt::from_bytes(hash);
  EXPECT_EQ(TvmInt::parse(v.to_hex()).to_bytes(32), hash);
  EXPECT_EQ(TvmInt::parse(v.to_decimal()), v);
  // 2^255 in decimal
  auto big = TvmInt::parse("57896044618658097711785492504343953926634992332820282019728792003956564819968");
  EXPECT_EQ(big.to_hex(), "0x8" + std::string(63, '0'));
  EXPECT_THROW(big.to_bytes(31), std::out_of_range);
}

TEST(TonToncenterStack, EncodesArgumentsInToncenterFormat) {
  TvmStack stack{TvmStackEntry::number(TvmInt::from_u64(255)), TvmStackEntry::slice(std::string("\x01\x02", 2)),
                 TvmStackEntry::cell("abc")};
  json out = encode_stack(stack);
  EXPECT_EQ(out, json::parse(R"([["num","0xff"],["tvm.Slice","AQI="],["tvm.Cell","YWJj"]])"));
  EXPECT_THROW(encode_stack({TvmStackEntry::null_value()}), std::invalid_argument);
}

TEST(TonToncenterStack, DecodesResultEntries) {
  auto in = json::parse(R"([
    ["num","-0x10"], ["cell",{"bytes":"YWJj"}], ["slice",{"bytes":"AQI="}],
    ["list",{"@type":"tvm.list","elements":[]}],
    ["tuple",{"@type":"tvm.tuple","elements":[
       {"@type":"tvm.stackEntryNumber","number":{"@type":"tvm.numberDecimal","number":"42"}},
       {"@type":"tvm.stackEntryCell","cell":{"@type":"tvm.cell","bytes":"YWJj"}}]}]
  ])");
  auto s = decode_stack(in);
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[0].num.to_i64(), -16);
  EXPECT_EQ(s[1].kind, TvmStackEntry::Kind::cell);
  EXPECT_EQ(s[1].boc, "abc");
  EXPECT_EQ(s[2].kind, TvmStackEntry::Kind::slice);
  EXPECT_EQ(s[2].boc, std::string("\x01\x02", 2));
  EXPECT_EQ(s[3].kind, TvmStackEntry::Kind::null);
  ASSERT_EQ(s[4].kind, TvmStackEntry::Kind::tuple);
  ASSERT_EQ(s[4].items.size(), 2u);
  EXPECT_EQ(s[4].items[0].num.to_u64(), 42u);
  EXPECT_EQ(s[4].items[1].boc, "abc");
}

TEST(TonToncenterStack, RejectsMalformedEntriesByIndex) {
  try {
    decode_stack(json::parse(R"([["num","0x1"],["weird",1]])"));
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("stack[1]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("weird"), std::string::npos) << e.what();
  }
  EXPECT_THROW(decode_stack(json::parse(R"([["cell",{"bytes":"***"}]])")), std::invalid_argument);
  EXPECT_THROW(decode_stack(json::parse(R"({"a":1})")), std::invalid_argument);
}

TEST(TonToncenterBase64, BothAlphabetsAndPadding) {
  EXPECT_EQ(base64_encode("hello"), "aGVsbG8=");
  EXPECT_EQ(base64_decode("aGVsbG8="), "hello");
  EXPECT_EQ(base64_decode("aGVsbG8"), "hello");
  std::string bytes("\xfb\xff\xfe", 3);
  EXPECT_EQ(base64_encode(bytes), "+//+");
  EXPECT_EQ(base64_decode("-__-"), bytes);
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_THROW(base64_decode("a"), std::invalid_argument);
  EXPECT_THROW(base64_decode("a$bc"), std::invalid_argument);
}

TEST(TonToncenterErrors, ReplyMapping) {
  EXPECT_EQ(parse_toncenter_reply("m", 200, R"({"ok":true,"result":"5"})"), json("5"));
  try {
    parse_toncenter_reply("runGetMethod", 416, R"({"ok":false,"error":"Incorrect address: zz","code":416})");
    FAIL();
  } catch (const ToncenterError& e) {
    EXPECT_EQ(e.code(), 416);
    EXPECT_EQ(e.detail(), "Incorrect address: zz");
    EXPECT_EQ(e.method(), "runGetMethod");
    EXPECT_FALSE(e.retryable());
    EXPECT_NE(std::string(e.what()).find("Incorrect address"), std::string::npos);
  }
  try {
    parse_toncenter_reply("m", 429, "Too many requests");
    FAIL();
  } catch (const ToncenterError& e) {
    EXPECT_EQ(e.code(), 429);
    EXPECT_TRUE(e.retryable());
  }
  try {
    parse_toncenter_reply("m", 200, R"({"ok":false,"error":"boom","code":503})");
    FAIL();
  } catch (const ToncenterError& e) {
    EXPECT_EQ(e.code(), 503);
    EXPECT_TRUE(e.retryable());
  }
  EXPECT_THROW(parse_toncenter_reply("m", 200, "not json"), ToncenterError);
}

TEST(TonToncenterErrors, RetryRule) {
  using chrysalis::http::ClientError;
  EXPECT_TRUE(is_retryable(0, ClientError::connect_failed, ""));
  EXPECT_TRUE(is_retryable(0, ClientError::timeout, ""));
  EXPECT_FALSE(is_retryable(0, ClientError::invalid_url, ""));
  EXPECT_FALSE(is_retryable(0, ClientError::cancelled, ""));
  EXPECT_TRUE(is_retryable(429, ClientError::none, "rate limit"));
  EXPECT_TRUE(is_retryable(500, ClientError::none, "LITE_SERVER_NETWORK timeout"));
  EXPECT_TRUE(is_retryable(504, ClientError::none, ""));
  EXPECT_FALSE(
      is_retryable(500, ClientError::none, "LITE_SERVER_UNKNOWN: cannot apply external message to current state : x"));
  EXPECT_FALSE(is_retryable(400, ClientError::none, ""));
  EXPECT_FALSE(is_retryable(404, ClientError::none, ""));
  EXPECT_FALSE(is_retryable(422, ClientError::none, ""));
}

TEST(TonToncenterBackoff, ExponentialCappedWithJitter) {
  RetryPolicy p;
  p.initial_delay = std::chrono::milliseconds(100);
  p.multiplier = 2;
  p.max_delay = std::chrono::milliseconds(1000);
  p.jitter = 0.5;
  // u = 0.5 means no jitter
  EXPECT_EQ(backoff_delay(p, 1, 0.5).count(), 100);
  EXPECT_EQ(backoff_delay(p, 2, 0.5).count(), 200);
  EXPECT_EQ(backoff_delay(p, 4, 0.5).count(), 800);
  EXPECT_EQ(backoff_delay(p, 5, 0.5).count(), 1000);
  EXPECT_EQ(backoff_delay(p, 30, 0.5).count(), 1000);
  // jitter spans ±50 %
  EXPECT_EQ(backoff_delay(p, 2, 0.0).count(), 100);
  EXPECT_EQ(backoff_delay(p, 2, 1.0).count(), 300);
  for (double u = 0; u < 1; u += 0.1) {
    auto d = backoff_delay(p, 3, u).count();
    EXPECT_GE(d, 200);
    EXPECT_LE(d, 600);
  }
}

TEST(TonToncenterParse, TransactionAndMatching) {
  auto tx = parse_transaction(json::parse(R"({
    "@type":"raw.transaction","address":{"account_address":"EQabc"},"utime":1700000000,"data":"YWJj",
    "transaction_id":{"lt":"1000","hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE="},
    "fee":"2500","storage_fee":"10","other_fee":"2490",
    "in_msg":{"hash":"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=","source":"","destination":"EQabc","value":"0",
              "fwd_fee":"0","ihr_fee":"0","created_lt":"0","body_hash":"AQ==","msg_data":{"body":"YWJj","init_state":""}},
    "out_msgs":[{"hash":"AQ==","source":"EQabc","destination":"EQdef","value":"1000000000","fwd_fee":"666",
                 "ihr_fee":"0","created_lt":"1001","body_hash":"AQ==","msg_data":{"body":"","init_state":""}}]})"));
  EXPECT_EQ(tx.id.lt, 1000u);
  EXPECT_EQ(tx.fee, 2500u);
  EXPECT_EQ(tx.account, "EQabc");
  ASSERT_TRUE(tx.in_msg);
  EXPECT_EQ(tx.in_msg->body, "abc");
  ASSERT_EQ(tx.out_msgs.size(), 1u);
  EXPECT_EQ(tx.out_msgs[0].value, 1000000000u);
  EXPECT_EQ(tx.out_msgs[0].fwd_fee, 666u);
  std::string in_hash(32, '\x02');
  EXPECT_TRUE(transaction_matches(tx, {999, {in_hash}}));
  EXPECT_FALSE(transaction_matches(tx, {1000, {in_hash}}));
  EXPECT_FALSE(transaction_matches(tx, {0, {std::string(32, '\x03')}}));
  EXPECT_TRUE(transaction_matches(tx, {0, {}}));
  EXPECT_THROW(parse_transaction(json::parse(R"({"fee":"1"})")), ToncenterError);
}

TEST(TonToncenterParse, GetMethodWalletAndFees) {
  auto r = parse_get_method_result(json::parse(R"({"gas_used":123,"exit_code":0,"stack":[["num","0x5"]]})"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.gas_used, 123u);
  ASSERT_EQ(r.stack.size(), 1u);
  auto w = parse_wallet_information(
      json::parse(R"({"wallet":true,"wallet_type":"wallet v4 r2","seqno":7,"wallet_id":698983191,
    "balance":"5000","account_state":"active","last_transaction_id":{"lt":"9","hash":"AQ=="}})"));
  EXPECT_TRUE(w.wallet);
  EXPECT_EQ(w.seqno, 7u);
  EXPECT_EQ(w.wallet_id, 698983191u);
  EXPECT_EQ(w.balance, 5000u);
  auto f =
      parse_fee_estimate(json::parse(R"({"source_fees":{"in_fwd_fee":1,"storage_fee":2,"gas_fee":3,"fwd_fee":4}})"));
  EXPECT_EQ(f.total(), 10u);
}

TEST(TonToncenterUrl, JsonRpcUrlFromEndpoint) {
  EXPECT_EQ(toncenter_jsonrpc_url("http://127.0.0.1:8091"), "http://127.0.0.1:8091/api/v2/jsonRPC");
  EXPECT_EQ(toncenter_jsonrpc_url("http://127.0.0.1:8091/api/v2"), "http://127.0.0.1:8091/api/v2/jsonRPC");
  EXPECT_EQ(toncenter_jsonrpc_url("http://127.0.0.1:8091/api/v2/jsonRPC"), "http://127.0.0.1:8091/api/v2/jsonRPC");
  EXPECT_EQ(toncenter_jsonrpc_url("http://h:1/ton"), "http://h:1/ton/jsonRPC");
  EXPECT_THROW(toncenter_jsonrpc_url("toncenter.com"), std::invalid_argument);
}
