#pragma once
// The two NVIDIA roots a GPU verifier pins: the Device Identity CA, where every GPU's
// attestation-key chain ends, and the CoRIM signing root, where the reference manifests' signers
// end. A root the GPU (or a RIM) carries itself is never trusted.
#include "attest/quote/quote_trust_anchors.h"

namespace chrysalis::attest::gpu {

extern const char* const kNvidiaDeviceRootPem;
extern const char* const kNvidiaRimRootPem;

TrustAnchors nvidia_device_roots();
TrustAnchors nvidia_rim_roots();

}  // namespace chrysalis::attest::gpu
