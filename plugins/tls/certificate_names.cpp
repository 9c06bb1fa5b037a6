// Reading the names of an X.509 certificate and matching them against an allow-list.
#include "plugins/tls/certificate_names.h"

#include <openssl/bio.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <memory>
#include <string_view>

namespace keepdb::tls {
namespace {

std::string utf8(const ASN1_STRING* value) {
  unsigned char* out = nullptr;
  const int n = ASN1_STRING_to_UTF8(&out, value);
  if (n < 0) return {};
  std::string text(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
  OPENSSL_free(out);
  return text;
}

std::string rfc4514(const X509_NAME* name) {
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::string common_name_of(const X509_NAME* name) {
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return {};
  return utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)));
}

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ",") + item;
  return text;
}

}  // namespace

CertificateNames CertificateNames::of(const X509* certificate) {
  CertificateNames names;
  const X509_NAME* subject = X509_get_subject_name(certificate);
  names.subject_dn = rfc4514(subject);
  names.common_name = common_name_of(subject);
  auto* sans = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* san = sk_GENERAL_NAME_value(sans, i);
    if (san->type == GEN_DNS) names.dns_sans.push_back(utf8(san->d.dNSName));
    if (san->type == GEN_URI) names.uri_sans.push_back(utf8(san->d.uniformResourceIdentifier));
  }
  GENERAL_NAMES_free(sans);
  return names;
}

std::string CertificateNames::describe() const {
  std::string text = "CN=" + common_name;
  if (!dns_sans.empty()) text += " DNS:" + joined(dns_sans);
  if (!uri_sans.empty()) text += " URI:" + joined(uri_sans);
  return text;
}

bool CertificateNames::matches_any(const std::vector<std::string>& allowed) const {
  const auto in = [](const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  return std::any_of(allowed.begin(), allowed.end(), [&](std::string_view entry) {
    if (entry.starts_with("cn:")) return common_name == entry.substr(3);
    if (entry.starts_with("dns:")) return in(dns_sans, entry.substr(4));
    if (entry.starts_with("uri:")) return in(uri_sans, entry.substr(4));
    return common_name == entry || in(dns_sans, entry) || in(uri_sans, entry);
  });
}

}  // namespace keepdb::tls
