#include "reference_nic/crypto.h"
#include "reference_nic/reference_nic.h"

namespace sendpath::nic {

Capabilities FullCapabilities() {
  Capabilities caps;
  caps.task.Supported.AH_ESP_COMBINED = 1;
  caps.task.Supported.TRANSPORT_TUNNEL_COMBINED = 1;
  caps.task.Supported.V4_OPTIONS = 1;
  // The UDP-ESP subtypes of the OTHER encapsulation; the IKE flags are reserved [S11b][S15e].
  caps.task.Supported.RESERVED = IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER | IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER |
                                 IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER | IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_OTHER;
  caps.task.V4AH.MD5 = 1;
  caps.task.V4AH.SHA_1 = 1;
  caps.task.V4AH.Transport = 1;
  caps.task.V4AH.Tunnel = 1;
  caps.task.V4AH.Send = 1;
  caps.task.V4AH.Receive = 0;  // the reference models the send path only
  caps.task.V4ESP.DES = detail::LegacyProviderAvailable() ? 1 : 0;
  caps.task.V4ESP.TRIPLE_DES = 1;
  caps.task.V4ESP.NULL_ESP = 1;
  caps.task.V4ESP.Transport = 1;
  caps.task.V4ESP.Tunnel = 1;
  caps.task.V4ESP.Send = 1;
  caps.task.V4ESP.Receive = 0;
  // Every algorithm of the table that is an IPsec offload v2 extension (its capability is its
  // identifier's bit in SENDPATH_TASK_IPSEC_EXTENSION).
  caps.extension.AuthenticationAlgorithms = 0;
  for (const table::IntegrityAlgorithm& row : table::kIntegrityAlgorithms) {
    if (row.capability.starts_with("V2.")) caps.extension.AuthenticationAlgorithms |= row.identifier;
  }
  caps.extension.EncryptionAlgorithms = 0;
  for (const table::ConfAlgorithm& row : table::kConfAlgorithms) {
    if (row.capability.starts_with("V2.")) caps.extension.EncryptionAlgorithms |= row.identifier;
  }
  caps.extension.Flags = SENDPATH_EXT_ESN | SENDPATH_EXT_ENCRYPTION_ONLY_ESP | SENDPATH_EXT_KEYMAT_INTEGRITY_FIRST;
  return caps;
}

bool IsSubset(const Capabilities& sub, const Capabilities& super) {
  auto within = [](ULONG a, ULONG b) { return a == 0 || b != 0; };
  auto bits_within = [](ULONG a, ULONG b) { return (a & ~b) == 0; };
  const auto& s = sub.task;
  const auto& p = super.task;
  return within(s.Supported.AH_ESP_COMBINED, p.Supported.AH_ESP_COMBINED) &&
         within(s.Supported.TRANSPORT_TUNNEL_COMBINED, p.Supported.TRANSPORT_TUNNEL_COMBINED) &&
         within(s.Supported.V4_OPTIONS, p.Supported.V4_OPTIONS) &&
         bits_within(s.Supported.RESERVED, p.Supported.RESERVED) && within(s.V4AH.MD5, p.V4AH.MD5) &&
         within(s.V4AH.SHA_1, p.V4AH.SHA_1) && within(s.V4AH.Transport, p.V4AH.Transport) &&
         within(s.V4AH.Tunnel, p.V4AH.Tunnel) && within(s.V4AH.Send, p.V4AH.Send) &&
         within(s.V4AH.Receive, p.V4AH.Receive) && within(s.V4ESP.DES, p.V4ESP.DES) &&
         within(s.V4ESP.TRIPLE_DES, p.V4ESP.TRIPLE_DES) && within(s.V4ESP.NULL_ESP, p.V4ESP.NULL_ESP) &&
         within(s.V4ESP.Transport, p.V4ESP.Transport) && within(s.V4ESP.Tunnel, p.V4ESP.Tunnel) &&
         within(s.V4ESP.Send, p.V4ESP.Send) && within(s.V4ESP.Receive, p.V4ESP.Receive) &&
         bits_within(sub.extension.AuthenticationAlgorithms, super.extension.AuthenticationAlgorithms) &&
         bits_within(sub.extension.EncryptionAlgorithms, super.extension.EncryptionAlgorithms) &&
         bits_within(sub.extension.Flags, super.extension.Flags);
}

}  // namespace sendpath::nic
