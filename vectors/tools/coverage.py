#!/usr/bin/python3
"""Contract rules -> the vectors that test them; writes vectors/COVERAGE.md.

Every rule of the send path (reference_nic/README.md, docs/ndis51-ipsec-offload.md)
is listed here, keyed by a stable id. A vector declares what it covers in its `flags`:
`RULE` for a positive vector (the rule's condition holds and the vector checks its outcome) and
`RULE/neg` for a negative one (the near miss: the condition does not hold, or is violated in the
way the rule forbids, and the NIC must behave otherwise). Coverage is derived from the committed
files only; the tool exits non-zero when a rule lacks a positive or a negative vector.

Usage: coverage.py [--vectors DIR] [--output FILE] [--check]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Dict, List, Tuple

NEG = "/neg"

# id: (rule, positive note, negative note)
RULES: Dict[str, Tuple[str, str, str]] = {
    # ---- per-packet info and handles ----
    "send.no_info": (
        "A packet without NDIS_IPSEC_PACKET_INFO goes out unchanged [S21a].",
        "No per-packet info: the frame must leave byte for byte unchanged; a NIC that encrypts, "
        "refuses or touches it fails.",
        "Per-packet info naming a live outbound SA: the packet must be processed; a NIC that "
        "ignores the info fails."),
    "send.handle.zero": (
        "OffloadHandle 0 means no offload wanted: the frame goes out unchanged [S21a].",
        "OffloadHandle 0 (even on a frame that would be refused if processed): unchanged; a NIC "
        "that parses or refuses it fails.",
        "NextOffloadHandle non-zero while OffloadHandle is 0 is INVALID_PACKET; a NIC that treats "
        "it as 'no offload' fails."),
    "send.offload_not_enabled": (
        "IPsec send offload not enabled (no OID_TCP_TASK_OFFLOAD set, or the protocol's Send bit "
        "off): NOT_SUPPORTED, nothing emitted.",
        "No set, or the Send bit of the SA's protocol not enabled: NOT_SUPPORTED; a NIC that "
        "offloads anyway fails.",
        "The same SA and packet with the Send bit enabled are processed."),
    "send.handle.never_issued": (
        "OffloadHandle never returned by ADD_SA: FAILURE, nothing emitted [S21a].",
        "A handle value the NIC never issued: FAILURE; a NIC that dereferences it or sends the "
        "frame fails.",
        "A handle the NIC issued works."),
    "send.handle.deleted": (
        "OffloadHandle of a deleted SA: FAILURE, nothing emitted; handles are never reused.",
        "Send after DELETE_SA of the SA: FAILURE; a NIC that keeps using the stale keys fails.",
        "Deleting another SA leaves this SA working; a NIC that drops the wrong SA fails."),
    "send.handle.inbound": (
        "OffloadHandle naming an inbound SA: FAILURE, nothing emitted.",
        "An inbound SA's handle on a send: FAILURE; a NIC that encrypts with receive keys fails.",
        "The outbound SA with the same parameters works."),
    "send.next_handle.not_tunnel": (
        "NextOffloadHandle naming a transport SA (no tunnel addresses): FAILURE.",
        "NextOffloadHandle names an SA without tunnel addresses: FAILURE.",
        "NextOffloadHandle names the tunnel SA: processed."),
    "send.offload_handle.not_transport": (
        "Both handles given but OffloadHandle names a tunnel SA: FAILURE.",
        "OffloadHandle and NextOffloadHandle swapped: FAILURE; a NIC that applies them in the "
        "wrong order fails.",
        "The handles in the documented order are processed [S12]."),
    "send.next_handle.no_tunnel_payload": (
        "NextOffloadHandle given but the tunnel carries no IPv4 packet: INVALID_PACKET.",
        "NextOffloadHandle on a packet whose tunnel next header is not 4: INVALID_PACKET.",
        "NextOffloadHandle on a transport-over-tunnel packet: both portions processed."),
    "send.tunnel_only": (
        "A transport-over-tunnel packet with only the tunnel SA's handle: the tunnel portion is "
        "processed, the inner portion stays exactly as framed [S12].",
        "Only the tunnel SA given: the inner ESP/AH keeps its zero IV/ICV and plaintext; a NIC "
        "that processes the inner headers on its own fails.",
        "Both handles given: the inner portion is processed too."),
    # ---- capabilities ----
    "send.capability.algorithm": (
        "An algorithm the set did not enable: NOT_SUPPORTED on send.",
        "Algorithm reported but not enabled by the set: NOT_SUPPORTED; a NIC that checks only "
        "what it reports fails.",
        "The algorithm enabled: processed."),
    "send.capability.mode": (
        "Transport or tunnel mode not enabled for the protocol: NOT_SUPPORTED on send.",
        "Mode not enabled: NOT_SUPPORTED.",
        "Mode enabled: processed."),
    "send.capability.ah_esp_combined": (
        "An AH+ESP bundle without AH_ESP_COMBINED enabled: NOT_SUPPORTED on send.",
        "Bundle without AH_ESP_COMBINED: NOT_SUPPORTED.",
        "Bundle with AH_ESP_COMBINED enabled: processed."),
    "send.capability.transport_tunnel_combined": (
        "Both handles without TRANSPORT_TUNNEL_COMBINED enabled: NOT_SUPPORTED on send.",
        "Transport-over-tunnel without TRANSPORT_TUNNEL_COMBINED: NOT_SUPPORTED.",
        "Transport-over-tunnel with it enabled: processed."),
    "send.capability.esn": (
        "An ESN SA sent on without Extension.ESN enabled: NOT_SUPPORTED.",
        "ESN SA, ESN not enabled: NOT_SUPPORTED; a NIC that silently uses 32-bit sequence "
        "numbers fails.",
        "ESN enabled: the high 32 bits enter the ICV."),
    "send.options.not_enabled": (
        "IPv4 options without V4_OPTIONS enabled: NOT_SUPPORTED.",
        "Options present, V4_OPTIONS not enabled: NOT_SUPPORTED.",
        "V4_OPTIONS enabled: processed."),
    "send.fragment": (
        "Fragments (MF set or fragment offset non-zero), outer or inner, are not offloaded [S5]: "
        "NOT_SUPPORTED.",
        "MF or a fragment offset: NOT_SUPPORTED; a NIC that zeroes the fields for the AH ICV and "
        "sends fails.",
        "DF and the reserved flag bit are not fragments: processed."),
    # ---- framing refusals ----
    "send.frame.ethertype": (
        "IEEE 802.3 frame whose EtherType is not 0x0800: INVALID_PACKET.",
        "EtherType 0x86dd / 0x0806: INVALID_PACKET.",
        "EtherType 0x0800: processed."),
    "send.frame.short": (
        "Frame shorter than the encapsulation plus an IPv4 header: INVALID_PACKET.",
        "Short frame: INVALID_PACKET, no read past the end.",
        "A frame of exactly the needed length is processed."),
    "send.frame.version": (
        "IP version other than 4: INVALID_PACKET.",
        "Version 6 / 0 in the header: INVALID_PACKET.",
        "Version 4: processed."),
    "send.frame.ihl": (
        "IHL below 5 or running past the frame: INVALID_PACKET.",
        "IHL 4, or IHL 15 on a short frame: INVALID_PACKET.",
        "IHL 15 with 40 bytes of options present: processed."),
    "send.frame.total_length": (
        "IPv4 total length beyond the frame or below the header: INVALID_PACKET.",
        "Total length beyond the frame / below the header / 0: INVALID_PACKET.",
        "Total length shorter than the frame (Ethernet trailer): the trailer is kept unchanged."),
    "send.frame.option_malformed": (
        "An IPv4 option with a bad length: INVALID_PACKET.",
        "Option length 0, 1 or past the header: INVALID_PACKET; a NIC that loops or reads past "
        "the header fails.",
        "Well-formed options of every kind: processed."),
    "send.frame.protocol_mismatch": (
        "The header where the SA's AH/ESP belongs is something else: INVALID_PACKET.",
        "ESP SA on a UDP packet, AH SA on an ESP packet: INVALID_PACKET.",
        "The protocol matches the SA: processed."),
    "send.frame.spi_mismatch": (
        "SPI in the frame differs from the SA's: INVALID_PACKET.",
        "Wrong SPI in ESP / AH: INVALID_PACKET; a NIC that trusts the handle alone fails.",
        "Matching SPI: processed."),
    "send.ah.truncated": (
        "AH header running past the packet: INVALID_PACKET.",
        "Packet ends inside AH: INVALID_PACKET.",
        "Complete AH: processed."),
    "send.ah.length_mismatch": (
        "AH Payload Len wrong for the SA's ICV (and IV): INVALID_PACKET.",
        "AH Payload Len for a 12-byte ICV on a 16-byte-ICV SA, or 255: INVALID_PACKET.",
        "Payload Len 4 (96-bit ICV), 5 (128-bit) and 7 (GMAC IV+ICV): processed."),
    "send.ah.next_header": (
        "In an AH+ESP bundle AH's Next Header must be ESP (50): INVALID_PACKET otherwise.",
        "Bundle whose AH next header is TCP: INVALID_PACKET.",
        "Bundle with AH next header 50: processed."),
    "send.esp.truncated": (
        "ESP header and IV running past the packet: INVALID_PACKET.",
        "Packet ends inside the ESP header or IV: INVALID_PACKET.",
        "Complete ESP header and IV with a zero-length payload: processed."),
    "send.esp.no_room_for_icv": (
        "Fewer bytes than ICV + pad length + next header: INVALID_PACKET.",
        "ESP payload too short for the trailer and ICV: INVALID_PACKET.",
        "The smallest valid ESP: processed."),
    "send.esp.not_aligned": (
        "Ciphertext not a multiple of the block (or IV+ciphertext not 4-byte aligned): "
        "INVALID_PACKET.",
        "Misaligned CBC / GCM / null ciphertext: INVALID_PACKET; a NIC that pads or truncates "
        "fails.",
        "Every pad length of every block size: processed."),
    "send.esp.pad_length_past_payload": (
        "Pad length + 2 beyond the ciphertext: INVALID_PACKET.",
        "Pad length byte pointing before the payload: INVALID_PACKET.",
        "Pad length 255 that fits: processed."),
    "send.inner.overrun": (
        "Inner IPv4 total length running past the tunnel payload: INVALID_PACKET.",
        "Inner total length too large: INVALID_PACKET.",
        "Inner total length exact: processed."),
    "send.frame.inner": (
        "The inner IPv4 header of a transport-over-tunnel packet is parsed like the outer one "
        "(options, fragments).",
        "Inner header with options / AH zeroing applied to the inner header for the inner AH.",
        "Inner fragment: NOT_SUPPORTED."),
    # ---- processing ----
    "send.esp.encrypt": (
        "ESP: the payload .. next header is encrypted in place with the SA's cipher (RFC 4303 "
        "section 2, RFC 2405/2451/3602/4106).",
        "Ciphertext must equal the cipher of the transport's plaintext; a NIC with the wrong "
        "key schedule, mode or range fails.",
        "A misaligned payload is refused, not encrypted."),
    "send.esp.iv": (
        "ESP: the NIC writes a fresh IV into the IV field the transport reserved [S5].",
        "The IV bytes must be the generated IV and the ciphertext must use it.",
        "Null ESP has no IV field: nothing is written between sequence number and payload."),
    "send.esp.icv": (
        "ESP ICV over SPI .. ciphertext, written into the reserved ICV space (RFC 4303 "
        "section 2.8).",
        "ICV covers header, IV and ciphertext; a NIC that MACs the plaintext or skips the IV fails.",
        "No room for the ICV: refused."),
    "send.esp.range_total_length": (
        "The encrypted range ends at the ICV, whose end is the IPv4 total length (inner total "
        "length for a transport ESP in a tunnel).",
        "Non-minimal padding and Ethernet trailers: a NIC that recomputes the padding or uses "
        "the frame length fails.",
        "Total length beyond the frame: refused."),
    "send.esp.gcm": (
        "AES-GCM ESP (RFC 4106): nonce salt||IV, AAD SPI||seq (SPI||seq_hi||seq_lo with ESN), "
        "16-byte ICV.",
        "GCM output and tag; a NIC with the wrong nonce or AAD fails.",
        "AES-GCM with a non-matching integrity algorithm is refused at ADD_SA (INVALID_DATA)."),
    "send.esp.gmac": (
        "ENCR_NULL_AUTH_AES_GMAC ESP (RFC 4543): payload in clear, AAD SPI||seq||IV||payload.."
        "next header, 16-byte ICV.",
        "GMAC tag over the whole ESP; a NIC that omits the IV or the trailer from the AAD fails.",
        "GMAC with a wrong key length is refused at ADD_SA."),
    "send.ah.icv": (
        "AH ICV over the zeroed IPv4 header, AH with a zero ICV and the rest of the packet "
        "(RFC 4302 section 3.3.3).",
        "AH ICV exact; a NIC that MACs the wrong range fails.",
        "AH Payload Len inconsistent with the SA: refused."),
    "send.ah.mutable_zeroed": (
        "AH ICV: TOS, flags, fragment offset, TTL and checksum count as zero (RFC 4302 "
        "section 3.3.3.1.1.1).",
        "Non-zero TOS, DF, reserved bit, TTL, checksum in the input; the ICV must be computed as "
        "if zeroed and the header sent unchanged.",
        "Fragment fields are not zeroed but refused (NOT_SUPPORTED)."),
    "send.ah.options_immutable": (
        "AH ICV: EOL, NOP, Security, Extended Security, Commercial Security, Router Alert, "
        "SDMDD are included unchanged (RFC 4302 Appendix A).",
        "Immutable option bytes enter the ICV; a NIC that zeroes them fails.",
        "A malformed option is refused."),
    "send.ah.options_mutable": (
        "AH ICV: every other option is zeroed entirely, type and length included (RFC 4302 "
        "Appendix A).",
        "Record Route, Timestamp, source routes, unknown options zeroed for the ICV and sent "
        "unchanged.",
        "A malformed option is refused."),
    "send.ah.source_route": (
        "AH ICV with LSRR/SSRR: the destination is replaced by the route's last address "
        "(RFC 4302 Appendix A).",
        "A NIC that MACs the first-hop destination fails.",
        "ESP with LSRR: nothing is substituted; the header goes out as framed."),
    "send.ah.gmac_iv": (
        "AES-GMAC AH (RFC 4543 section 5): 8-byte IV between sequence number and ICV, Payload "
        "Len 7, IV inside the ICV computation.",
        "A NIC that leaves the IV out of the AAD or writes it elsewhere fails.",
        "GMAC AH framed with Payload Len 4 (no IV room): refused."),
    "send.iv.fresh": (
        "Every send draws a new IV: under one SA (one key) an IV never repeats. AES-GCM/GMAC: a "
        "repeated nonce breaks confidentiality and integrity (RFC 4106 section 3.1, RFC 4543 "
        "section 3.1); CBC: IVs are random and unpredictable (RFC 3602 section 3).",
        "Several sends under one SA (different sizes and sequence numbers), each with an injected "
        "IV of its own, in transport, tunnel and transport-over-tunnel mode: each output must use "
        "its send's IV; a NIC that repeats an IV under the SA fails (AES-GCM/GMAC) or is flagged "
        "(CBC).",
        "The same IV value drawn once under each of two AES-GCM/GMAC SAs with keys of their own, "
        "sends interleaved: no nonce repeats under a key, both SAs' outputs are exact; a NIC that "
        "shares crypto state between SAs fails."),
    "send.ah.tunnel_inner_not_zeroed": (
        "AH tunnel mode: the inner IPv4 header is payload and enters the ICV unzeroed.",
        "Inner TOS/TTL/options must not be zeroed for the tunnel AH ICV.",
        "Transport AH inside the tunnel zeroes the inner header for its own ICV."),
    "send.bundle.esp_then_ah": (
        "Within a bundle ESP is processed first, then AH over the encrypted ESP [S7].",
        "AH ICV over the ciphertext and ESP ICV; a NIC that runs AH first fails.",
        "AH not followed by ESP in a bundle: refused."),
    "send.tot.transport_first": (
        "Transport (inner) portion first, then the tunnel portion [S1][S12].",
        "The tunnel ESP/AH covers the finished inner packet; a NIC that processes the tunnel "
        "first fails.",
        "An inner packet overrunning the tunnel payload is refused."),
    "send.esn": (
        "ESN SAs: the high 32 bits enter the ICV (appended for HMAC and AH, in the AAD for GCM/"
        "GMAC ESP) and never appear on the wire (RFC 4303 section 2.2.1, RFC 4302 section 2.5.1).",
        "ESN ICVs; a NIC that ignores the high bits or writes them fails.",
        "ESN not enabled: refused."),
    "send.unchanged_fields": (
        "Nothing else changes: IPv4 headers, SPI, sequence number, padding, pad length and next "
        "header stay as the transport wrote them [S1][S5].",
        "Odd but valid framing (non-minimal padding, unusual ids, next header 59) goes out as "
        "framed apart from IV, ciphertext and ICV.",
        "A trailer the NIC would have to repair (pad length past the payload) is refused, not "
        "repaired."),
    "send.buffer_split": (
        "The packet arrives as a chain of NDIS_BUFFERs cut anywhere.",
        "Cuts inside every header and 1-byte buffers give the same output.",
        "A misframed packet split across buffers is still refused."),
    "send.encapsulation.ethernet": (
        "IEEE 802.3 encapsulation: the IPv4 header follows a 14-byte Ethernet II header.",
        "Ethernet frames: the MAC header is kept and offsets are shifted by 14.",
        "EtherType not IPv4: refused."),
    "send.alg.conf": (
        "Every confidentiality algorithm of the algorithm table.",
        "Each cipher's output is exact.",
        "Each cipher not enabled: refused."),
    "send.alg.integrity": (
        "Every integrity algorithm of the algorithm table, in ESP and AH.",
        "Each ICV is exact and truncated to its length.",
        "Each integrity algorithm not enabled: refused."),
    # ---- OIDs ----
    "oid.set.second": (
        "Only the first OID_TCP_TASK_OFFLOAD set succeeds; later sets FAILURE and change "
        "nothing [S16c].",
        "A second set fails and does not enable what it asked for.",
        "The first set succeeds."),
    "oid.add_sa.bundle_order": (
        "Two SecAssoc elements must be ESP then AH [S7]; other orders NOT_SUPPORTED.",
        "AH-then-ESP bundle: NOT_SUPPORTED.",
        "ESP-then-AH bundle: SUCCESS."),
    "oid.add_sa.ah_conf": (
        "An AH element must have an all-zero ConfAlgo: INVALID_DATA otherwise.",
        "AH with a ConfAlgo: INVALID_DATA.",
        "AH without ConfAlgo: SUCCESS."),
    "oid.add_sa.ah_without_integrity": (
        "An AH element needs an integrity algorithm: INVALID_DATA.",
        "AH with IntegrityAlgo NONE: INVALID_DATA.",
        "AH with integrity: SUCCESS."),
    "oid.add_sa.nothing_to_do": (
        "ESP with neither encryption nor integrity: INVALID_DATA.",
        "ESP NONE/NONE: INVALID_DATA.",
        "Null ESP with integrity: SUCCESS."),
    "oid.add_sa.gcm_integrity": (
        "AES-GCM ESP with an integrity algorithm other than none or its GMAC: INVALID_DATA.",
        "GCM with HMAC-SHA1: INVALID_DATA.",
        "GCM with the GMAC of its key size (algoKeylen 0): SUCCESS, output as GCM."),
    "oid.add_sa.key_length": (
        "algoKeylen wrong for the algorithm: INVALID_DATA.",
        "Wrong algoKeylen for a cipher, an HMAC and a GMAC: INVALID_DATA.",
        "Correct algoKeylen stated explicitly: SUCCESS."),
    "oid.add_sa.flags": (
        "Flags not exactly OFFLOAD_INBOUND_SA or OFFLOAD_OUTBOUND_SA: INVALID_DATA.",
        "Flags 0 / 3: INVALID_DATA.",
        "Flags 2 written raw: SUCCESS."),
    "oid.add_sa.num_sas": (
        "NumSAs outside 1..2: INVALID_DATA.",
        "NumSAs 0 / 3: INVALID_DATA.",
        "NumSAs 2 written raw for a two-element bundle: SUCCESS."),
    "oid.add_sa.operation": (
        "Operation neither AUTHENTICATE nor ENCRYPT: INVALID_DATA.",
        "Operation 0 / 3: INVALID_DATA.",
        "Operation 2 written raw: SUCCESS."),
    "oid.add_sa.encryption_only": (
        "ESP without integrity and no AH in the bundle is refused (NOT_SUPPORTED) unless "
        "Extension.ENCRYPTION_ONLY_ESP was enabled [S5].",
        "Encryption-only ESP without the extension: NOT_SUPPORTED.",
        "With the extension enabled, or with AH in the bundle: SUCCESS and processed."),
    "oid.add_sa.key_order": (
        "KeyMat order: conf_first (OFFLOAD_IPSEC_ADD_SA.KeyMat page) or integrity_first "
        "(OFFLOAD_ALGO_INFO page) with Extension.KEYMAT_INTEGRITY_FIRST.",
        "integrity_first KeyMat gives the same output as conf_first with the same keys.",
        "The same keys in conf_first order; a NIC that always reads one order fails one of the "
        "pair."),
    "oid.add_sa.table_full": (
        "SA table full: RESOURCES; deleting one SA makes room.",
        "Adds beyond the capacity: RESOURCES.",
        "After a delete, the add succeeds."),
    "oid.delete_sa.unknown": (
        "DELETE_SA of a handle that names no live SA: FAILURE.",
        "Never-issued / already-deleted handle: FAILURE.",
        "Deleting a live SA: SUCCESS."),
    # ---- UDP-encapsulated ESP (RFC 3948; docs section 5.7) ----
    "udpesp.send.transport": (
        "UDP-encapsulated transport: ESP after the UDP header is processed exactly as plain ESP; "
        "the UDP header goes out as framed (RFC 3948 2.1) [S15b].",
        "[IP][UDP 4500][ESP] on a UDP-ESP SA, every ESP algorithm: the expected frame.",
        "Plain [IP][ESP] on a UDP-ESP SA, and [IP][UDP][ESP] on a plain SA: INVALID_PACKET."),
    "udpesp.send.tunnel": (
        "UDP-encapsulated tunnel: [IP][UDP][ESP][IP ...] on a UDP-ESP tunnel SA [S15b].",
        "The tunnel ESP behind UDP: the expected frame.",
        "The same tunnel frame without the UDP header: INVALID_PACKET."),
    "udpesp.send.transport_over_udp_tunnel": (
        "Transport over UDP-encapsulated tunnel: OffloadHandle a plain transport SA, "
        "NextOffloadHandle a UDP-ESP tunnel SA [S15b].",
        "Transport ESP inside a UDP-encapsulated tunnel ESP: the expected frame.",
        "UDP-encapsulated transport over a UDP-encapsulated tunnel (both SAs UDP-ESP): "
        "NOT_SUPPORTED (\"not supported\" [S15b])."),
    "udpesp.send.udp_transport_over_tunnel": (
        "UDP-encapsulated transport over tunnel: OffloadHandle a UDP-ESP transport SA, "
        "NextOffloadHandle a plain tunnel SA [S15b].",
        "[IP][ESP or AH][IP][UDP][ESP]: the expected frame.",
        "The inner packet without its UDP header: INVALID_PACKET."),
    "udpesp.send.subtype_enabled": (
        "A UDP-ESP send needs its subtype's flag (Supported.IPSEC_*_UDPESP_ENCAPTYPE_OTHER) "
        "enabled by the OID_TCP_TASK_OFFLOAD set [S15e].",
        "The subtype's flag enabled: processed.",
        "Every other flag enabled but the subtype's: NOT_SUPPORTED."),
    "udpesp.send.udp_header": (
        "The UDP header is the transport's: source port 4500 (RFC 3947 4), any destination port "
        "(a NAT mapping), Length = IPv4 total length - IHL*4, checksum as framed (RFC 3948 3.1).",
        "Destination port other than 4500 and a non-zero checksum: kept byte for byte.",
        "Source port other than 4500, UDP Length one off either way: INVALID_PACKET."),
    "udpesp.send.non_esp_marker": (
        "Four zero bytes after the UDP header are the non-ESP marker of an IKE packet "
        "(RFC 3948 2.2); a send on a UDP-ESP SA must carry ESP there.",
        "The marker where the SPI belongs: INVALID_PACKET.",
        "The SA's SPI there: processed."),
    "udpesp.oid.parser_entry": (
        "OID_TCP_TASK_IPSEC_ADD_UDPESP_SA: an inbound SA with EncapTypeEntryOffldHandle NULL gets "
        "a new parser entry; a handle names an entry the NIC holds; outbound SAs ignore it "
        "[S15a].",
        "NULL then the returned handle: both SUCCESS.",
        "A never-issued or deleted entry handle for an inbound SA: FAILURE, nothing added."),
    "udpesp.oid.encap_type": (
        "Only OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER on port 4500 is supported; IKE is reserved "
        "[S15a].",
        "UdpEncapType IKE, or an inbound DstEncapPort 500: NOT_SUPPORTED.",
        "OTHER / 4500, and an outbound SA whose DstEncapPort is ignored: SUCCESS."),
    "udpesp.oid.esp_only": (
        "A UDP-ESP SA is ESP only (RFC 3948 encapsulates ESP): an AUTHENTICATE element is "
        "NOT_SUPPORTED.",
        "AH in an ADD_UDPESP_SA: NOT_SUPPORTED.",
        "ESP: SUCCESS."),
    "udpesp.oid.delete": (
        "OID_TCP_TASK_IPSEC_DELETE_UDPESP_SA deletes the SA and, with a non-NULL entry handle, "
        "that parser entry; an unknown handle fails it [S15d].",
        "Delete, then a send on the SA: FAILURE; the deleted entry cannot be named again: FAILURE.",
        "Delete of a live SA (with its entry): SUCCESS."),
}


def collect(vectors_dir: Path) -> Tuple[Dict[str, List[str]], Dict[str, List[str]], List[str]]:
    positive: Dict[str, List[str]] = {r: [] for r in RULES}
    negative: Dict[str, List[str]] = {r: [] for r in RULES}
    errors: List[str] = []
    for path in sorted(vectors_dir.rglob("*.json")):
        if "tools" in path.parts or "loader" in path.parts or "schema" in path.parts:
            continue
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            errors.append(f"{path}: {exc}")
            continue
        if document.get("format") != "sendpath-vectors/1":
            continue
        for i, vector in enumerate(document.get("vectors", [])):
            for flag in vector.get("flags", []):
                rule, neg = (flag[: -len(NEG)], True) if flag.endswith(NEG) else (flag, False)
                if rule in RULES:
                    (negative if neg else positive)[rule].append(vector["id"])
                elif "." in flag and flag.split(".")[0] in ("send", "oid"):
                    errors.append(f"{path}:/vectors/{i}/flags: unknown rule id {flag!r}")
    return positive, negative, errors


def render_markdown(positive: Dict[str, List[str]], negative: Dict[str, List[str]]) -> str:
    lines = ["# Vector coverage of the send-path contract", "",
             "Generated by `vectors/tools/coverage.py` from the `flags` of every vector: a flag "
             "`RULE` marks a positive vector, `RULE/neg` a negative one. Do not edit by hand.", "",
             "| rule | positive | negative | what |", "|---|---|---|---|"]
    for rule, (text, _, _) in RULES.items():
        lines.append(f"| `{rule}` | {len(positive[rule])} | {len(negative[rule])} | {text} |")
    lines.append("")
    for rule, (text, pos_note, neg_note) in RULES.items():
        lines += [f"## `{rule}`", "", text, "",
                  f"Positive ({len(positive[rule])}): {pos_note}", ""]
        lines += [f"- `{v}`" for v in positive[rule]] or ["- (none)"]
        lines += ["", f"Negative ({len(negative[rule])}): {neg_note}", ""]
        lines += [f"- `{v}`" for v in negative[rule]] or ["- (none)"]
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    here = Path(__file__).resolve().parent.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=Path, default=here)
    parser.add_argument("--output", type=Path, default=here / "COVERAGE.md")
    parser.add_argument("--check", action="store_true",
                        help="fail if the output file differs instead of writing it")
    args = parser.parse_args()
    positive, negative, errors = collect(args.vectors)
    text = render_markdown(positive, negative)
    status = 0
    for error in errors:
        print(f"coverage: {error}", file=sys.stderr)
        status = 1
    for rule in RULES:
        if not positive[rule]:
            print(f"coverage: rule {rule} has no positive vector", file=sys.stderr)
            status = 1
        if not negative[rule]:
            print(f"coverage: rule {rule} has no negative vector", file=sys.stderr)
            status = 1
    if args.check:
        if not args.output.exists() or args.output.read_text() != text:
            print(f"coverage: {args.output} is out of date; run vectors/tools/coverage.py",
                  file=sys.stderr)
            status = 1
    else:
        args.output.write_text(text)
    covered = sum(1 for r in RULES if positive[r] and negative[r])
    print(f"coverage: {covered}/{len(RULES)} rules have positive and negative vectors")
    return status


if __name__ == "__main__":
    sys.exit(main())
