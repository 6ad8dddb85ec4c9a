#pragma once
// Constants of the Chrysalis contracts (contracts/README.md, contracts/wrappers/chrysalis.mjs):
// operation codes, error codes, states and the coin amounts the contracts require.
#include <cstdint>

namespace chrysalis::ton::contracts {

namespace op {
// common outgoing
constexpr uint32_t kExcesses = 0x2565934c;
constexpr uint32_t kPayout = 0xc59a7cd3;
// root (owner only)
constexpr uint32_t kAddProxyImageHash = 0x71860e80;
constexpr uint32_t kDelProxyImageHash = 0x3c41d0b2;
constexpr uint32_t kAddWorkerImageHash = 0xe34b1c60;
constexpr uint32_t kDelWorkerImageHash = 0x8d94a79a;
constexpr uint32_t kAddModelHash = 0x5d1a8f01;
constexpr uint32_t kDelModelHash = 0x5d1a8f02;
constexpr uint32_t kRegisterProxy = 0x927c7cb5;
constexpr uint32_t kUnregisterProxy = 0x6d49eaf2;
constexpr uint32_t kUpdateProxy = 0x9c7924ba;
constexpr uint32_t kChangeParams = 0xc52ed8d4;
constexpr uint32_t kSetCodes = 0xa2370f61;
constexpr uint32_t kChangeOwner = 0x5d1a8f03;
constexpr uint32_t kUpgradeRoot = 0x11aefd51;
// root (from a genuine proxy contract only)
constexpr uint32_t kRootProxyListing = 0x3e1f5a02;
// proxy contract
constexpr uint32_t kClientChargeNotify = 0x65448ff4;
constexpr uint32_t kWorkerPayoutRequest = 0x4d725d2c;
constexpr uint32_t kProxySaveState = 0x53109c0f;  // signed
constexpr uint32_t kProxyAddStake = 0x9713f187;
constexpr uint32_t kProxyWithdraw = 0x7610e6eb;
constexpr uint32_t kProxyRequestClose = 0xb51d5a01;
constexpr uint32_t kProxyAnnounce = 0x3e1f5a01;  // owner: list or delist the proxy in the root
// client contract
constexpr uint32_t kClientTopUp = 0xf172e6c2;
constexpr uint32_t kClientIncreaseStake = 0x6a1f6a60;
constexpr uint32_t kClientWithdraw = 0xda068e78;
constexpr uint32_t kClientChangeSecret = 0xa9357034;
constexpr uint32_t kClientRequestClose = 0xfafa6cc1;
constexpr uint32_t kClientCharge = 0xbb63ff93;  // signed
constexpr uint32_t kClientRefund = 0xefd711e1;  // signed
// worker contract
constexpr uint32_t kWorkerPayout = 0xa040ad28;  // signed
}  // namespace op

// Exit codes of refused messages.
namespace error {
constexpr int kWrongSender = 101;
constexpr int kBadSignature = 102;
constexpr int kWrongTarget = 103;
constexpr int kWrongRoot = 104;
constexpr int kWrongOp = 105;
constexpr int kNotIncreasing = 106;
constexpr int kAboveBalance = 107;
constexpr int kBelowStake = 108;
constexpr int kEarlyClose = 109;
constexpr int kWrongState = 110;
constexpr int kLowValue = 111;
constexpr int kBadParams = 112;
constexpr int kNotFound = 113;
constexpr int kExists = 114;
constexpr int kBelowObligations = 115;
constexpr int kFull = 116;         // the root lists as many self-listed proxies as it takes
constexpr int kBadEndpoint = 117;  // an announced endpoint is not one cell of at most 127 bytes
constexpr int kUnknownOp = 0xffff;
}  // namespace error

enum class ContractState : uint8_t { active = 0, closing = 1, closed = 2 };

constexpr uint64_t kStorageReserve = 50'000'000;  // kept above accounted funds by every contract
constexpr uint64_t kMinChainValue = 50'000'000;   // attached to messages a contract forwards (charge, payout, refund)
constexpr uint64_t kMinGasValue = 10'000'000;     // attached on top of top-ups and stakes
constexpr uint64_t kGasAttached =
    100'000'000;  // what our nodes and tools attach for gas (≥ both minimums); the excess comes back

}  // namespace chrysalis::ton::contracts
