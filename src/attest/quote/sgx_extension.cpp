#include "attest/quote/sgx_extension.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>

#include "crypto/openssl_util.h"

namespace chrysalis::attest {

namespace {

struct SeqFree {
  void operator()(STACK_OF(ASN1_TYPE) * s) const { sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free); }
};
using SeqPtr = std::unique_ptr<STACK_OF(ASN1_TYPE), SeqFree>;

SeqPtr decode_sequence(const uint8_t* der, size_t len, const std::string& where) {
  const uint8_t* p = der;
  SeqPtr seq(d2i_ASN1_SEQUENCE_ANY(nullptr, &p, long(len)));
  if (!seq) {
    ERR_clear_error();
    throw std::runtime_error("SGX extension: " + where + " is not a DER SEQUENCE");
  }
  return seq;
}

// Walks a SEQUENCE of SEQUENCE{OID, value}, calling `visit(oid, value)`.
void for_each_pair(const uint8_t* der, size_t len, const std::string& where,
                   const std::function<void(const std::string&, const ASN1_TYPE*)>& visit) {
  SeqPtr outer = decode_sequence(der, len, where);
  for (int i = 0; i < sk_ASN1_TYPE_num(outer.get()); ++i) {
    const ASN1_TYPE* item = sk_ASN1_TYPE_value(outer.get(), i);
    if (item->type != V_ASN1_SEQUENCE) throw std::runtime_error("SGX extension: " + where + " item is not a SEQUENCE");
    SeqPtr pair = decode_sequence(item->value.sequence->data, size_t(item->value.sequence->length), where + " item");
    if (sk_ASN1_TYPE_num(pair.get()) != 2 || sk_ASN1_TYPE_value(pair.get(), 0)->type != V_ASN1_OBJECT)
      throw std::runtime_error("SGX extension: " + where + " item is not {OID, value}");
    visit(crypto::oid_text(sk_ASN1_TYPE_value(pair.get(), 0)->value.object), sk_ASN1_TYPE_value(pair.get(), 1));
  }
}

template <size_t N>
void read_octets(const ASN1_TYPE* v, Fixed<N>& out, const std::string& name) {
  if (v->type != V_ASN1_OCTET_STRING || size_t(v->value.octet_string->length) != N)
    throw std::runtime_error("SGX extension: " + name + " is not a " + std::to_string(N) + "-byte OCTET STRING");
  std::memcpy(out.data(), v->value.octet_string->data, N);
}

long read_integer(const ASN1_TYPE* v, const std::string& name, long max) {
  long value = -1;
  if (v->type == V_ASN1_INTEGER)
    value = ASN1_INTEGER_get(v->value.integer);
  else if (v->type == V_ASN1_ENUMERATED)
    value = ASN1_ENUMERATED_get(v->value.enumerated);
  if (value < 0 || value > max)
    throw std::runtime_error("SGX extension: " + name + " is not an integer in [0," + std::to_string(max) + "]");
  return value;
}

const std::string kBase = kSgxExtensionOid;

// ---- encoding ----

struct TypeFree {
  void operator()(ASN1_TYPE* t) const { ASN1_TYPE_free(t); }
};
using TypePtr = std::unique_ptr<ASN1_TYPE, TypeFree>;

TypePtr make_oid(const std::string& oid) {
  TypePtr t(ASN1_TYPE_new());
  ASN1_OBJECT* obj = OBJ_txt2obj(oid.c_str(), 1);
  ASN1_TYPE_set(t.get(), V_ASN1_OBJECT, obj);
  return t;
}
TypePtr make_octets(std::span<const uint8_t> bytes) {
  TypePtr t(ASN1_TYPE_new());
  ASN1_OCTET_STRING* s = ASN1_OCTET_STRING_new();
  ASN1_OCTET_STRING_set(s, bytes.data(), int(bytes.size()));
  ASN1_TYPE_set(t.get(), V_ASN1_OCTET_STRING, s);
  return t;
}
TypePtr make_integer(long v, int type = V_ASN1_INTEGER) {
  TypePtr t(ASN1_TYPE_new());
  if (type == V_ASN1_ENUMERATED) {
    ASN1_ENUMERATED* e = ASN1_ENUMERATED_new();
    ASN1_ENUMERATED_set(e, v);
    ASN1_TYPE_set(t.get(), V_ASN1_ENUMERATED, e);
  } else {
    ASN1_INTEGER* i = ASN1_INTEGER_new();
    ASN1_INTEGER_set(i, v);
    ASN1_TYPE_set(t.get(), V_ASN1_INTEGER, i);
  }
  return t;
}
Bytes encode_items(std::vector<TypePtr> items) {
  SeqPtr seq(sk_ASN1_TYPE_new_null());
  for (auto& item : items) sk_ASN1_TYPE_push(seq.get(), item.release());
  uint8_t* der = nullptr;
  int len = i2d_ASN1_SEQUENCE_ANY(seq.get(), &der);
  if (len <= 0) throw std::runtime_error(crypto::openssl_error("SGX extension encoding"));
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}
TypePtr make_sequence(const Bytes& der) {
  TypePtr t(ASN1_TYPE_new());
  ASN1_STRING* s = ASN1_STRING_new();
  ASN1_STRING_set(s, der.data(), int(der.size()));
  ASN1_TYPE_set(t.get(), V_ASN1_SEQUENCE, s);
  return t;
}
TypePtr make_oid_pair(const std::string& oid, TypePtr value) {
  std::vector<TypePtr> items;
  items.push_back(make_oid(oid));
  items.push_back(std::move(value));
  return make_sequence(encode_items(std::move(items)));
}

}  // namespace

