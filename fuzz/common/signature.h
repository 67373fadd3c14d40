// The field a differential finding is signed by: the first differing field on the wire that is a
// cause, so that one bug gives one signature whatever the script around it.
//
// Fields are taken in frame order, level by level from the outside in:
// - an ICV that covers another differing field is a consequence of it (an AH ICV over a wrong
//   ESP ICV, an ESP ICV over wrong ciphertext; AH's own zeroed mutable IPv4 fields excepted,
//   RFC 4302 §3.3.3.1);
// - inside an ESP ciphertext, the decrypted fields the transport framed (headers, payload,
//   padding, pad length, next header: RFC 4303 §2) came from the same input on both sides, so a
//   difference there means the ciphertext itself is wrong: the ciphertext is the cause, never the
//   decrypted field (a wrong key or cipher with a valid ICV over its output);
// - when the only decrypted differences are fields the NIC writes (the IV, ciphertext or ICV of
//   an inner AH/ESP under a tunnel ESP), the signature is the first cause inside, found by the
//   same rules (an inner AH ICV with the TTL left in is `ah[inner].icv`, not the tunnel's
//   ciphertext).
//
// A send finding is signed by its proven cause when there is one (SendSignature): the catalogue's
// id (reports/causes.h), named only when recomputing the send with that one mistake gives the
// candidate's frame, so every input that shows one bug gets the same signature. Otherwise it is
// the field above.
#pragma once

#include <reports/causes.h>
#include <reports/diff.h>

#include <string>

namespace sendpath::fuzz {

// `comparison` is the result of `differ.Compare(expected, actual, ...)` (not equivalent).
std::string SignatureField(const report::FrameComparison& comparison, const report::FrameDiffer& differ);

// The signature of a send whose frames differ: the proven cause's id (`ah-ttl-not-zeroed`), else
// SignatureField (`esp.ciphertext`). Cause ids are kebab-case words, field names carry a dot.
std::string SendSignature(const report::CauseQuery& query, const report::FrameComparison& comparison,
                          const report::FrameDiffer& differ);

}  // namespace sendpath::fuzz
