#include "attest/gpu/rim.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include <memory>
#include <mutex>
#include <stdexcept>

#include "attest/quote/quote_chain.h"
#include "attest/quote/quote_crypto.h"
#include "crypto/peer_verifier.h"
#include "ton/cells/encoding.h"

namespace chrysalis::attest::gpu {

namespace {

constexpr const char* kSwidNs = "http://standards.iso.org/iso/19770/-2/2015/schema.xsd";
constexpr const char* kHashNs = "http://www.w3.org/2001/04/xmlenc#sha384";
constexpr const char* kDsigNs = "http://www.w3.org/2000/09/xmldsig#";

thread_local std::string last_xmlsec_error;

void remember_xmlsec_error(const char*, int, const char* func, const char*, const char*, int reason, const char* msg) {
  last_xmlsec_error = std::string(func ? func : "") + ": " + (msg ? msg : "") + " (reason " + std::to_string(reason) + ")";
}

void quiet_libxml(void*, const char*, ...) {}

// libxml2 and xmlsec are set up once per process; their errors go to the result, not stderr.
void init_xmlsec() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetGenericErrorFunc(nullptr, quiet_libxml);
    xmlSecErrorsSetCallback(remember_xmlsec_error);
    if (xmlSecInit() < 0) throw std::runtime_error("xmlsec initialisation failed");
    if (xmlSecCheckVersion() != 1) throw std::runtime_error("xmlsec library version mismatch");
    if (xmlSecCryptoAppInit(nullptr) < 0 || xmlSecCryptoInit() < 0)
      throw std::runtime_error("xmlsec OpenSSL initialisation failed");
  });
}

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct MngrFree {
  void operator()(xmlSecKeysMngr* m) const { xmlSecKeysMngrDestroy(m); }
};
struct CtxFree {
  void operator()(xmlSecDSigCtx* c) const { xmlSecDSigCtxDestroy(c); }
};

bool named(const xmlNode* n, const char* name, const char* ns) {
  return n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST name) && n->ns &&
         xmlStrEqual(n->ns->href, BAD_CAST ns);
}

std::vector<xmlNode*> children(xmlNode* parent, const char* name, const char* ns) {
  std::vector<xmlNode*> out;
  for (xmlNode* c = parent ? parent->children : nullptr; c; c = c->next)
    if (named(c, name, ns)) out.push_back(c);
  return out;
}

