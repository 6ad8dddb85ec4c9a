// Loading the collateral bundle (format in collateral.h), keeping the exact signed bytes.
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "attest/quote/collateral.h"
#include "common/json_bounded.h"
#include "common/url.h"

namespace chrysalis::attest {

namespace {

// Collateral comes from a cache service over the network: parsed only within bounds.
nlohmann::json parse_or_throw(std::string_view text) {
  if (json_nesting_depth(text, 64) > 64) throw std::runtime_error("collateral: JSON nests deeper than 64 levels");
  return nlohmann::json::parse(text);
}

size_t skip_ws(std::string_view t, size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
  return i;
}

// Index one past the closing quote of the string starting at t[i] == '"'.
size_t skip_string(std::string_view t, size_t i) {
  for (++i; i < t.size(); ++i) {
    if (t[i] == '\\')
      ++i;
    else if (t[i] == '"')
      return i + 1;
  }
  throw std::runtime_error("unterminated JSON string");
}

// Index one past the JSON value starting at t[i].
size_t skip_value(std::string_view t, size_t i) {
  if (i >= t.size()) throw std::runtime_error("JSON value expected");
  if (t[i] == '"') return skip_string(t, i);
  if (t[i] == '{' || t[i] == '[') {
    int depth = 0;
    for (; i < t.size(); ++i) {
      char c = t[i];
      if (c == '"') {
        i = skip_string(t, i) - 1;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
    }
    throw std::runtime_error("unbalanced JSON object");
  }
  while (i < t.size() && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' && t[i] != '\n' && t[i] != '\r' &&
         t[i] != '\t')
    ++i;
  return i;
}

std::vector<std::shared_ptr<X509>> chain_member(const nlohmann::json& doc, const std::string& key) {
  if (!doc.contains(key) || !doc[key].is_string())
    throw std::runtime_error("collateral: \"" + key + "\" (PEM) is missing");
  std::string pem = doc[key].get<std::string>();
  // The PCS sends issuer chains URL-encoded in a response header; accept them as they came.
  if (pem.find("-----BEGIN") == std::string::npos && pem.find("%2D") != std::string::npos) pem = percent_decode(pem, false);
  std::vector<std::shared_ptr<X509>> out;
  try {
    for (auto& c : load_pem_certificates(pem)) out.push_back(share(std::move(c)));
  } catch (const std::exception& e) {
    throw std::runtime_error("collateral: \"" + key + "\": " + e.what());
  }
  return out;
}

Bytes signature_hex(const nlohmann::json& v, const std::string& name) {
  if (!v.is_string()) throw std::runtime_error("collateral: " + name + " is not a hex string");
  try {
    Bytes sig = from_hex(v.get<std::string>());
    if (sig.size() != 64) throw std::invalid_argument("want 64 bytes (r||s)");
    return sig;
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("collateral: " + name + ": " + e.what());
  }
}

// One signed item: `key` (tcb_info / qe_identity) whose inner object is `inner` (tcbInfo / enclaveIdentity).
SignedCollateral signed_member(std::string_view file_text, const nlohmann::json& doc, const std::string& key,
                               const std::string& inner) {
  if (!doc.contains(key)) throw std::runtime_error("collateral: \"" + key + "\" is missing");
  SignedCollateral out;
  const auto& v = doc[key];
  try {
    if (v.is_string() && doc.contains(key + "_signature")) {  // dcap-qvl layout
      out.signed_text = v.get<std::string>();
      out.signature = signature_hex(doc[key + "_signature"], key + "_signature");
    } else {
      std::string body = v.is_string() ? v.get<std::string>() : std::string(json_member_span(file_text, key));
      out.signed_text = std::string(json_member_span(body, inner));
      auto parsed = parse_or_throw(body);
      out.signature = signature_hex(parsed.value("signature", nlohmann::json()), key + ".signature");
    }
    out.body = parse_or_throw(out.signed_text);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("collateral: \"" + key + "\" is not valid JSON: " + e.what());
  }
  if (!out.body.is_object()) throw std::runtime_error("collateral: \"" + key + "\"." + inner + " is not an object");
  out.issuer_chain = chain_member(doc, key + "_issuer_chain");
  return out;
}

std::shared_ptr<X509_CRL> crl_member(const nlohmann::json& doc, const std::string& key) {
  if (!doc.contains(key) || doc[key].is_null()) return nullptr;
  if (!doc[key].is_string()) throw std::runtime_error("collateral: \"" + key + "\" is not a string");
  std::string text = doc[key].get<std::string>();
  try {
    Bytes data;
    if (text.find("-----BEGIN") != std::string::npos)
      data.assign(text.begin(), text.end());
    else
      data = from_hex(text);
    X509CrlPtr crl = load_crl(data);
    return {crl.release(), X509_CRL_free};
  } catch (const std::exception& e) {
    throw std::runtime_error("collateral: \"" + key + "\": " + e.what());
  }
}

}  // namespace

std::string_view json_member_span(std::string_view text, std::string_view key) {
  size_t i = skip_ws(text, 0);
  if (i >= text.size() || text[i] != '{') throw std::runtime_error("not a JSON object");
  i = skip_ws(text, i + 1);
  while (i < text.size() && text[i] != '}') {
    if (text[i] != '"') throw std::runtime_error("JSON object key expected");
    size_t key_end = skip_string(text, i);
    std::string_view name = text.substr(i + 1, key_end - i - 2);
    i = skip_ws(text, key_end);
    if (i >= text.size() || text[i] != ':') throw std::runtime_error("':' expected after a JSON key");
    i = skip_ws(text, i + 1);
    size_t value_end = skip_value(text, i);
    if (name == key) return text.substr(i, value_end - i);
    i = skip_ws(text, value_end);
    if (i < text.size() && text[i] == ',') i = skip_ws(text, i + 1);
  }
  throw std::runtime_error("JSON object has no member \"" + std::string(key) + "\"");
}

Collateral parse_collateral(std::string_view json_text) {
  nlohmann::json doc;
  try {
    doc = parse_or_throw(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("collateral is not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) throw std::runtime_error("collateral is not a JSON object");
  Collateral c;
  c.tcb_info = signed_member(json_text, doc, "tcb_info", "tcbInfo");
  c.qe_identity = signed_member(json_text, doc, "qe_identity", "enclaveIdentity");
  c.pck_crl = crl_member(doc, "pck_crl");
  c.root_ca_crl = crl_member(doc, "root_ca_crl");
  return c;
}

Collateral load_collateral_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read collateral file " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  return parse_collateral(text.str());
}

}  // namespace chrysalis::attest
