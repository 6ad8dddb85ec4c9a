#pragma once
// Keys that never touch disk in plaintext. A node's long-lived signing key (TLS, ledger rows, TON
// payments) is kept on disk only encrypted under a sealing key that the key broker releases, over
// RA-TLS, to nodes of one measured image (image hash = binary/TD image and measured configuration).
// A stolen disk, a copied key.sealed or a key planted by the host is useless without that image.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace chrysalis::attest {

using SealingKey = std::array<uint8_t, 32>;

// The broker's per-image key: HKDF-SHA256(master, salt "chrysalis-seal/1", info role "|" image_hash).
SealingKey derive_sealing_key(const SealingKey& master, const std::string& role, const std::string& image_hash);

// AES-256-GCM: "chrysalis-sealed/1" | 12-byte random nonce | ciphertext | 16-byte tag, with
// `context` (who the key belongs to: role and node id) as associated data.
std::string seal(const std::string& plaintext, const SealingKey& key, const std::string& context);
// nullopt when the blob was not sealed under `key` for `context` (or was altered).
std::optional<std::string> unseal(const std::string& blob, const SealingKey& key, const std::string& context);

}  // namespace chrysalis::attest
