// OID_TCP_TASK_OFFLOAD InformationBuffers: an NDIS_TASK_OFFLOAD_HEADER followed by
// NDIS_TASK_OFFLOAD entries chained by offsets (contract reference section 5.3, [S16b][S16c]).
// sendpath puts two entries in it: Task = IpSecNdisTask with an NDIS_TASK_IPSEC TaskBuffer, and
// Task = SENDPATH_NDIS_TASK_IPSEC_EXTENSION with a SENDPATH_TASK_IPSEC_EXTENSION TaskBuffer.
// Decoding is bounds-checked throughout: the buffer may come from a candidate.
#pragma once

#include "harness/candidate.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace sendpath::harness {

// Bytes of a buffer holding the header and both entries.
std::size_t TaskOffloadBufferSize();

// The header alone, as the transport hands it to a query (OffsetFirstTask 0).
Bytes EncodeTaskOffloadQuery(const NDIS_ENCAPSULATION_FORMAT& encapsulation);

// Header + IpSecNdisTask entry + extension entry (omitted when `with_extension` is false).
Bytes EncodeTaskOffload(const NDIS_ENCAPSULATION_FORMAT& encapsulation, const Capabilities& capabilities,
                        bool with_extension = true);

struct DecodedTaskOffload {
  NDIS_ENCAPSULATION_FORMAT encapsulation{};
  Capabilities capabilities;  // all zero when the entries are absent
  bool has_ipsec = false;
  bool has_extension = false;
};

// False with `error` naming the byte offset and field when the buffer is malformed.
bool DecodeTaskOffload(std::span<const std::uint8_t> buffer, DecodedTaskOffload& decoded, std::string& error);

}  // namespace sendpath::harness