SgxExtension read_sgx_extension(X509* cert) {
  crypto::OsslPtr<ASN1_OBJECT, ASN1_OBJECT_free> oid(OBJ_txt2obj(kSgxExtensionOid, 1));
  int index = X509_get_ext_by_OBJ(cert, oid.get(), -1);
  if (index < 0) throw std::runtime_error("PCK certificate has no Intel SGX extension (1.2.840.113741.1.13.1)");
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(cert, index));
  SgxExtension ext;
  bool have_tcb = false, have_fmspc = false, have_pce_id = false;
  for_each_pair(data->data, size_t(data->length), "extension", [&](const std::string& field_oid, const ASN1_TYPE* v) {
    if (field_oid == kBase + ".1") {
      read_octets(v, ext.ppid, "PPID");
    } else if (field_oid == kBase + ".2") {
      if (v->type != V_ASN1_SEQUENCE) throw std::runtime_error("SGX extension: TCB is not a SEQUENCE");
      for_each_pair(v->value.sequence->data, size_t(v->value.sequence->length), "TCB",
                    [&](const std::string& tcb_oid, const ASN1_TYPE* tv) {
                      const std::string prefix = kBase + ".2.";
                      if (tcb_oid.rfind(prefix, 0) != 0) return;
                      int n = std::atoi(tcb_oid.c_str() + prefix.size());
                      if (n >= 1 && n <= 16)
                        ext.cpu_svn_components[n - 1] = uint8_t(read_integer(tv, "CPUSVN component", 255));
                      else if (n == 17)
                        ext.pce_svn = uint16_t(read_integer(tv, "PCESVN", 65535));
                      else if (n == 18)
                        read_octets(tv, ext.cpu_svn, "CPUSVN");
                    });
      have_tcb = true;
    } else if (field_oid == kBase + ".3") {
      read_octets(v, ext.pce_id, "PCE-ID");
      have_pce_id = true;
    } else if (field_oid == kBase + ".4") {
      read_octets(v, ext.fmspc, "FMSPC");
      have_fmspc = true;
    } else if (field_oid == kBase + ".5") {
      ext.sgx_type = int(read_integer(v, "SGX type", 255));
    }
  });
  if (!have_tcb || !have_fmspc || !have_pce_id) throw std::runtime_error("SGX extension lacks TCB, FMSPC or PCE-ID");
  return ext;
}

Bytes encode_sgx_extension(const SgxExtension& ext) {
  std::vector<TypePtr> tcb;
  for (int i = 0; i < 16; ++i)
    tcb.push_back(make_oid_pair(kBase + ".2." + std::to_string(i + 1), make_integer(ext.cpu_svn_components[i])));
  tcb.push_back(make_oid_pair(kBase + ".2.17", make_integer(ext.pce_svn)));
  tcb.push_back(make_oid_pair(kBase + ".2.18", make_octets(ext.cpu_svn)));

  std::vector<TypePtr> top;
  top.push_back(make_oid_pair(kBase + ".1", make_octets(ext.ppid)));
  top.push_back(make_oid_pair(kBase + ".2", make_sequence(encode_items(std::move(tcb)))));
  top.push_back(make_oid_pair(kBase + ".3", make_octets(ext.pce_id)));
  top.push_back(make_oid_pair(kBase + ".4", make_octets(ext.fmspc)));
  top.push_back(make_oid_pair(kBase + ".5", make_integer(ext.sgx_type, V_ASN1_ENUMERATED)));
  return encode_items(std::move(top));
}

}  // namespace chrysalis::attest