std::string attribute(xmlNode* n, const char* name, const char* ns = nullptr) {
  xmlChar* v = ns ? xmlGetNsProp(n, BAD_CAST name, BAD_CAST ns) : xmlGetNoNsProp(n, BAD_CAST name);
  if (!v) return {};
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

std::string node_text(xmlNode* n) {
  xmlChar* v = xmlNodeGetContent(n);
  if (!v) return {};
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

RimCheck refuse(RimError e, std::string text) { return RimCheck{e, std::move(text), std::nullopt}; }

unsigned parse_index(const std::string& s, const char* what) {
  if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos)
    throw std::runtime_error(std::string("Resource ") + what + " '" + s.substr(0, 16) + "' is not a small number");
  return static_cast<unsigned>(std::stoul(s));
}

// Meta and Payload/Resource, read from the same tree whose signature was checked.
Rim read_payload(xmlNode* root) {
  Rim rim;
  auto metas = children(root, "Meta", kSwidNs);
  if (metas.size() != 1) throw std::runtime_error("expected one Meta element, found " + std::to_string(metas.size()));
  rim.version = attribute(metas[0], "colloquialVersion");
  rim.product = attribute(metas[0], "product");
  if (rim.version.empty()) throw std::runtime_error("Meta has no colloquialVersion");
  auto payloads = children(root, "Payload", kSwidNs);
  if (payloads.size() != 1) throw std::runtime_error("expected one Payload element");
  for (xmlNode* r : children(payloads[0], "Resource", kSwidNs)) {
    RimResource res;
    res.index = parse_index(attribute(r, "index"), "index");
    std::string active = attribute(r, "active");
    if (active != "True" && active != "False") throw std::runtime_error("Resource active is '" + active.substr(0, 16) + "'");
    res.active = active == "True";
    unsigned alternatives = parse_index(attribute(r, "alternatives"), "alternatives");
    if (alternatives == 0 || alternatives > 64) throw std::runtime_error("Resource alternatives out of range");
    for (unsigned i = 0; i < alternatives; ++i) {
      std::string hash = attribute(r, ("Hash" + std::to_string(i)).c_str(), kHashNs);
      if (hash.size() != 96) throw std::runtime_error("Resource " + std::to_string(res.index) + " Hash" + std::to_string(i) + " is not 48 bytes of hex");
      res.alternatives.push_back(from_hex(hash));
    }
    if (rim.find(res.index)) throw std::runtime_error("Resource index " + std::to_string(res.index) + " appears twice");
    rim.resources.push_back(std::move(res));
  }
  return rim;
}

// The certificates in KeyInfo/X509Data, signer first.
std::vector<std::shared_ptr<X509>> signature_certificates(xmlNode* signature) {
  std::vector<std::shared_ptr<X509>> out;
  for (xmlNode* info : children(signature, "KeyInfo", kDsigNs))
    for (xmlNode* data : children(info, "X509Data", kDsigNs))
      for (xmlNode* cert : children(data, "X509Certificate", kDsigNs)) {
        std::string text = node_text(cert);
        std::string b64;
        for (char c : text)
          if (!std::isspace(static_cast<unsigned char>(c))) b64 += c;
        Bytes der = ton::from_base64(b64);  // throws on a bad character
        out.push_back(share(load_der_certificate(der)));
      }
  return out;
}


// xmlsec's own check: the signature over the whole document (one Reference URI=""), ECDSA-SHA384,
// the key from an X.509 certificate chaining to one of `roots` at `at`.
std::string xmldsig_problem(xmlNode* signature, const TrustAnchors& roots, std::chrono::system_clock::time_point at) {
  std::unique_ptr<xmlSecKeysMngr, MngrFree> mngr(xmlSecKeysMngrCreate());
  if (!mngr || xmlSecCryptoAppDefaultKeysMngrInit(mngr.get()) < 0) return "cannot create an xmlsec key manager";
  for (const auto& root : roots.roots()) {
    std::string pem = certificate_pem(root.get());
    if (xmlSecCryptoAppKeysMngrCertLoadMemory(mngr.get(), reinterpret_cast<const xmlSecByte*>(pem.data()),
                                              static_cast<xmlSecSize>(pem.size()), xmlSecKeyDataFormatPem,
                                              xmlSecKeyDataTypeTrusted) < 0)
      return "cannot load the pinned RIM root into xmlsec";
  }
  std::unique_ptr<xmlSecDSigCtx, CtxFree> ctx(xmlSecDSigCtxCreate(mngr.get()));
  if (!ctx) return "cannot create an xmlsec signature context";
  ctx->keyInfoReadCtx.certsVerificationTime = std::chrono::system_clock::to_time_t(at);
  ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty;  // the document itself, nothing fetched
  if (xmlSecPtrListAdd(&ctx->keyInfoReadCtx.enabledKeyData, const_cast<void*>(static_cast<const void*>(xmlSecKeyDataX509Id))) < 0 ||
      xmlSecDSigCtxEnableSignatureTransform(ctx.get(), xmlSecTransformEcdsaSha384Id) < 0 ||
      xmlSecDSigCtxEnableSignatureTransform(ctx.get(), xmlSecTransformInclC14N11Id) < 0 ||
      xmlSecDSigCtxEnableSignatureTransform(ctx.get(), xmlSecTransformExclC14NId) < 0 ||
      xmlSecDSigCtxEnableReferenceTransform(ctx.get(), xmlSecTransformEnvelopedId) < 0 ||
      xmlSecDSigCtxEnableReferenceTransform(ctx.get(), xmlSecTransformInclC14N11Id) < 0 ||
      xmlSecDSigCtxEnableReferenceTransform(ctx.get(), xmlSecTransformExclC14NId) < 0 ||
      xmlSecDSigCtxEnableReferenceTransform(ctx.get(), xmlSecTransformSha384Id) < 0)
    return "cannot restrict the xmlsec signature context";
  last_xmlsec_error.clear();
  if (xmlSecDSigCtxVerify(ctx.get(), signature) < 0)
    return "the XML signature could not be processed (" + last_xmlsec_error + ")";
  if (ctx->status != xmlSecDSigStatusSucceeded) return "the XML signature does not verify";
  if (xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1) return "the signature has more than one reference";
  auto* ref = static_cast<xmlSecDSigReferenceCtx*>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0));
  if (!ref || (ref->uri && *ref->uri)) return "the signature does not cover the whole document (Reference URI is not empty)";
  return {};
}

}  // namespace

