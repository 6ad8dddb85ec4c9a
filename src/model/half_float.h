#pragma once
#include <cstdint>

namespace chrysalis::model {

// IEEE-754 binary32 -> binary16 with round-to-nearest-even; written by hand so the
// output bytes do not depend on compiler support for _Float16.
uint16_t float_to_half(float value);

}  // namespace chrysalis::model
