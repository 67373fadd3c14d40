// Runs a Script's operations on a harness::Candidate (the reference in process, or a candidate
// library through the C ABI): the candidate's own OffloadHandles per SA, and the SendRequests of
// the sends — frame, NDIS_BUFFER cuts, NDIS_IPSEC_PACKET_INFO with its handles, injected IVs.
// The differential target drives two of these in lockstep; the regression exporter one.
#pragma once

#include "fuzz/common/programming.h"
#include "fuzz/common/script.h"

#include "harness/candidate.h"

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace sendpath::fuzz {

class Driver {
 public:
  explicit Driver(std::unique_ptr<harness::Candidate> candidate) : candidate_(std::move(candidate)) {}

  // Start and capability query; "" or what went wrong.
  std::string Start();
  harness::Candidate& candidate() { return *candidate_; }
  const harness::CandidateIdentity& identity() const { return identity_; }
  const nic::Capabilities& reported() const { return reported_; }

  // The SA table of one script: Forget before its first ADD_SA, Record after each (nullptr when
  // it failed), Seal after the last, when the never-issued value is chosen.
  void Forget();
  void Record(NDIS_HANDLE handle);
  void Seal();
  // UDP-ESP parser entries, per SA in ADD order: the EncapTypeEntryOffldHandle the SA's add got
  // back (nullptr: none), and a value this NIC issued for no SA and no entry so far.
  void RecordEntry(NDIS_HANDLE entry) { entries_.push_back(entry); }
  std::span<const NDIS_HANDLE> entries() const { return entries_; }
  NDIS_HANDLE entry(std::size_t sa) const { return sa < entries_.size() ? entries_[sa] : nullptr; }
  NDIS_HANDLE NeverIssuedEntry() const;

  bool added(std::size_t sa) const { return sa < added_.size() && added_[sa]; }
  NDIS_HANDLE handle(std::size_t sa) const { return handles_[sa]; }
  NDIS_HANDLE Resolve(const HandleRef& ref) const;
  harness::SendRequest Request(const Script& script, std::size_t send, const Programming& programming,
                               std::span<const std::uint8_t> frame, const std::vector<std::size_t>& cuts) const;

 private:
  std::unique_ptr<harness::Candidate> candidate_;
  harness::CandidateIdentity identity_;
  nic::Capabilities reported_;
  std::vector<NDIS_HANDLE> handles_;  // per SA; never_issued_ where ADD_SA failed
  std::vector<bool> added_;
  std::vector<NDIS_HANDLE> entries_;
  NDIS_HANDLE never_issued_ = nullptr;
};

harness::AddSaRequest MakeAddSaRequest(const vectors::SaSpec& spec, const vectors::AddSaRequest& built);
// The capabilities both report.
nic::Capabilities CommonCapabilities(const nic::Capabilities& a, const nic::Capabilities& b);
// The IVs each SA of the send asks for, in bundle order (ESP before AH); empty for an SA whose
// elements take none. Indexed like Setup::sas.
std::vector<harness::Bytes> SendIvs(const Script& script, std::size_t send, const Programming& programming, std::size_t sa);

}  // namespace sendpath::fuzz
