#include "attest/ra_tls/rtmr_extend.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "attest/ra_tls/measured_config.h"

namespace chrysalis::attest {
namespace {

Fixed<48> read_register(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + file.string() + " (" + std::strerror(errno) +
                             "): the kernel must expose TDX measurement registers (Linux >= 6.16) to measure the "
                             "configuration into RTMR3");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() != 48)
    throw std::runtime_error(file.string() + " holds " + std::to_string(bytes.size()) + " bytes, not 48");
  Fixed<48> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

}  // namespace

void measure_config_into_rtmr3(const Fixed<48>& config_digest, const std::filesystem::path& measurements_dir) {
  const auto file = measurements_dir / "rtmr3:sha384";
  const Fixed<48> current = read_register(file);
  const Fixed<48> expected = rtmr3_for(config_digest);
  if (current == expected) return;  // this node restarted in the same TD with the same configuration
  if (current != Fixed<48>{})
    throw std::runtime_error("RTMR3 already holds " + to_hex(current) +
                             ", not this configuration's measurement: another configuration was measured in this "
                             "TD; a changed configuration needs a fresh TD");
  std::ofstream out(file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(config_digest.data()), config_digest.size());
  out.flush();
  if (!out) throw std::runtime_error("extending RTMR3 through " + file.string() + " failed: " + std::strerror(errno));
}

}  // namespace chrysalis::attest
