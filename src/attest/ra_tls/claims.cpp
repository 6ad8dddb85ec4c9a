#include "attest/ra_tls/claims.h"

#include <openssl/sha.h>

namespace chrysalis::attest {
namespace {

constexpr char kMagic[] = "chrysalis-claims/4";
enum Tag : uint8_t { kRole = 1, kPublicKey, kProtocolVersion, kCreated, kModelHash, kNodeId, kConfig, kE2eKey, kGpuEvidence };

void put_field(std::string& out, Tag tag, const std::string& value) {
  out.push_back(static_cast<char>(tag));
  uint32_t n = static_cast<uint32_t>(value.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(n >> (8 * i)));
  out += value;
}

std::string le_bytes(uint64_t v, int width) {
  std::string s;
  for (int i = 0; i < width; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
  return s;
}

uint64_t from_le(const std::string& s) {
  uint64_t v = 0;
  for (size_t i = 0; i < s.size(); ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(s[i])) << (8 * i);
  return v;
}

bool is_lower_hex(const std::string& s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::string encode_claims(const Claims& c) {
  std::string out(kMagic);
  put_field(out, kRole, c.role);
  put_field(out, kPublicKey, std::string(c.public_key.begin(), c.public_key.end()));
  put_field(out, kProtocolVersion, le_bytes(c.protocol_version, 4));
  put_field(out, kCreated, le_bytes(static_cast<uint64_t>(c.created_unix), 8));
  put_field(out, kModelHash, c.model_hash);
  put_field(out, kNodeId, c.node_id);
  put_field(out, kConfig, c.config);
  put_field(out, kE2eKey, c.e2e_public_key);
  put_field(out, kGpuEvidence, c.gpu_evidence_hash);
  return out;
}

std::optional<Claims> decode_claims(const std::string& bytes, std::string& error) {
  if (bytes.size() > kMaxClaimsBytes) {
    error = "claims are " + std::to_string(bytes.size()) + " bytes, more than " + std::to_string(kMaxClaimsBytes);
    return std::nullopt;
  }
  const std::string magic(kMagic);
  if (bytes.compare(0, magic.size(), magic) != 0) {
    error = "claims do not start with \"" + magic + "\"";
    return std::nullopt;
  }
  size_t at = magic.size();
  std::string fields[kGpuEvidence];
  for (uint8_t tag = kRole; tag <= kGpuEvidence; ++tag) {
    if (bytes.size() - at < 5) {
      error = "claims end before field " + std::to_string(tag);
      return std::nullopt;
    }
    if (static_cast<uint8_t>(bytes[at]) != tag) {
      error = "claims field " + std::to_string(tag) + " expected, found tag " +
              std::to_string(static_cast<uint8_t>(bytes[at]));
      return std::nullopt;
    }
    uint64_t len = from_le(bytes.substr(at + 1, 4));
    at += 5;
    if (len > bytes.size() - at) {
      error = "claims field " + std::to_string(tag) + " runs past the end";
      return std::nullopt;
    }
    fields[tag - 1] = bytes.substr(at, len);
    at += len;
  }
  if (at != bytes.size()) {
    error = "claims have " + std::to_string(bytes.size() - at) + " trailing bytes";
    return std::nullopt;
  }
  Claims c;
  c.role = fields[0];
  if (fields[1].size() != 32) {
    error = "claims public key is " + std::to_string(fields[1].size()) + " bytes, not 32";
    return std::nullopt;
  }
  std::copy(fields[1].begin(), fields[1].end(), c.public_key.begin());
  if (fields[2].size() != 4 || fields[3].size() != 8) {
    error = "claims protocol version or creation time has the wrong width";
    return std::nullopt;
  }
  c.protocol_version = static_cast<uint32_t>(from_le(fields[2]));
  uint64_t created = from_le(fields[3]);
  // A creation time outside [1970, year ~33658] is no time at all; bounding it here keeps every age
  // computation downstream free of overflow.
  if (created > kMaxCreatedUnix) {
    error = "claims creation time " + std::to_string(created) + " is not a plausible unix time";
    return std::nullopt;
  }
  c.created_unix = static_cast<int64_t>(created);
  c.model_hash = fields[4];
  if (!c.model_hash.empty() && (c.model_hash.size() != 64 || !is_lower_hex(c.model_hash))) {
    error = "claims model hash is not 64 lowercase hex characters";
    return std::nullopt;
  }
  c.node_id = fields[5];
  c.config = fields[6];
  c.e2e_public_key = fields[7];
  if (!c.e2e_public_key.empty() && c.e2e_public_key.size() != 32) {
    error = "claims e2e key is " + std::to_string(c.e2e_public_key.size()) + " bytes, not 32 (X25519)";
    return std::nullopt;
  }
  c.gpu_evidence_hash = fields[8];
  if (!c.gpu_evidence_hash.empty() && c.gpu_evidence_hash.size() != 32) {
    error = "claims GPU evidence hash is " + std::to_string(c.gpu_evidence_hash.size()) + " bytes, not 32 (SHA-256)";
    return std::nullopt;
  }
  if (c.role != "proxy" && c.role != "worker" && c.role != "client" && c.role != "keybroker") {
    error = "claims role \"" + c.role + "\" is not proxy, worker, client or keybroker";
    return std::nullopt;
  }
  return c;
}

std::array<uint8_t, 64> claims_report_data(const std::string& encoded_claims) {
  std::array<uint8_t, 64> out{};
  SHA512(reinterpret_cast<const unsigned char*>(encoded_claims.data()), encoded_claims.size(), out.data());
  return out;
}

}  // namespace chrysalis::attest
