#pragma once
// The firmware ID (FWID) a GPU's attestation-key certificate carries in its DICE extension, which
// a report that states an FWID must match. Hopper: OID 2.23.133.5.4.1, a SEQUENCE of {INTEGER,
// SubjectPublicKeyInfo, FWID}. Blackwell: OID 2.23.133.5.4.1.1, a TCG DiceTcbInfo whose
// implicitly tagged [6] holds the FWIDs, of which the first counts. FWID = SEQUENCE {hash OID,
// OCTET STRING digest}.
#include <openssl/x509.h>

#include <optional>

#include "attest/quote/quote_bytes.h"

namespace chrysalis::attest::gpu {

// nullopt when the certificate has neither extension; throws std::runtime_error naming the layout
// when one is present but malformed.
std::optional<Bytes> dice_fwid(X509* leaf);

}  // namespace chrysalis::attest::gpu
