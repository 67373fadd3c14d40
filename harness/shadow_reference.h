// The shadow reference: a reference NIC programmed alongside the candidate with the same
// requests, only to quote the rule behind a refusal the vector expects ("... (the rule: ...)").
// It never judges the candidate; the vector's expectation does.
#pragma once

#include "harness/candidate.h"

#include <reference_nic/reference_nic.h>
#include <vectors/loader/vector_model.h>

#include <map>
#include <string>

namespace sendpath::harness {

class ShadowReference {
 public:
  nic::OidResult Set(const NDIS_ENCAPSULATION_FORMAT& format, const Capabilities& enable);
  // Adds `sa` under its vector name; the handle is remembered for later deletes and sends.
  nic::OidResult AddSa(const std::string& name, const vectors::SaSpec& sa);
  nic::OidResult DeleteSa(const vectors::HandleRef& handle);
  nic::OidResult AddUdpEspSa(const std::string& name, const vectors::SaSpec& sa, const vectors::HandleRef& parser_entry);
  nic::OidResult DeleteUdpEspSa(const vectors::HandleRef& handle, const vectors::HandleRef& parser_entry);
  // " (the rule: ...)" when the reference refuses the send with the expected status, else "".
  std::string SendRule(const vectors::SendStep& step);

  // " (the rule: <reason>[: detail])" when the reference refuses with the expected status, else "".
  static std::string Because(NDIS_STATUS expected, NDIS_STATUS reference, nic::Reason reason, const std::string& detail);

 private:
  NDIS_HANDLE Resolve(const vectors::HandleRef& ref) const;

  nic::ReferenceNic nic_;
  NDIS_HANDLE ResolveParserEntry(const vectors::HandleRef& ref) const;
  std::map<std::string, NDIS_HANDLE> handles_;
  std::map<std::string, NDIS_HANDLE> parser_entries_;
};

}  // namespace sendpath::harness