const RimResource* Rim::find(unsigned index) const {
  for (const auto& r : resources)
    if (r.index == index) return &r;
  return nullptr;
}

RimCheck verify_rim(std::string_view xml, const TrustAnchors& roots, std::chrono::system_clock::time_point at) {
  if (xml.size() > kMaxRimBytes)
    return refuse(RimError::malformed, "the RIM is " + std::to_string(xml.size()) + " bytes, over the limit");
  init_xmlsec();
  std::unique_ptr<xmlDoc, DocFree> doc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "rim.swidtag", nullptr,
                                                     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (!doc) return refuse(RimError::malformed, "the RIM is not well-formed XML");
  if (doc->intSubset || doc->extSubset) return refuse(RimError::malformed, "the RIM has a DTD (refused: entities)");
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!root || !named(root, "SoftwareIdentity", kSwidNs))
    return refuse(RimError::malformed, "the RIM's root element is not a SWID SoftwareIdentity");
  auto signatures = children(root, "Signature", kDsigNs);
  if (signatures.size() != 1)
    return refuse(RimError::malformed, "the RIM has " + std::to_string(signatures.size()) + " enveloped signatures, not 1");
  if (xmlSecFindNode(root, xmlSecNodeSignature, xmlSecDSigNs) != signatures[0])
    return refuse(RimError::malformed, "the RIM holds another Signature element before the enveloped one");
  Rim rim;
  try {
    // Our own chain check first: it names an expired or foreign signer where xmlsec only fails.
    auto certs = signature_certificates(signatures[0]);
    if (certs.empty()) return refuse(RimError::untrusted, "the RIM signature carries no X.509 certificate");
    ChainCheck chain = verify_chain(certs, roots, at);
    if (chain.error == ChainError::expired)
      return refuse(RimError::expired, "the RIM signer's chain is not valid at the verification time: " + chain.text);
    if (chain.error == ChainError::untrusted)
      return refuse(RimError::untrusted, "the RIM signer does not chain to the pinned RIM root: " + chain.text);
    if (!chain.ok()) return refuse(RimError::signature, "the RIM signer's chain is invalid: " + chain.text);
    rim.signer = crypto::describe_certificate(certs.front().get()).common_name;
    if (std::string problem = xmldsig_problem(signatures[0], roots, at); !problem.empty())
      return refuse(RimError::signature, problem);
    Rim payload = read_payload(root);
    payload.signer = rim.signer;
    rim = std::move(payload);
  } catch (const std::exception& e) {
    return refuse(RimError::malformed, std::string("the RIM: ") + e.what());
  }
  return RimCheck{RimError::none, {}, std::move(rim)};
}

std::optional<std::string> rim_version_unverified(std::string_view xml) {
  if (xml.size() > kMaxRimBytes) return std::nullopt;
  init_xmlsec();
  std::unique_ptr<xmlDoc, DocFree> doc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "rim.swidtag", nullptr,
                                                     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (!doc || doc->intSubset) return std::nullopt;
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!root || !named(root, "SoftwareIdentity", kSwidNs)) return std::nullopt;
  auto metas = children(root, "Meta", kSwidNs);
  if (metas.size() != 1) return std::nullopt;
  std::string version = attribute(metas[0], "colloquialVersion");
  if (version.empty()) return std::nullopt;
  return version;
}

}  // namespace chrysalis::attest::gpu
