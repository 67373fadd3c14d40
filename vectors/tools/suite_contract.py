"""vectors/contract/: every send-path rule of the contract, positive and negative.

Expected statuses follow the status table of reference_nic/README.md; expected frames are built
by ipsec_frames.render (constructive, python3-cryptography).
"""
from __future__ import annotations

import struct
from typing import Dict, List, Optional, Sequence

from ipsec_frames import (CONF_ALGORITHMS, INTEGRITY_ALGORITHMS, Ah, Esp, Ipv4, Packet, Sa,
                          _ipv4_header, deterministic_bytes, ip_bytes)
from suite_common import (CBC_CONFS, GCMS, GMACS, GW_A, GW_B, HMACS, HOST_A, HOST_B, INNER_A,
                          INNER_B, ah_elem, esp_elem, icmp_payload, inner_ip, key_for, make_sa,
                          protected_packet, simple_case, standard_vector, transport_ip, tunnel_ip,
                          udp_payload)
from vectorfile import (ETHERNET_HEADER, SendResult, Vector, VectorGroup, frame_send, ivs_for,
                        packet_capabilities, sa_capabilities, sa_json, sort_caps)

SUCCESS = "NDIS_STATUS_SUCCESS"
FAILURE = "NDIS_STATUS_FAILURE"
INVALID_PACKET = "NDIS_STATUS_INVALID_PACKET"
NOT_SUPPORTED = "NDIS_STATUS_NOT_SUPPORTED"
INVALID_DATA = "NDIS_STATUS_INVALID_DATA"
RESOURCES = "NDIS_STATUS_RESOURCES"

README = "reference_nic/README.md"


def slug(name: str) -> str:
    return name.lower().replace("_", "-")


def alg_flags(bundle) -> List[str]:
    flags = []
    for e in bundle:
        if e.is_esp:
            conf = e.conf_algorithm()
            flags.append("send.alg.conf")
            if conf.kind in ("cbc", "gcm"):
                flags.append("send.esp.encrypt")
            if e.esp_iv_bytes():
                flags.append("send.esp.iv")
            else:
                flags.append("send.esp.iv/neg")
            if e.esp_icv_bytes():
                flags.append("send.esp.icv")
            if conf.kind == "gcm":
                flags.append("send.esp.gcm")
            if e.is_esp_gmac():
                flags.append("send.esp.gmac")
            if e.integrity:
                flags.append("send.alg.integrity")
        else:
            flags += ["send.ah.icv", "send.alg.integrity"]
            if e.ah_iv_bytes():
                flags.append("send.ah.gmac_iv")
        if e.esn_high is not None:
            flags.append("send.esn")
    if len(bundle) == 2:
        flags += ["send.bundle.esp_then_ah", "send.capability.ah_esp_combined/neg",
                  "oid.add_sa.bundle_order/neg", "send.ah.next_header/neg"]
    return flags


def describe(bundle) -> str:
    parts = []
    for e in bundle:
        if e.is_esp:
            parts.append(f"ESP({e.conf or 'NONE'}, {e.integrity or 'no integrity'})")
        else:
            parts.append(f"AH({e.integrity})")
    return " + ".join(reversed(parts)) if len(parts) == 2 else parts[0]


# ---- ESP and AH, every algorithm, transport and tunnel ---------------------------------------


def esp_algorithm_combinations():
    for conf in CBC_CONFS + ["NONE"]:
        for integ in HMACS:
            yield conf, integ
    for conf in GCMS:
        yield conf, None
        yield conf, "AES_GMAC_" + conf[-3:]
    for gmac in GMACS:
        yield "NONE", gmac


def esp_algorithms() -> List[VectorGroup]:
    groups = []
    for tunnel in (False, True):
        mode = "tunnel" if tunnel else "transport"
        group = VectorGroup("contract", f"contract-esp-{mode}-algorithms",
                            f"ESP {mode} mode with every confidentiality and integrity algorithm.")
        for i, (conf, integ) in enumerate(esp_algorithm_combinations()):
            vid = f"contract/esp-{mode}/{slug(conf)}-{slug(integ) if integ else 'none'}"
            bundle = [esp_elem(vid, conf, integ)]
            sas, pkt, name = simple_case(vid, bundle, tunnel, 24 + (i * 37) % 190,
                                         ip_kwargs={"tos": 0x10 * (i % 3), "ident": 0x100 + i})
            flags = alg_flags(bundle) + ["send.no_info/neg", "send.offload_not_enabled/neg",
                                         "send.capability.algorithm/neg",
                                         "send.capability.mode/neg", "send.frame.protocol_mismatch/neg",
                                         "send.frame.version/neg",
                                         "send.frame.spi_mismatch/neg", "oid.set.second/neg",
                                         "oid.delete_sa.unknown/neg"]
            if conf in GCMS and integ:
                flags.append("oid.add_sa.gcm_integrity/neg")
            if conf == "NONE":
                flags.append("oid.add_sa.nothing_to_do/neg")
            source = {"DES": "RFC 2405", "3_DES": "RFC 2451", "NONE": "RFC 2410"}.get(
                conf, "RFC 4106 section 5" if conf in GCMS else "RFC 3602")
            if integ in GMACS:
                source = "RFC 4543 section 3"
            v = standard_vector(vid, f"ESP {mode}, {describe(bundle)}", flags,
                                f"RFC 4303 section 2 and 3.1.{1 if not tunnel else 2}; {source}",
                                pkt, sas, (name, 0))
            v.delete_sa(name)
            group.add(v)
        groups.append(group)
    return groups


def ah_algorithms() -> VectorGroup:
    group = VectorGroup("contract", "contract-ah-algorithms",
                        "AH transport and tunnel mode with every integrity algorithm.")
    for tunnel in (False, True):
        mode = "tunnel" if tunnel else "transport"
        for i, integ in enumerate(HMACS + GMACS):
            vid = f"contract/ah-{mode}/{slug(integ)}"
            bundle = [ah_elem(vid, integ)]
            sas, pkt, name = simple_case(
                vid, bundle, tunnel, 40 + 53 * i,
                ip_kwargs={"tos": 0xB8, "ttl": 17 + i, "ident": 0x2000 + i},
                inner_kwargs={"tos": 0x28, "ttl": 3, "ident": 0x77})
            flags = alg_flags(bundle) + ["send.ah.mutable_zeroed", "send.ah.length_mismatch/neg",
                                         "send.capability.mode/neg", "send.ah.truncated/neg"]
            if tunnel:
                flags.append("send.ah.tunnel_inner_not_zeroed")
            source = ("RFC 4543 section 5" if integ in GMACS else
                      {"MD5": "RFC 2403", "SHA_1": "RFC 2404", "SHA_256": "RFC 4868"}[integ])
            group.add(standard_vector(vid, f"AH {mode}, {describe(bundle)}", flags,
                                      f"RFC 4302 sections 3.1 and 3.3.3; {source}", pkt, sas,
                                      (name, 0)))
    return group


# ---- bundles -----------------------------------------------------------------------------------

BUNDLE_PAIRS = [
    # (AH integrity, ESP cipher, ESP integrity, what)
    ("MD5", "3_DES", "MD5", "MD5/MD5"),
    ("SHA_1", "AES_CBC_128", "SHA_1", "SHA1/SHA1"),
    ("MD5", "DES", "SHA_1", "MD5/SHA1"),
    ("SHA_1", "AES_CBC_256", "MD5", "SHA1/MD5"),
    ("MD5", "NONE", "MD5", "MD5/Null-ESP"),
    ("SHA_1", "NONE", "SHA_1", "SHA1/Null-ESP"),
    ("MD5", "3_DES", None, "MD5/ESP without integrity"),
    ("SHA_1", "AES_CBC_128", None, "SHA1/ESP without integrity"),
]


def bundles() -> VectorGroup:
    group = VectorGroup("contract", "contract-bundles",
                        "AH+ESP bundles ([IP][AH][ESP]): the required integrity pairs [S5] in "
                        "transport and tunnel mode, and bundles with the v2 algorithms.")
    group.extra_notes["contract.null_esp_pair"] = (
        "[S5] names MD5/Null-ESP and SHA1/Null-ESP: read both as null encryption (ESP NONE with "
        "integrity) and as ESP without integrity under AH; both are generated.")
    for tunnel in (False, True):
        mode = "tunnel" if tunnel else "transport"
        for ah_i, conf, esp_i, what in BUNDLE_PAIRS:
            vid = f"contract/bundle-{mode}/ah-{slug(ah_i)}-esp-{slug(conf)}-{slug(esp_i) if esp_i else 'none'}"
            bundle = [esp_elem(vid, conf, esp_i), ah_elem(vid, ah_i)]
            sas, pkt, name = simple_case(vid, bundle, tunnel, 77 + len(what),
                                         ip_kwargs={"tos": 0x20, "ttl": 99})
            flags = alg_flags(bundle) + ["send.ah.mutable_zeroed"]
            if "Null" in what or esp_i is None:
                flags.append("contract.null_esp_pair")
            if esp_i is None:
                flags.append("oid.add_sa.encryption_only/neg")
            group.add(standard_vector(vid, f"Bundle {mode}, pair {what}: {describe(bundle)}",
                                      flags, "[S5] required AH/ESP pairs; [S7] ESP then AH; "
                                      "RFC 4301 section 4.5", pkt, sas, (name, 0)))
    extras = [("SHA_256", "AES_GCM_128", None), ("AES_GMAC_128", "AES_CBC_128", "SHA_1"),
              ("AES_GMAC_256", "NONE", "AES_GMAC_256"), ("SHA_256", "AES_CBC_192", "SHA_256")]
    for ah_i, conf, esp_i in extras:
        vid = f"contract/bundle-transport/ah-{slug(ah_i)}-esp-{slug(conf)}-{slug(esp_i) if esp_i else 'none'}"
        bundle = [esp_elem(vid, conf, esp_i), ah_elem(vid, ah_i)]
        sas, pkt, name = simple_case(vid, bundle, False, 150)
        title = f"Bundle transport: {describe(bundle)}"
        if ah_i in GMACS:
            title += " (two IVs for one SA: ESP first, then AH)"
        group.add(standard_vector(vid, title, alg_flags(bundle),
                                  "[S7] ESP then AH; RFC 4543 / RFC 4106 / RFC 4868", pkt, sas,
                                  (name, 0)))
    return group


# ---- transport over tunnel -------------------------------------------------------------------

TOT_ALGOS = {
    "ah": lambda vid, tag: [ah_elem(vid + tag, "SHA_1" if tag == "/t" else "MD5")],
    "esp": lambda vid, tag: [esp_elem(vid + tag, "AES_CBC_128" if tag == "/t" else "3_DES",
                                      "SHA_1" if tag == "/t" else "MD5")],
    "bundle": lambda vid, tag: [esp_elem(vid + tag, "DES" if tag == "/t" else "AES_CBC_256",
                                         "MD5" if tag == "/t" else "SHA_256"),
                                ah_elem(vid + tag, "SHA_1" if tag == "/t" else "SHA_256")],
}


def tot_case(vid: str, inner_kind: str, outer_kind: str, inner_bundle=None, outer_bundle=None,
             payload=120, inner_kwargs=None, outer_kwargs=None, inner_esp_kwargs=None):
    tb = inner_bundle or TOT_ALGOS[inner_kind](vid, "/t")
    ob = outer_bundle or TOT_ALGOS[outer_kind](vid, "/tun")
    t = make_sa("t", tb, INNER_A, INNER_B, 17)
    tun = make_sa("tun", ob, INNER_A, INNER_B, 0, (GW_A, GW_B))
    inner = protected_packet(inner_ip(**(inner_kwargs or {"tos": 0x08, "ttl": 31})),
                             udp_payload(vid, INNER_A, INNER_B, payload), inner_kind, "t", 5,
                             **(inner_esp_kwargs or {}))
    outer = protected_packet(tunnel_ip(**(outer_kwargs or {"tos": 0x48, "ttl": 250})), inner,
                             outer_kind, "tun", 9)
    return {"t": t, "tun": tun}, outer


def transport_over_tunnel() -> VectorGroup:
    group = VectorGroup("contract", "contract-transport-over-tunnel",
                        "Transport-over-tunnel packets (OffloadHandle = transport SA, "
                        "NextOffloadHandle = tunnel SA) in every AH / ESP / AH+ESP combination.")
    kinds = ["ah", "esp", "bundle"]
    for ik in kinds:
        for ok in kinds:
            vid = f"contract/transport-over-tunnel/{ik}-in-{ok}"
            sas, pkt = tot_case(vid, ik, ok)
            flags = (alg_flags(sas["t"].bundle) + alg_flags(sas["tun"].bundle) +
                     ["send.tot.transport_first", "send.capability.transport_tunnel_combined/neg",
                      "send.next_handle.not_tunnel/neg", "send.offload_handle.not_transport/neg",
                      "send.next_handle.no_tunnel_payload/neg", "send.tunnel_only/neg",
                      "send.inner.overrun/neg", "send.frame.inner"])
            if "ah" in (ik, ok) or "bundle" in (ik, ok):
                flags.append("send.ah.mutable_zeroed")
            group.add(standard_vector(
                vid, f"Transport {describe(sas['t'].bundle)} inside tunnel {describe(sas['tun'].bundle)}",
                flags, "[S1] transport portion then tunnel portion; [S12] handles", pkt, sas,
                ("t", "tun")))
    extras = [
        ("gcm-in-null-esp", [esp_elem("x/t", "AES_GCM_256", None)],
         [esp_elem("x/tun", "NONE", "SHA_256")], "esp", "esp",
         "inner AES-GCM ESP stays visible under a null-ESP tunnel; both IVs are in iv_bytes"),
        ("gmac-ah-in-gcm", [ah_elem("y/t", "AES_GMAC_192")], [esp_elem("y/tun", "AES_GCM_128", None)],
         "ah", "esp", "GMAC AH inner, GCM tunnel"),
        ("gmac-esp-in-gmac-ah", [esp_elem("z/t", "NONE", "AES_GMAC_128")],
         [ah_elem("z/tun", "AES_GMAC_256")], "esp", "ah", "GMAC ESP inner under a GMAC AH tunnel"),
    ]
    for name, tb, ob, ik, ok, what in extras:
        vid = f"contract/transport-over-tunnel/{name}"
        sas, pkt = tot_case(vid, ik, ok, tb, ob)
        group.add(standard_vector(vid, f"Transport over tunnel: {what}",
                                  alg_flags(tb) + alg_flags(ob) + ["send.tot.transport_first"],
                                  "[S1][S12]; RFC 4106; RFC 4543", pkt, sas, ("t", "tun")))
    # Both SAs with the same transform and keys of their own, and an empty inner payload: the
    # frame parses the same whichever SA a NIC takes for which portion, so only the keys show
    # that OffloadHandle's SA protected the transport portion and NextOffloadHandle's the tunnel
    # portion [S12] (with different transforms a swap is a framing refusal, not a wrong frame).
    vid = "contract/transport-over-tunnel/same-transform-empty"
    tb = [esp_elem(vid + "/t", "AES_CBC_128", "SHA_1")]
    ob = [esp_elem(vid + "/tun", "AES_CBC_128", "SHA_1")]
    sas = {"t": make_sa("t", tb, INNER_A, INNER_B, 0),
           "tun": make_sa("tun", ob, INNER_A, INNER_B, 0, (GW_A, GW_B))}
    inner = protected_packet(inner_ip(tos=0x08, ttl=31), b"", "esp", "t", 5, upper=59)
    pkt = protected_packet(tunnel_ip(tos=0x48, ttl=250), inner, "esp", "tun", 9)
    group.add(standard_vector(
        vid, "Transport ESP AES-CBC-128/HMAC-SHA1 inside a tunnel ESP of the same transform, empty "
        "inner payload: only the keys tell the two SAs apart",
        alg_flags(tb) + ["send.tot.transport_first"], "[S1][S12]; RFC 4303 section 2.6", pkt, sas,
        ("t", "tun")))
    return group


# ---- IPv4 options ----------------------------------------------------------------------------


def pad4(opts: bytes) -> bytes:
    return opts + bytes((-len(opts)) % 4)


ROUTE = [ip_bytes(a) for a in ("203.0.113.9", "203.0.113.10", "198.51.100.99")]

IMMUTABLE_OPTIONS = {
    "eol": (b"\x00\x00\x00\x00", "EOL (type 0) then padding"),
    "nop": (b"\x01\x01\x01\x00", "three NOPs then EOL"),
    "security-rfc791": (pad4(bytes([130, 11]) + bytes.fromhex("f13500000000abcdef")),
                        "Security (130), 11 bytes, RFC 791 layout"),
    "security-rfc1108": (bytes([130, 4, 0xAB, 0x00]), "Security (130), 4 bytes, RFC 1108 layout"),
    "extended-security": (pad4(bytes([133, 3, 0x01])), "Extended Security (133)"),
    "commercial-security": (bytes([134, 10, 0, 0, 0, 3, 1, 4, 0, 9, 1, 1]),
                            "Commercial Security / CIPSO (134) then NOP NOP"),
    "router-alert": (bytes([148, 4, 0, 0]), "Router Alert (148)"),
    "sdmdd": (bytes([149, 4, 0x00, 0x01]), "Sender Directed Multi-Destination Delivery (149)"),
}

MUTABLE_OPTIONS = {
    "record-route": (pad4(bytes([1, 7, 15, 8]) + ip_bytes("203.0.113.77") + bytes(8)),
                     "NOP + Record Route (7), 3 slots, 1 filled"),
    "timestamp-flag0": (bytes([68, 12, 9, 0x00]) + struct.pack("!II", 0x01020304, 0),
                        "Timestamp (68) flag 0, 2 slots, 1 filled"),
    "timestamp-flag1": (bytes([68, 20, 13, 0x01]) + ip_bytes("203.0.113.5") +
                        struct.pack("!I", 0x0A0B0C0D) + bytes(8),
                        "Timestamp (68) flag 1 (address + time), 2 entries, 1 filled"),
    "timestamp-flag3": (bytes([68, 20, 5, 0x03]) + ip_bytes("203.0.113.5") + bytes(4) +
                        ip_bytes("203.0.113.6") + bytes(4),
                        "Timestamp (68) flag 3, 2 prespecified addresses"),
    "stream-id": (bytes([136, 4, 0x12, 0x34]), "Stream ID (136)"),
    "traceroute": (bytes([82, 12, 0x11, 0x22, 0, 1, 0, 0]) + ip_bytes("192.0.2.200"),
                   "Traceroute (82)"),
    "mtu-probe": (bytes([11, 4, 0x05, 0xDC]), "MTU Probe (11)"),
    "unassigned-158": (bytes([158, 4, 0xEE, 0xFF]), "an unassigned option type (158)"),
}


def source_route(kind: int) -> bytes:
    return pad4(bytes([1, kind, 3 + 4 * len(ROUTE), 4]) + b"".join(ROUTE))


def options_group() -> VectorGroup:
    group = VectorGroup("contract", "contract-ipv4-options",
                        "IPv4 options: immutable options kept and mutable ones zeroed for the AH "
                        "ICV (RFC 4302 Appendix A), source routes, options on inner headers.")
    flags_common = ["send.options.not_enabled/neg", "send.frame.option_malformed/neg"]

    def ah_with_options(vid, opts, integ="SHA_1", dst=HOST_B, title="", flags=()):
        bundle = [ah_elem(vid, integ)]
        sa = make_sa("t", bundle, HOST_A, dst, 17)
        ip = transport_ip(dst=dst, options=opts, tos=0x10, ttl=44)
        pkt = protected_packet(ip, udp_payload(vid, HOST_A, dst, 64), "ah", "t", 3)
        group.add(standard_vector(vid, title, alg_flags(bundle) + flags_common + list(flags),
                                  "RFC 4302 section 3.3.3.1.1.1 and Appendix A", pkt, {"t": sa},
                                  ("t", 0)))

    for name, (opts, what) in IMMUTABLE_OPTIONS.items():
        ah_with_options(f"contract/options/ah-immutable-{name}", opts,
                        title=f"AH transport, {what}: kept in the ICV",
                        flags=["send.ah.options_immutable"])
    for name, (opts, what) in MUTABLE_OPTIONS.items():
        ah_with_options(f"contract/options/ah-mutable-{name}", opts, "MD5" if "time" in name else "SHA_256",
                        title=f"AH transport, {what}: zeroed for the ICV",
                        flags=["send.ah.options_mutable"])
    for kind, label in ((131, "lsrr"), (137, "ssrr")):
        ah_with_options(f"contract/options/ah-{label}-final-destination", source_route(kind),
                        "SHA_1", dst="203.0.113.9",
                        title=f"AH transport, {label.upper()} of 3 addresses: ICV with the final "
                              "destination", flags=["send.ah.source_route", "send.ah.options_mutable"])
    ah_with_options("contract/options/ah-ihl15-mixed",
                    bytes([148, 4, 0, 0]) + bytes([7, 27, 4]) + bytes(24) + bytes([1]) +
                    bytes([68, 8, 5, 0, 0, 0, 0, 0]),
                    "AES_GMAC_128", title="AH transport, GMAC, IHL 15: Router Alert + Record Route "
                    "+ Timestamp (40 bytes of options)",
                    flags=["send.ah.options_immutable", "send.ah.options_mutable", "send.frame.ihl/neg"])
    # ESP does not look at options: the header goes out as framed, no substitution.
    for kind, label in ((131, "lsrr"), (7, "record-route")):
        vid = f"contract/options/esp-transport-{label}"
        opts = source_route(kind) if kind == 131 else MUTABLE_OPTIONS["record-route"][0]
        bundle = [esp_elem(vid, "AES_CBC_128", "SHA_1")]
        dst = "203.0.113.9" if kind == 131 else HOST_B
        sa = make_sa("t", bundle, HOST_A, dst, 17)
        pkt = protected_packet(transport_ip(dst=dst, options=opts),
                               udp_payload(vid, HOST_A, dst, 90), "esp", "t", 4)
        group.add(standard_vector(vid, f"ESP transport with {label.upper() if kind == 131 else 'Record Route'}: header unchanged",
                                  alg_flags(bundle) + flags_common + ["send.ah.source_route/neg", "send.unchanged_fields"],
                                  "RFC 4303 section 3.1.1; contract: nothing else changes", pkt,
                                  {"t": sa}, ("t", 0)))
    # Tunnel mode: outer options (AH) and inner options (payload, never zeroed).
    vid = "contract/options/ah-tunnel-outer-router-alert-inner-lsrr"
    bundle = [ah_elem(vid, "SHA_256")]
    sas, pkt, name = simple_case(vid, bundle, True, 70,
                                 ip_kwargs={"options": IMMUTABLE_OPTIONS["router-alert"][0]},
                                 inner_kwargs={"options": source_route(131), "dst": "203.0.113.9",
                                               "ttl": 9, "tos": 0x30})
    group.add(standard_vector(vid, "AH tunnel: outer Router Alert kept, inner LSRR + TTL + TOS "
                              "unzeroed (inner header is payload)",
                              alg_flags(bundle) + flags_common + ["send.ah.options_immutable",
                                                                  "send.ah.tunnel_inner_not_zeroed"],
                              "RFC 4302 sections 3.1.2 and 3.3.3.1", pkt, sas, (name, 0)))
    vid = "contract/options/ah-tunnel-inner-record-route"
    bundle = [ah_elem(vid, "MD5")]
    sas, pkt, name = simple_case(vid, bundle, True, 70,
                                 inner_kwargs={"options": MUTABLE_OPTIONS["record-route"][0]})
    group.add(standard_vector(vid, "AH tunnel: inner Record Route is payload, not zeroed",
                              alg_flags(bundle) + flags_common + ["send.ah.tunnel_inner_not_zeroed"],
                              "RFC 4302 section 3.1.2", pkt, sas, (name, 0)))
    vid = "contract/options/esp-tunnel-inner-timestamp"
    bundle = [esp_elem(vid, "AES_GCM_192", None)]
    sas, pkt, name = simple_case(vid, bundle, True, 70,
                                 inner_kwargs={"options": MUTABLE_OPTIONS["timestamp-flag1"][0]})
    group.add(standard_vector(vid, "ESP tunnel, inner header with Timestamp: encrypted as payload",
                              alg_flags(bundle) + flags_common, "RFC 4303 section 3.1.2", pkt,
                              sas, (name, 0)))
    # Transport over tunnel: the inner AH zeroes the inner header's mutable options.
    vid = "contract/options/tot-inner-ah-ssrr"
    sas, pkt = tot_case(vid, "ah", "esp",
                        inner_kwargs={"options": source_route(137), "dst": "203.0.113.9",
                                      "tos": 0x04, "ttl": 2})
    group.add(standard_vector(vid, "Transport-over-tunnel: inner AH with SSRR on the inner header "
                              "(final destination), tunnel ESP",
                              alg_flags(sas["t"].bundle) + alg_flags(sas["tun"].bundle) + flags_common +
                              ["send.ah.source_route", "send.frame.inner", "send.tot.transport_first",
                               "send.ah.tunnel_inner_not_zeroed/neg"],
                              "RFC 4302 Appendix A; [S1]", pkt, sas, ("t", "tun")))
    vid = "contract/options/bundle-security-timestamp"
    bundle = [esp_elem(vid, "3_DES", "SHA_1"), ah_elem(vid, "MD5")]
    sas, pkt, name = simple_case(vid, bundle, False, 33,
                                 ip_kwargs={"options": IMMUTABLE_OPTIONS["security-rfc1108"][0] +
                                            MUTABLE_OPTIONS["timestamp-flag0"][0]})
    group.add(standard_vector(vid, "Bundle transport with Security (4 bytes) and Timestamp",
                              alg_flags(bundle) + flags_common + ["send.ah.options_immutable",
                                                                  "send.ah.options_mutable"],
                              "RFC 4302 Appendix A; [S7]", pkt, sas, (name, 0)))
    malformed_source_routes(group)
    return group


def broken_source_route(kind: int, length: int) -> bytes:
    """A source route whose length leaves a partial address (RFC 791 section 3.1: the length
    counts type, length, pointer and whole 4-byte addresses, so it is 3 + 4n)."""
    route = b"".join(ROUTE)[:length - 3]
    return pad4(bytes([kind, length, 4]) + route)


def malformed_source_routes(group: VectorGroup) -> None:
    """Source routes that are not whole addresses, on every header the NIC parses (outer, and
    the inner header of transport over tunnel: INVALID_PACKET) and on inner headers it must not
    parse (tunnel mode, and transport-over-tunnel frames sent with the tunnel SA only: payload,
    sent as framed). Issue 15: a NIC that checks only the option's bounds processed a
    transport-over-tunnel send whose inner LSRR had length 6."""
    src = ("RFC 791 section 3.1 (source route: length 3 + 4n); RFC 4302 section 3.3.3.1.1.1 (the "
           "final destination is a whole address); " + README + " status table (malformed option)")
    note = ("An LSRR/SSRR whose length is not 3 + 4n names no final destination for the AH ICV "
            "(RFC 4302 3.3.3.1.1.1): the option is malformed and the send refused; a NIC that "
            "checks only that the option fits the header emits a frame here.")
    payload_note = ("The inner header is tunnel payload: the NIC neither parses nor changes it "
                    "(RFC 4301 section 5.1.2.1, RFC 4302 section 3.1.2); refusing it is wrong.")
    gmac_tunnel = lambda vid: [ah_elem(vid + "/tun", "AES_GMAC_128")]  # noqa: E731
    lsrr6 = broken_source_route(131, 6)

    def tot(vid, title, inner_kind, options, flags, status=INVALID_PACKET, outer_kind="esp",
            outer_bundle=None, info=("t", "tun"), comment=note, dst="203.0.113.9"):
        sas, pkt = tot_case(vid, inner_kind, outer_kind, outer_bundle=outer_bundle,
                            inner_kwargs={"options": options, "dst": dst, "tos": 0x08, "ttl": 31})
        group.add(standard_vector(vid, title, alg_flags(sas["t"].bundle) + alg_flags(sas["tun"].bundle) +
                                  list(flags), src, pkt, sas, info, status=status, comment=comment))

    # Negative: the NIC parses the inner header of a transport-over-tunnel send [S12].
    vid = "contract/options/tot-bundle-over-gmac-ah-inner-lsrr-length-6"
    tot(vid, "Transport over tunnel, ESP+AH inside an AH-GMAC tunnel, inner LSRR of length 6 "
        "(3 bytes of route): INVALID_PACKET", "bundle", lsrr6,
        ["send.frame.option_malformed", "send.frame.inner", "send.ah.source_route/neg"],
        outer_kind="ah", outer_bundle=gmac_tunnel(vid))
    vid = "contract/options/tot-inner-ah-ssrr-length-10"
    tot(vid, "Transport over tunnel, inner AH, inner SSRR of length 10 (two addresses and 3 "
        "bytes): INVALID_PACKET", "ah", broken_source_route(137, 10),
        ["send.frame.option_malformed", "send.frame.inner", "send.ah.source_route/neg"])
    vid = "contract/options/tot-inner-esp-lsrr-length-8"
    tot(vid, "Transport over tunnel, inner ESP, inner LSRR of length 8: INVALID_PACKET even "
        "though ESP never reads the route", "esp", broken_source_route(131, 8),
        ["send.frame.option_malformed", "send.frame.inner"], outer_kind="bundle")
    # Positive twin of the first: a whole route of 3 addresses on the same SAs is processed.
    vid = "contract/options/tot-bundle-over-gmac-ah-inner-lsrr-whole"
    tot(vid, "Transport over tunnel, ESP+AH inside an AH-GMAC tunnel, inner LSRR of 3 whole "
        "addresses: processed, inner AH ICV with the final destination", "bundle",
        source_route(131), ["send.frame.option_malformed/neg", "send.frame.inner",
                            "send.ah.source_route"],
        status=SUCCESS, outer_kind="ah", outer_bundle=gmac_tunnel(vid), comment="")
    # Positive: only the tunnel SA given, the inner portion (header included) stays as framed.
    vid = "contract/options/tunnel-only-tot-frame-inner-lsrr-length-6"
    tot(vid, "Transport-over-tunnel frame with only the tunnel SA (AH-GMAC), inner LSRR of "
        "length 6: the inner packet is payload, processed", "bundle", lsrr6,
        ["send.frame.option_malformed/neg", "send.tunnel_only", "send.ah.tunnel_inner_not_zeroed"],
        status=SUCCESS, outer_kind="ah", outer_bundle=gmac_tunnel(vid), info=("tun", 0),
        comment=payload_note)

    # Positive: tunnel mode, the inner header is payload whatever its options.
    for label, bundle_of, options in (
            ("esp", lambda v: [esp_elem(v, "AES_CBC_128", "SHA_1")], lsrr6),
            ("ah", lambda v: [ah_elem(v, "SHA_256")], broken_source_route(137, 10)),
            ("bundle", lambda v: [esp_elem(v, "AES_GCM_128", None), ah_elem(v, "AES_GMAC_128")], lsrr6)):
        vid = f"contract/options/{label}-tunnel-inner-source-route-malformed"
        bundle = bundle_of(vid)
        sas, pkt, name = simple_case(vid, bundle, True, 64,
                                     inner_kwargs={"options": options, "dst": "203.0.113.9",
                                                   "ttl": 9, "tos": 0x30})
        group.add(standard_vector(vid, f"{label.upper() if label != 'bundle' else 'ESP+AH'} tunnel, "
                                  f"inner source route of length {options[1]}: payload, processed",
                                  alg_flags(bundle) + ["send.frame.option_malformed/neg",
                                                       "send.ah.tunnel_inner_not_zeroed"],
                                  src, pkt, sas, (name, 0), comment=payload_note))

    # Negative: the same routes on headers the NIC parses (transport, bundle, tunnel outer).
    for label, bundle_of, tunnel in (
            ("ah-transport", lambda v: [ah_elem(v, "SHA_1")], False),
            ("bundle-transport", lambda v: [esp_elem(v, "3_DES", "SHA_1"), ah_elem(v, "MD5")], False),
            ("esp-tunnel-outer", lambda v: [esp_elem(v, "AES_CBC_256", "SHA_256")], True)):
        vid = f"contract/options/{label}-lsrr-length-6"
        bundle = bundle_of(vid)
        sas, pkt, name = simple_case(vid, bundle, tunnel, 48, ip_kwargs={"options": lsrr6})
        group.add(standard_vector(vid, f"{label.replace('-', ' ')}: LSRR of length 6 on the header "
                                  "the SA protects: INVALID_PACKET",
                                  alg_flags(bundle) + ["send.frame.option_malformed",
                                                       "send.ah.source_route/neg"],
                                  src, pkt, sas, (name, 0), status=INVALID_PACKET, comment=note))


# ---- AH mutable fields -----------------------------------------------------------------------


def mutable_fields() -> VectorGroup:
    group = VectorGroup("contract", "contract-ah-mutable-fields",
                        "AH: TOS, flags, TTL and checksum non-zero in the input; the ICV is "
                        "computed as if they were zero and the header goes out unchanged.")
    cases = [
        ("tos-ff", {"tos": 0xFF}, "TOS 0xff"),
        ("df", {"flags": 0x2}, "DF set"),
        ("reserved-flag", {"flags": 0x4}, "reserved flag bit set"),
        ("df-reserved", {"flags": 0x6}, "DF and reserved bit set"),
        ("ttl-1", {"ttl": 1}, "TTL 1"),
        ("ttl-255", {"ttl": 255, "flags": 0}, "TTL 255, no flags"),
        ("all", {"tos": 0xE3, "flags": 0x6, "ttl": 200, "ident": 0xFFFF}, "everything non-zero"),
    ]
    for i, (name, kwargs, what) in enumerate(cases):
        for integ in ("SHA_1", "AES_GMAC_128") if name == "all" else ("SHA_1",):
            vid = f"contract/ah-mutable/{name}" + ("-gmac" if integ != "SHA_1" else "")
            bundle = [ah_elem(vid, integ)]
            sas, pkt, n = simple_case(vid, bundle, False, 48 + i, ip_kwargs=kwargs)
            flags = alg_flags(bundle) + ["send.ah.mutable_zeroed", "send.unchanged_fields"]
            if kwargs.get("flags"):
                flags.append("send.fragment/neg")
            group.add(standard_vector(vid, f"AH transport, {what} (checksum non-zero as always)",
                                      flags, "RFC 4302 section 3.3.3.1.1.1", pkt, sas, (n, 0)))
    vid = "contract/ah-mutable/tunnel-outer-all"
    bundle = [ah_elem(vid, "MD5")]
    sas, pkt, n = simple_case(vid, bundle, True, 60,
                              ip_kwargs={"tos": 0x5C, "ttl": 7, "flags": 0x6},
                              inner_kwargs={"tos": 0x5C, "ttl": 7, "flags": 0x6})
    group.add(standard_vector(vid, "AH tunnel: outer mutable fields zeroed, identical inner "
                              "fields kept", alg_flags(bundle) + ["send.ah.mutable_zeroed",
                                                                  "send.ah.tunnel_inner_not_zeroed"],
                              "RFC 4302 sections 3.1.2 and 3.3.3.1", pkt, sas, (n, 0)))
    return group


# ---- ESP padding and sizes -------------------------------------------------------------------


def padding_group() -> VectorGroup:
    group = VectorGroup("contract", "contract-esp-padding-and-sizes",
                        "ESP payload sizes from 0 to the MTU and every pad length of every "
                        "block size (RFC 4303 section 2.4).")
    sweeps = [("AES_CBC_128", "SHA_1", 16), ("3_DES", "MD5", 8), ("NONE", "SHA_256", 4),
              ("AES_GCM_128", None, 4)]
    for conf, integ, block in sweeps:
        for pad in range(block):
            m = 4 if block >= 8 else 8
            size = m * block - 2 - pad
            vid = f"contract/esp-padding/{slug(conf)}-pad-{pad}"
            bundle = [esp_elem(vid, conf, integ)]
            sas, pkt, n = simple_case(vid, bundle, False, size)
            flags = alg_flags(bundle) + ["send.esp.not_aligned/neg", "send.esp.no_room_for_icv/neg"]
            group.add(standard_vector(vid, f"ESP transport {conf}, {size}-byte payload, pad length {pad}",
                                      flags, "RFC 4303 section 2.4", pkt, sas, (n, 0)))
    # Zero-length payload (next header 59, RFC 4303 section 2.6 dummy-style framing).
    for conf, integ in (("AES_CBC_256", "SHA_256"), ("3_DES", "SHA_1"), ("NONE", "MD5"),
                        ("AES_GCM_256", None), ("NONE", "AES_GMAC_192")):
        vid = f"contract/esp-size/{slug(conf)}-{slug(integ) if integ else 'none'}-empty"
        bundle = [esp_elem(vid, conf, integ)]
        sa = make_sa("t", bundle, HOST_A, HOST_B, 0)
        pkt = protected_packet(transport_ip(), b"", "esp", "t", 1, upper=59)
        group.add(standard_vector(vid, f"ESP transport {conf}: empty payload, next header 59",
                                  alg_flags(bundle) + ["send.unchanged_fields", "send.esp.truncated/neg",
                                                       "send.esp.no_room_for_icv/neg"],
                                  "RFC 4303 sections 2.4 and 2.6", pkt, {"t": sa}, ("t", 0)))
    # MTU-sized packets: total length exactly 1500.
    for conf, integ, tunnel in (("AES_CBC_256", "SHA_256", False), ("3_DES", "SHA_1", True),
                                ("AES_GCM_256", None, False), ("NONE", "MD5", True)):
        vid = f"contract/esp-size/{slug(conf)}-{'tunnel' if tunnel else 'transport'}-mtu"
        bundle = [esp_elem(vid, conf, integ)]
        e = bundle[0]
        overhead = 20 + 8 + e.esp_iv_bytes() + e.esp_icv_bytes() + (20 if tunnel else 0)
        align = e.esp_align()
        size = ((1500 - overhead) // align) * align - 2
        sas, pkt, n = simple_case(vid, bundle, tunnel, size)
        v = standard_vector(vid, f"ESP {'tunnel' if tunnel else 'transport'} {conf}: MTU-sized "
                            "packet", alg_flags(bundle), "RFC 4303 section 2.4; RFC 894 MTU", pkt,
                            sas, (n, 0))
        group.add(v)
    vid = "contract/esp-size/ah-sha-256-mtu"
    bundle = [ah_elem(vid, "SHA_256")]
    sas, pkt, n = simple_case(vid, bundle, False, 1500 - 20 - 28)
    group.add(standard_vector(vid, "AH transport SHA-256: MTU-sized packet", alg_flags(bundle),
                              "RFC 4302", pkt, sas, (n, 0)))
    # Non-minimal padding: the encrypted range comes from the total length, not the padding.
    for conf, integ, extra, size in (("AES_CBC_128", "MD5", 1, 50), ("3_DES", "SHA_256", 30, 45),
                                     ("NONE", "SHA_1", 63, 39), ("AES_GCM_128", None, 10, 20)):
        vid = f"contract/esp-padding/{slug(conf)}-non-minimal-{extra}"
        bundle = [esp_elem(vid, conf, integ)]
        sas, pkt, n = simple_case(vid, bundle, False, size, esp_kwargs={"extra_pad_blocks": extra})
        flags = alg_flags(bundle) + ["send.esp.range_total_length", "send.unchanged_fields"]
        if conf == "NONE":
            flags.append("send.esp.pad_length_past_payload/neg")
        group.add(standard_vector(vid, f"ESP transport {conf}: {extra} extra padding block(s)",
                                  flags, "RFC 4303 section 2.4 (up to 255 bytes of padding)", pkt,
                                  sas, (n, 0)))
    return group


# ---- handles, info -----------------------------------------------------------------------------


def base_esp(vid: str, conf="AES_CBC_128", integ="SHA_1", tunnel=False, size=60):
    bundle = [esp_elem(vid, conf, integ)]
    return simple_case(vid, bundle, tunnel, size)


def handles_group() -> VectorGroup:
    group = VectorGroup("contract", "contract-handles-and-info",
                        "NDIS_IPSEC_PACKET_INFO: absent info, zero handles, stale, never-issued "
                        "and inbound handles, NextOffloadHandle rules.")
    src = "[S12] NDIS_IPSEC_PACKET_INFO; [S21a] handle rules; " + README

    vid = "contract/handles/no-info"
    sas, pkt, n = base_esp(vid)
    v = standard_vector(vid, "No per-packet info: the frame leaves unchanged", ["send.no_info"],
                        src, pkt, sas, (n, 0))
    v.steps = v.steps[:-1]  # the same send without NDIS_IPSEC_PACKET_INFO
    v.unchanged_send(frame_send(pkt, sas, [], {}, refused=True).frame, None)
    group.add(v)

    vid = "contract/handles/no-info-no-set"
    sas, pkt, n = base_esp(vid)
    frame = frame_send(pkt, sas, [], {}, refused=True).frame
    v = Vector(vid, "No per-packet info and no OID set at all: unchanged", ["send.no_info",
               "send.offload_not_enabled/neg"], src)
    v.unchanged_send(frame, None)
    group.add(v)

    vid = "contract/handles/zero-handle"
    sas, pkt, n = base_esp(vid)
    v = standard_vector(vid, "OffloadHandle 0: unchanged", ["send.handle.zero"], src, pkt, sas, (n, 0))
    v.steps = v.steps[:-1]
    v.unchanged_send(frame_send(pkt, sas, [], {}, refused=True).frame, (0, 0))
    group.add(v)

    vid = "contract/handles/zero-handle-garbage-frame"
    v = Vector(vid, "OffloadHandle 0 on 9 bytes that are no IPv4 packet: unchanged, not parsed",
               ["send.handle.zero", "send.frame.short/neg"], src)
    v.unchanged_send(deterministic_bytes(vid, 9), (0, 0))
    group.add(v)

    vid = "contract/handles/next-without-offload"
    sas, pkt = tot_case(vid, "esp", "esp")
    v = standard_vector(vid, "OffloadHandle 0 with NextOffloadHandle set: INVALID_PACKET",
                        ["send.handle.zero/neg"], src, pkt, sas, (0, "tun"), status=INVALID_PACKET)
    group.add(v)

    vid = "contract/handles/never-issued"
    sas, pkt, n = base_esp(vid)
    v = standard_vector(vid, "OffloadHandle never issued: FAILURE", ["send.handle.never_issued"],
                        src, pkt, sas, ("never_issued", 0), status=FAILURE)
    group.add(v)

    vid = "contract/handles/deleted"
    sas, pkt, n = base_esp(vid)
    v = standard_vector(vid, "Send after DELETE_SA: FAILURE", ["send.handle.deleted",
                        "oid.delete_sa.unknown/neg"], src, pkt, sas, (n, 0), status=FAILURE)
    v.steps.insert(len(v.steps) - 1, {"op": "delete_sa", "sa": n, "expect": SUCCESS})
    group.add(v)

    vid = "contract/handles/other-deleted"
    bundle = [esp_elem(vid, "AES_CBC_192", "SHA_256")]
    other = make_sa("other", [esp_elem(vid + "/other", "AES_CBC_192", "SHA_256")], HOST_A, HOST_B, 17)
    sas, pkt, n = simple_case(vid, bundle, False, 80)
    sas["other"] = other
    v = standard_vector(vid, "Another SA deleted before the send: this SA still works",
                        ["send.handle.deleted/neg", "send.handle.never_issued/neg"] + alg_flags(bundle),
                        src, pkt, sas, (n, 0))
    v.steps.insert(len(v.steps) - 1, {"op": "delete_sa", "sa": "other", "expect": SUCCESS})
    group.add(v)

    vid = "contract/handles/inbound"
    sas, pkt, n = base_esp(vid)
    sas[n].direction = "inbound"
    v = standard_vector(vid, "OffloadHandle of an inbound SA: FAILURE", ["send.handle.inbound"],
                        src, pkt, sas, (n, 0), status=FAILURE)
    group.add(v)

    vid = "contract/handles/outbound-twin"
    sas, pkt, n = base_esp(vid)
    twin = make_sa("in", sas[n].bundle, HOST_A, HOST_B, 17, direction="inbound")
    sas["in"] = twin
    v = standard_vector(vid, "Inbound and outbound SA with the same SPI and keys: the outbound "
                        "handle works", ["send.handle.inbound/neg"] + alg_flags(sas[n].bundle),
                        src, pkt, sas, (n, 0))
    group.add(v)

    vid = "contract/handles/next-names-transport-sa"
    sas, pkt = tot_case(vid, "esp", "esp")
    sas["t2"] = make_sa("t2", [esp_elem(vid + "/t2", "AES_CBC_128", "SHA_1")], INNER_A, INNER_B, 17)
    group.add(standard_vector(vid, "NextOffloadHandle names a transport SA: FAILURE",
                              ["send.next_handle.not_tunnel"], src, pkt, sas, ("t", "t2"),
                              status=FAILURE))

    vid = "contract/handles/handles-swapped"
    sas, pkt = tot_case(vid, "esp", "ah")
    group.add(standard_vector(vid, "OffloadHandle names the tunnel SA and NextOffloadHandle the "
                              "transport SA: FAILURE", ["send.offload_handle.not_transport"], src,
                              pkt, sas, ("tun", "t"), status=FAILURE))

    for outer in ("esp", "ah"):
        vid = f"contract/handles/next-without-tunnel-payload-{outer}"
        sas, _ = tot_case(vid, "esp", outer)
        pkt = protected_packet(tunnel_ip(), udp_payload(vid, GW_A, GW_B, 60), outer, "tun", 2, 17)
        group.add(standard_vector(vid, f"Both handles but the tunnel {outer.upper()} carries UDP, "
                                  "not IPv4: INVALID_PACKET", ["send.next_handle.no_tunnel_payload"],
                                  src, pkt, sas, ("t", "tun"), status=INVALID_PACKET))

    for outer in ("esp", "ah", "bundle"):
        vid = f"contract/handles/tunnel-only-{outer}"
        sas, pkt = tot_case(vid, "esp", outer)
        requires_drop = []
        v = standard_vector(vid, f"Transport-over-tunnel packet, only the tunnel SA given "
                            f"({outer}): the inner ESP stays as framed",
                            ["send.tunnel_only"] + alg_flags(sas["tun"].bundle), src, pkt, sas,
                            ("tun", 0), enable_drop=requires_drop)
        group.add(v)

    vid = "contract/handles/delete-never-issued"
    v = Vector(vid, "DELETE_SA of a handle never issued: FAILURE", ["oid.delete_sa.unknown"], src)
    v.set(["V4ESP.Send", "V4ESP.Transport"]).delete_sa(handle="never_issued", expect=FAILURE)
    v.requires = ["V4ESP.Send", "V4ESP.Transport"]
    group.add(v)
    vid = "contract/handles/delete-twice"
    sas, pkt, n = base_esp(vid)
    v = standard_vector(vid, "DELETE_SA twice: the second is FAILURE; then the send FAILURE",
                        ["oid.delete_sa.unknown", "oid.delete_sa.unknown/neg", "send.handle.deleted"],
                        src, pkt, sas, (n, 0), status=FAILURE)
    v.steps.insert(len(v.steps) - 1, {"op": "delete_sa", "sa": n, "expect": SUCCESS})
    v.steps.insert(len(v.steps) - 1, {"op": "delete_sa", "sa": n, "expect": FAILURE})
    group.add(v)
    return group


# ---- capabilities ------------------------------------------------------------------------------


def capabilities_group() -> VectorGroup:
    group = VectorGroup("contract", "contract-capabilities",
                        "What the OID_TCP_TASK_OFFLOAD set did not enable is NOT_SUPPORTED on "
                        "send; a second set fails and changes nothing.")
    src = "[S10][S16c] NDIS_TASK_IPSEC set semantics; " + README
    for conf in CBC_CONFS + ["NONE"] + GCMS:
        vid = f"contract/capability/conf-{slug(conf)}-not-enabled"
        integ = None if conf in GCMS else "SHA_1"
        sas, pkt, n = base_esp(vid, conf, integ)
        cap = CONF_ALGORITHMS[conf].capability
        group.add(standard_vector(vid, f"ESP {conf} reported but not enabled: NOT_SUPPORTED",
                                  ["send.capability.algorithm", "send.alg.conf/neg"], src, pkt,
                                  sas, (n, 0), status=NOT_SUPPORTED, enable_drop=[cap]))
    for integ in HMACS + GMACS:
        vid = f"contract/capability/integrity-{slug(integ)}-not-enabled"
        bundle = [ah_elem(vid, integ)]
        sas, pkt, n = simple_case(vid, bundle, False, 60)
        cap = INTEGRITY_ALGORITHMS[integ].capability
        group.add(standard_vector(vid, f"AH {integ} reported but not enabled: NOT_SUPPORTED",
                                  ["send.capability.algorithm", "send.alg.integrity/neg"], src, pkt,
                                  sas, (n, 0), status=NOT_SUPPORTED, enable_drop=[cap]))
    for proto, tunnel in (("esp", False), ("esp", True), ("ah", False), ("ah", True)):
        mode = "Tunnel" if tunnel else "Transport"
        vid = f"contract/capability/{proto}-{mode.lower()}-mode-not-enabled"
        bundle = [esp_elem(vid, "3_DES", "MD5")] if proto == "esp" else [ah_elem(vid, "MD5")]
        sas, pkt, n = simple_case(vid, bundle, tunnel, 60)
        cap = f"V4{proto.upper()}.{mode}"
        group.add(standard_vector(vid, f"{proto.upper()} {mode.lower()} mode not enabled: "
                                  "NOT_SUPPORTED", ["send.capability.mode"], src, pkt, sas,
                                  (n, 0), status=NOT_SUPPORTED, enable_drop=[cap]))
    vid = "contract/capability/ah-esp-combined-not-enabled"
    bundle = [esp_elem(vid, "AES_CBC_128", "SHA_1"), ah_elem(vid, "SHA_1")]
    sas, pkt, n = simple_case(vid, bundle, False, 60)
    group.add(standard_vector(vid, "AH+ESP bundle without AH_ESP_COMBINED: NOT_SUPPORTED",
                              ["send.capability.ah_esp_combined"], src, pkt, sas, (n, 0),
                              status=NOT_SUPPORTED, enable_drop=["Supported.AH_ESP_COMBINED"]))
    vid = "contract/capability/transport-tunnel-combined-not-enabled"
    sas, pkt = tot_case(vid, "esp", "esp")
    group.add(standard_vector(vid, "Both handles without TRANSPORT_TUNNEL_COMBINED: NOT_SUPPORTED",
                              ["send.capability.transport_tunnel_combined"], src, pkt, sas,
                              ("t", "tun"), status=NOT_SUPPORTED,
                              enable_drop=["Supported.TRANSPORT_TUNNEL_COMBINED"]))
    vid = "contract/capability/esn-not-enabled"
    bundle = [esp_elem(vid, "AES_CBC_128", "SHA_1", esn_high=1)]
    sas, pkt, n = simple_case(vid, bundle, False, 60)
    group.add(standard_vector(vid, "ESN SA, Extension.ESN not enabled: NOT_SUPPORTED on send",
                              ["send.capability.esn", "send.esn/neg"], src, pkt, sas, (n, 0),
                              status=NOT_SUPPORTED, enable_drop=["Extension.ESN"]))
    for proto in ("ah", "esp"):
        vid = f"contract/capability/{proto}-options-not-enabled"
        bundle = [ah_elem(vid, "SHA_1")] if proto == "ah" else [esp_elem(vid, "AES_CBC_128", "MD5")]
        sas, pkt, n = simple_case(vid, bundle, False, 60,
                                  ip_kwargs={"options": IMMUTABLE_OPTIONS["router-alert"][0]})
        group.add(standard_vector(vid, f"{proto.upper()} with Router Alert, V4_OPTIONS not enabled: "
                                  "NOT_SUPPORTED", ["send.options.not_enabled"], src, pkt, sas,
                                  (n, 0), status=NOT_SUPPORTED, enable_drop=["Supported.V4_OPTIONS"]))
    vid = "contract/capability/no-set"
    sas, pkt, n = base_esp(vid)
    v = standard_vector(vid, "SA added but no OID_TCP_TASK_OFFLOAD set: NOT_SUPPORTED",
                        ["send.offload_not_enabled"], src, pkt, sas, (n, 0), status=NOT_SUPPORTED)
    v.steps = [s for s in v.steps if s["op"] != "set"]
    group.add(v)
    for proto in ("esp", "ah"):
        vid = f"contract/capability/{proto}-send-not-enabled"
        bundle = [esp_elem(vid, "AES_CBC_256", "SHA_256")] if proto == "esp" else [ah_elem(vid, "SHA_256")]
        sas, pkt, n = simple_case(vid, bundle, False, 60)
        group.add(standard_vector(vid, f"{proto.upper()} Send bit not enabled: NOT_SUPPORTED",
                                  ["send.offload_not_enabled"], src, pkt, sas, (n, 0),
                                  status=NOT_SUPPORTED, enable_drop=[f"V4{proto.upper()}.Send"]))
    vid = "contract/capability/second-set"
    sas, pkt, n = base_esp(vid)
    v = standard_vector(vid, "A second set enabling AES-CBC-128 fails; the send is still "
                        "NOT_SUPPORTED", ["oid.set.second", "send.capability.algorithm"], src, pkt,
                        sas, (n, 0), status=NOT_SUPPORTED, enable_drop=["V2.ENCRYPTION_AES_CBC_128"])
    v.steps.insert(1, {"op": "set", "enable": sort_caps(v.requires), "expect": FAILURE})
    group.add(v)
    return group


# ---- fragments ---------------------------------------------------------------------------------


def fragments_group() -> VectorGroup:
    group = VectorGroup("contract", "contract-fragments",
                        "Fragments are never offloaded [S5]: MF or a fragment offset, outer or "
                        "inner, is NOT_SUPPORTED and nothing is emitted.")
    src = "[S5] no IPsec offload for packets needing fragmentation; " + README
    cases = [("esp-mf", "esp", {"flags": 0x1}, "ESP transport, MF set"),
             ("esp-offset", "esp", {"flags": 0x0, "frag_offset": 185}, "ESP transport, offset 185"),
             ("ah-mf-offset", "ah", {"flags": 0x1, "frag_offset": 1}, "AH transport, MF and offset 1"),
             ("ah-df-offset", "ah", {"flags": 0x2, "frag_offset": 8191}, "AH transport, DF and offset 8191"),
             ("bundle-mf", "bundle", {"flags": 0x3}, "Bundle, DF and MF")]
    for name, kind, kwargs, what in cases:
        vid = f"contract/fragments/{name}"
        bundle = {"esp": [esp_elem(vid, "AES_CBC_128", "SHA_1")], "ah": [ah_elem(vid, "SHA_256")],
                  "bundle": [esp_elem(vid, "3_DES", "MD5"), ah_elem(vid, "MD5")]}[kind]
        sas, pkt, n = simple_case(vid, bundle, False, 64, ip_kwargs=kwargs)
        group.add(standard_vector(vid, f"{what}: NOT_SUPPORTED", ["send.fragment",
                                  "send.ah.mutable_zeroed/neg"] if kind != "esp" else ["send.fragment"],
                                  src, pkt, sas, (n, 0), status=NOT_SUPPORTED))
    vid = "contract/fragments/tunnel-outer-mf"
    sas, pkt, n = simple_case(vid, [esp_elem(vid, "AES_GCM_128", None)], True, 64,
                              ip_kwargs={"flags": 0x1})
    group.add(standard_vector(vid, "ESP tunnel, outer MF: NOT_SUPPORTED", ["send.fragment"], src,
                              pkt, sas, (n, 0), status=NOT_SUPPORTED))
    vid = "contract/fragments/tot-inner-mf"
    sas, pkt = tot_case(vid, "ah", "esp", inner_kwargs={"flags": 0x1, "ttl": 5})
    group.add(standard_vector(vid, "Transport over tunnel, inner header MF: NOT_SUPPORTED",
                              ["send.fragment", "send.frame.inner/neg"], src, pkt, sas,
                              ("t", "tun"), status=NOT_SUPPORTED))
    return group


# ---- misframed packets -----------------------------------------------------------------------


def raw_ipv4(ip: Ipv4, protocol: int, body: bytes) -> bytes:
    return _ipv4_header(ip, protocol, len(body)) + body


def misframed_group() -> VectorGroup:
    group = VectorGroup("contract", "contract-misframed",
                        "One misframed packet per framing refusal of the status table: "
                        "INVALID_PACKET, nothing emitted.")
    src = README + " status table (framing)"

    def add(vid, title, flags, frame, sas, info, encapsulation="null", status=INVALID_PACKET,
            requires_extra=(), split=None):
        v = Vector(vid, title, flags, src, encapsulation=encapsulation)
        requires = set(requires_extra)
        for sa in sas.values():
            requires |= set(sa_capabilities(sa))
        v.requires = sorted(requires)
        v.sas = {k: sa_json(s) for k, s in sas.items()}
        v.set(requires)
        for k in sas:
            v.add_sa(k)
        v.send(SendResult(frame, None, [], {}), info, status, split)
        group.add(v)

    def esp_case(vid, conf="AES_CBC_128", integ="SHA_1"):
        e = esp_elem(vid, conf, integ)
        return e, {"t": make_sa("t", [e], HOST_A, HOST_B, 17)}

    def valid_frame(vid, sas, kind="esp", encapsulation="null", **ip_kwargs):
        pkt = protected_packet(transport_ip(**ip_kwargs), udp_payload(vid, HOST_A, HOST_B, 60),
                               kind, "t", 1)
        return frame_send(pkt, sas, [], {}, encapsulation, refused=True).frame

    vid = "contract/misframed/ethertype-ipv6"
    e, sas = esp_case(vid)
    frame = bytearray(valid_frame(vid, sas, encapsulation="ieee802.3"))
    frame[12:14] = b"\x86\xdd"
    add(vid, "IEEE 802.3 frame with EtherType 0x86dd: INVALID_PACKET", ["send.frame.ethertype",
        "send.encapsulation.ethernet/neg"], bytes(frame), sas, ("t", 0), "ieee802.3")
    vid = "contract/misframed/ethertype-arp"
    e, sas = esp_case(vid)
    frame = bytearray(valid_frame(vid, sas, encapsulation="ieee802.3"))
    frame[12:14] = b"\x08\x06"
    add(vid, "IEEE 802.3 frame with EtherType 0x0806: INVALID_PACKET", ["send.frame.ethertype",
        "send.encapsulation.ethernet/neg"], bytes(frame), sas, ("t", 0), "ieee802.3")
    vid = "contract/misframed/short-null"
    e, sas = esp_case(vid)
    add(vid, "19-byte frame (null encapsulation): INVALID_PACKET", ["send.frame.short"],
        valid_frame(vid, sas)[:19], sas, ("t", 0))
    vid = "contract/misframed/short-ethernet"
    e, sas = esp_case(vid)
    add(vid, "Ethernet frame with a 19-byte IPv4 header: INVALID_PACKET", ["send.frame.short"],
        valid_frame(vid, sas, encapsulation="ieee802.3")[:33], sas, ("t", 0), "ieee802.3")
    vid = "contract/misframed/version-6"
    e, sas = esp_case(vid)
    frame = bytearray(valid_frame(vid, sas))
    frame[0] = 0x65
    add(vid, "Version 6 in the IPv4 header: INVALID_PACKET", ["send.frame.version"], bytes(frame),
        sas, ("t", 0))
    vid = "contract/misframed/ihl-4"
    e, sas = esp_case(vid)
    frame = bytearray(valid_frame(vid, sas))
    frame[0] = 0x44
    add(vid, "IHL 4: INVALID_PACKET", ["send.frame.ihl"], bytes(frame), sas, ("t", 0))
    vid = "contract/misframed/ihl-past-frame"
    e, sas = esp_case(vid)
    frame = bytearray(valid_frame(vid, sas)[:22])
    frame[0] = 0x46
    frame[2:4] = struct.pack("!H", 22)
    add(vid, "IHL 6 (24 bytes) on a 22-byte frame: INVALID_PACKET", ["send.frame.ihl"],
        bytes(frame), sas, ("t", 0))
    vid = "contract/misframed/total-length-beyond-frame"
    e, sas = esp_case(vid)
    add(vid, "Total length 4 bytes beyond the frame: INVALID_PACKET", ["send.frame.total_length",
        "send.esp.range_total_length/neg"], valid_frame(vid, sas)[:-4], sas, ("t", 0))
    vid = "contract/misframed/total-length-below-header"
    e, sas = esp_case(vid)
    pkt = protected_packet(transport_ip(total_length_override=16),
                           udp_payload(vid, HOST_A, HOST_B, 60), "esp", "t", 1)
    add(vid, "Total length 16, below the header: INVALID_PACKET", ["send.frame.total_length"],
        frame_send(pkt, sas, [], {}, refused=True).frame, sas, ("t", 0))
    for name, opts in (("zero", bytes([7, 0, 4, 0])), ("one", bytes([68, 1, 0, 0])),
                       ("past-header", bytes([1, 7, 11, 4, 0, 0, 0, 0]))):
        vid = f"contract/misframed/option-length-{name}"
        e = ah_elem(vid, "SHA_1")
        sas = {"t": make_sa("t", [e], HOST_A, HOST_B, 17)}
        pkt = protected_packet(transport_ip(options=opts), udp_payload(vid, HOST_A, HOST_B, 40),
                               "ah", "t", 1)
        add(vid, f"AH transport, option length {name}: INVALID_PACKET",
            ["send.frame.option_malformed", "send.ah.options_mutable/neg",
             "send.ah.options_immutable/neg"], frame_send(pkt, sas, [], {}, refused=True).frame,
            sas, ("t", 0), requires_extra=["Supported.V4_OPTIONS"])
    vid = "contract/misframed/esp-sa-on-udp"
    e, sas = esp_case(vid)
    add(vid, "ESP SA on a plain UDP packet: INVALID_PACKET", ["send.frame.protocol_mismatch"],
        raw_ipv4(transport_ip(), 17, udp_payload(vid, HOST_A, HOST_B, 60)), sas, ("t", 0))
    vid = "contract/misframed/ah-sa-on-esp"
    e = ah_elem(vid, "MD5")
    sas = {"t": make_sa("t", [e], HOST_A, HOST_B, 17)}
    body = struct.pack("!II", e.spi, 1) + bytes(48)
    add(vid, "AH SA on an ESP packet: INVALID_PACKET", ["send.frame.protocol_mismatch"],
        raw_ipv4(transport_ip(), 50, body), sas, ("t", 0))
    vid = "contract/misframed/ah-truncated"
    e = ah_elem(vid, "SHA_1")
    sas = {"t": make_sa("t", [e], HOST_A, HOST_B, 17)}
    ah_part = struct.pack("!BBHII", 17, 4, 0, e.spi, 1)[:10]
    add(vid, "Packet ends 10 bytes into AH: INVALID_PACKET", ["send.ah.truncated"],
        raw_ipv4(transport_ip(), 51, ah_part), sas, ("t", 0))
    for integ, plen, what in (("SHA_256", 4, "Payload Len 4 on a 128-bit ICV SA"),
                              ("SHA_1", 5, "Payload Len 5 on a 96-bit ICV SA"),
                              ("AES_GMAC_128", 5, "GMAC AH framed without IV room (Payload Len 5)")):
        vid = f"contract/misframed/ah-length-{slug(integ)}-{plen}"
        e = ah_elem(vid, integ)
        sas = {"t": make_sa("t", [e], HOST_A, HOST_B, 17)}
        pkt = Packet(transport_ip(), udp_payload(vid, HOST_A, HOST_B, 80), 17,
                     ah=Ah("t", 1, payload_len_override=plen))
        flags = ["send.ah.length_mismatch", "send.ah.icv/neg"]
        if integ in GMACS:
            flags.append("send.ah.gmac_iv/neg")
        add(vid, f"AH {what}: INVALID_PACKET", flags,
            frame_send(pkt, sas, [], {}, refused=True).frame, sas, ("t", 0))
    vid = "contract/misframed/bundle-ah-next-header-tcp"
    bundle = [esp_elem(vid, "AES_CBC_128", "SHA_1"), ah_elem(vid, "SHA_1")]
    sas = {"t": make_sa("t", bundle, HOST_A, HOST_B, 17)}
    pkt = Packet(transport_ip(), udp_payload(vid, HOST_A, HOST_B, 80), 17,
                 ah=Ah("t", 1, next_header_override=6), esp=Esp("t", 1))
    add(vid, "Bundle whose AH next header is 6, not ESP: INVALID_PACKET",
        ["send.ah.next_header", "send.bundle.esp_then_ah/neg"],
        frame_send(pkt, sas, [], {}, refused=True).frame, sas, ("t", 0))
    vid = "contract/misframed/esp-truncated-in-iv"
    e, sas = esp_case(vid)
    add(vid, "Packet ends inside the ESP IV: INVALID_PACKET", ["send.esp.truncated"],
        raw_ipv4(transport_ip(), 50, struct.pack("!II", e.spi, 1) + bytes(10)), sas, ("t", 0))
    vid = "contract/misframed/esp-truncated-in-header"
    e, sas = esp_case(vid, "NONE", "MD5")
    add(vid, "Packet ends inside the ESP header: INVALID_PACKET", ["send.esp.truncated"],
        raw_ipv4(transport_ip(), 50, struct.pack("!I", e.spi) + b"\0\0"), sas, ("t", 0))
    vid = "contract/misframed/esp-no-room-for-icv"
    e, sas = esp_case(vid, "NONE", "SHA_256")
    add(vid, "Null ESP with 12 bytes after the header, ICV 16: INVALID_PACKET",
        ["send.esp.no_room_for_icv", "send.esp.icv/neg"],
        raw_ipv4(transport_ip(), 50, struct.pack("!II", e.spi, 1) + bytes(10) + b"\x00\x11"),
        sas, ("t", 0))
    for conf, integ, length, what in (("AES_CBC_128", "SHA_1", 24, "24 bytes of AES-CBC ciphertext"),
                                      ("3_DES", "MD5", 12, "12 bytes of 3DES ciphertext"),
                                      ("AES_GCM_128", None, 6, "GCM IV + ciphertext not 4-byte aligned"),
                                      ("NONE", "SHA_1", 7, "null ESP payload not 4-byte aligned")):
        vid = f"contract/misframed/esp-not-aligned-{slug(conf)}"
        e, sas = esp_case(vid, conf, integ)
        plain = deterministic_bytes(vid, length - 2) + bytes([0, 17])  # pad length 0, UDP
        body = struct.pack("!II", e.spi, 1) + bytes(e.esp_iv_bytes()) + plain + bytes(e.esp_icv_bytes())
        add(vid, f"ESP {what}: INVALID_PACKET", ["send.esp.not_aligned", "send.esp.encrypt/neg"],
            raw_ipv4(transport_ip(), 50, body), sas, ("t", 0))
    vid = "contract/misframed/esp-pad-length-past-payload"
    e, sas = esp_case(vid)
    pkt = Packet(transport_ip(), udp_payload(vid, HOST_A, HOST_B, 28), 17,
                 esp=Esp("t", 1, pad_length_override=200))
    add(vid, "ESP AES-CBC, 32-byte ciphertext with pad length 200: INVALID_PACKET",
        ["send.esp.pad_length_past_payload", "send.unchanged_fields/neg"],
        frame_send(pkt, sas, [], {}, refused=True).frame, sas, ("t", 0))
    vid = "contract/misframed/inner-overrun"
    sas, pkt = tot_case(vid, "esp", "esp")
    pkt.payload.ip.total_length_override = 200
    add(vid, "Transport over tunnel, inner total length past the tunnel payload: INVALID_PACKET",
        ["send.inner.overrun", "send.tot.transport_first/neg"],
        frame_send(pkt, sas, [], {}, refused=True).frame, sas, ("t", "tun"),
        requires_extra=["Supported.TRANSPORT_TUNNEL_COMBINED"])
    vid = "contract/misframed/split-truncated"
    e, sas = esp_case(vid)
    frame = valid_frame(vid, sas)[:-4]
    add(vid, "Truncated frame split into 1-byte buffers: still INVALID_PACKET",
        ["send.frame.total_length", "send.buffer_split/neg"], frame, sas, ("t", 0),
        split=list(range(1, len(frame))))
    return group


# ---- buffer splits ---------------------------------------------------------------------------


def splits_group() -> VectorGroup:
    group = VectorGroup("contract", "contract-buffer-splits",
                        "The packet as a chain of NDIS_BUFFERs cut inside every header, and as "
                        "1-byte buffers.")
    src = "NDIS_PACKET buffer chains (MiniportSend); " + README
    E = 14
    vid = "contract/splits/esp-transport-ethernet-every-header"
    bundle = [esp_elem(vid, "AES_CBC_128", "SHA_1")]
    sas, pkt, n = simple_case(vid, bundle, False, 100,
                              ip_kwargs={"options": IMMUTABLE_OPTIONS["router-alert"][0]})
    ihl = 24
    total = E + ihl + 8 + 16 + 112 + 12
    cuts = [7, E + 10, E + 22, E + ihl + 3, E + ihl + 8 + 5, E + ihl + 24 + 50, total - 5]
    group.add(standard_vector(vid, "ESP transport, Ethernet: cuts in the MAC header, IPv4 header, "
                              "option, ESP header, IV, ciphertext and ICV",
                              alg_flags(bundle) + ["send.buffer_split", "send.encapsulation.ethernet"],
                              src, pkt, sas, (n, 0), encapsulation="ieee802.3", split=cuts))
    vid = "contract/splits/ah-transport"
    bundle = [ah_elem(vid, "AES_GMAC_256")]
    sas, pkt, n = simple_case(vid, bundle, False, 40)
    group.add(standard_vector(vid, "AH GMAC transport: cuts in the AH header, its IV and ICV",
                              alg_flags(bundle) + ["send.buffer_split"], src, pkt, sas, (n, 0),
                              split=[2, 21, 26, 33, 40, 50]))
    vid = "contract/splits/esp-tunnel-inner-header"
    bundle = [esp_elem(vid, "3_DES", "MD5")]
    sas, pkt, n = simple_case(vid, bundle, True, 30)
    group.add(standard_vector(vid, "ESP tunnel: cuts inside the inner IPv4 header and the ICV",
                              alg_flags(bundle) + ["send.buffer_split"], src, pkt, sas, (n, 0),
                              split=[20, 28, 36, 40, 45, 55, 90]))
    vid = "contract/splits/tot-inner-header"
    sas, pkt = tot_case(vid, "bundle", "esp", payload=24)
    group.add(standard_vector(vid, "Transport over tunnel: cuts inside the inner header, inner AH "
                              "and inner ESP", alg_flags(sas["t"].bundle) + ["send.buffer_split",
                              "send.tot.transport_first"], src, pkt, sas, ("t", "tun"),
                              split=[10, 44, 50, 60, 70, 80, 99]))
    for name, bundle_fn, size in (
            ("esp-null", lambda v: [esp_elem(v, "NONE", "SHA_1")], 12),
            ("esp-aes-cbc", lambda v: [esp_elem(v, "AES_CBC_256", "MD5")], 12),
            ("ah-options", lambda v: [ah_elem(v, "MD5")], 10),
            ("bundle-gcm", lambda v: [esp_elem(v, "AES_GCM_128", None), ah_elem(v, "SHA_1")], 9)):
        vid = f"contract/splits/one-byte-buffers-{name}"
        bundle = bundle_fn(vid)
        kw = {"options": MUTABLE_OPTIONS["stream-id"][0]} if name == "ah-options" else {}
        sas, pkt, n = simple_case(vid, bundle, False, size, ip_kwargs=kw)
        framed = frame_send(pkt, sas, [], {}, refused=True).frame
        group.add(standard_vector(vid, f"{describe(bundle)} in 1-byte buffers",
                                  alg_flags(bundle) + ["send.buffer_split"], src, pkt, sas,
                                  (n, 0), split=list(range(1, len(framed)))))
    vid = "contract/splits/ethernet-one-byte-header"
    bundle = [esp_elem(vid, "AES_GCM_256", None)]
    sas, pkt, n = simple_case(vid, bundle, False, 20)
    group.add(standard_vector(vid, "Ethernet frame, first 40 bytes as 1-byte buffers",
                              alg_flags(bundle) + ["send.buffer_split", "send.encapsulation.ethernet"],
                              src, pkt, sas, (n, 0), encapsulation="ieee802.3",
                              split=list(range(1, 41))))
    return group


# ---- OIDs ----------------------------------------------------------------------------------------


def oid_group() -> VectorGroup:
    group = VectorGroup("contract", "contract-add-sa",
                        "OID_TCP_TASK_IPSEC_ADD_SA refusals, key orders, the SA table limit.")
    src = "[S7][S14] OID_TCP_TASK_IPSEC_ADD_SA; " + README + " OID table"

    def add_only(vid, title, flags, sa: Sa, status, drop=(), extra=(), **sa_kwargs):
        v = Vector(vid, title, flags, src)
        requires = (set(sa_capabilities(sa)) | set(extra)) - set(drop)
        v.requires = sorted(requires)
        v.sas = {sa.name: sa_json(sa, **sa_kwargs)}
        v.set(requires).add_sa(sa.name, status)
        group.add(v)
        return v

    vid = "contract/add-sa/bundle-ah-then-esp"
    sa = make_sa("t", [ah_elem(vid, "SHA_1"), esp_elem(vid, "AES_CBC_128", "SHA_1")], HOST_A, HOST_B, 17)
    add_only(vid, "Bundle AH then ESP: NOT_SUPPORTED", ["oid.add_sa.bundle_order"], sa, NOT_SUPPORTED)
    vid = "contract/add-sa/bundle-esp-then-esp"
    sa = make_sa("t", [esp_elem(vid, "AES_CBC_128", "SHA_1"), esp_elem(vid + "/2", "3_DES", "MD5")],
                 HOST_A, HOST_B, 17)
    add_only(vid, "Bundle ESP then ESP: NOT_SUPPORTED", ["oid.add_sa.bundle_order"], sa, NOT_SUPPORTED)
    vid = "contract/add-sa/ah-with-conf"
    sa = make_sa("t", [ah_elem(vid, "SHA_1")], HOST_A, HOST_B, 17)
    add_only(vid, "AH element with a 3DES ConfAlgo: INVALID_DATA", ["oid.add_sa.ah_conf"], sa,
             INVALID_DATA, extra=["V4ESP.TRIPLE_DES"],
             conf_override={0: {"algorithm": "3_DES", "key": key_for(vid, 24).hex()}})
    vid = "contract/add-sa/ah-without-integrity"
    e = ah_elem(vid, "SHA_1")
    e.integrity, e.integrity_key = None, b""
    sa = make_sa("t", [e], HOST_A, HOST_B, 17)
    add_only(vid, "AH element without integrity: INVALID_DATA", ["oid.add_sa.ah_without_integrity"],
             sa, INVALID_DATA)
    vid = "contract/add-sa/esp-nothing-to-do"
    sa = make_sa("t", [esp_elem(vid, "NONE", None)], HOST_A, HOST_B, 17)
    add_only(vid, "ESP with conf NONE and no integrity (ENCRYPTION_ONLY_ESP enabled): INVALID_DATA",
             ["oid.add_sa.nothing_to_do"], sa, INVALID_DATA, extra=["Extension.ENCRYPTION_ONLY_ESP"])
    for integ in ("SHA_1", "AES_GMAC_256"):
        vid = f"contract/add-sa/gcm-128-with-{slug(integ)}"
        e = esp_elem(vid, "AES_GCM_128", None)
        e.integrity = integ
        e.integrity_key = key_for(vid, INTEGRITY_ALGORITHMS[integ].key_bytes)
        sa = make_sa("t", [e], HOST_A, HOST_B, 17)
        add_only(vid, f"AES-GCM-128 with integrity {integ}: INVALID_DATA",
                 ["oid.add_sa.gcm_integrity", "send.esp.gcm/neg"], sa, INVALID_DATA)
    for conf, integ, which, stated in (("AES_CBC_128", "SHA_1", "conf", 8),
                                       ("3_DES", "MD5", "integrity", 20),
                                       ("NONE", "AES_GMAC_128", "integrity", 16),
                                       ("AES_GCM_256", None, "conf", 32)):
        vid = f"contract/add-sa/key-length-{slug(conf)}-{which}-{stated}"
        sa = make_sa("t", [esp_elem(vid, conf, integ)], HOST_A, HOST_B, 17)
        add_only(vid, f"{conf}/{integ}: {which} algoKeylen {stated}: INVALID_DATA",
                 ["oid.add_sa.key_length"] + (["send.esp.gmac/neg"] if integ in GMACS else []),
                 sa, INVALID_DATA, key_lengths={(0, which): stated})
    vid = "contract/add-sa/key-length-short-key"
    e = esp_elem(vid, "AES_CBC_256", "SHA_256")
    e.conf_key = e.conf_key[:31]
    sa = make_sa("t", [e], HOST_A, HOST_B, 17)
    add_only(vid, "AES-CBC-256 with a 31-byte key: INVALID_DATA", ["oid.add_sa.key_length"], sa,
             INVALID_DATA)
    for flags_raw in (0, 3, 4):
        vid = f"contract/add-sa/flags-{flags_raw}"
        sa = make_sa("t", [esp_elem(vid, "AES_CBC_128", "SHA_1")], HOST_A, HOST_B, 17)
        add_only(vid, f"Flags {flags_raw}: INVALID_DATA", ["oid.add_sa.flags"], sa, INVALID_DATA,
                 flags_raw=flags_raw)
    for num in (0, 3):
        vid = f"contract/add-sa/num-sas-{num}"
        sa = make_sa("t", [esp_elem(vid, "AES_CBC_128", "SHA_1")], HOST_A, HOST_B, 17)
        add_only(vid, f"NumSAs {num}: INVALID_DATA", ["oid.add_sa.num_sas"], sa, INVALID_DATA,
                 raw={"num_sas": num, "operation": [2]})
    for op in (0, 3):
        vid = f"contract/add-sa/operation-{op}"
        sa = make_sa("t", [esp_elem(vid, "AES_CBC_128", "SHA_1")], HOST_A, HOST_B, 17)
        add_only(vid, f"Operation {op}: INVALID_DATA", ["oid.add_sa.operation"], sa, INVALID_DATA,
                 raw={"num_sas": 1, "operation": [op]})
    vid = "contract/add-sa/encryption-only-not-permitted"
    sa = make_sa("t", [esp_elem(vid, "AES_CBC_128", None)], HOST_A, HOST_B, 17)
    add_only(vid, "ESP AES-CBC without integrity, ENCRYPTION_ONLY_ESP not enabled: NOT_SUPPORTED",
             ["oid.add_sa.encryption_only"], sa, NOT_SUPPORTED, drop=["Extension.ENCRYPTION_ONLY_ESP"])
    vid = "contract/add-sa/encryption-only-des-not-permitted"
    sa = make_sa("t", [esp_elem(vid, "DES", None)], HOST_A, HOST_B, 17)
    add_only(vid, "ESP DES without integrity, ENCRYPTION_ONLY_ESP not enabled: NOT_SUPPORTED",
             ["oid.add_sa.encryption_only"], sa, NOT_SUPPORTED, drop=["Extension.ENCRYPTION_ONLY_ESP"])

    # Positive counterparts, each followed by a send that proves the SA works.
    def add_and_send(vid, title, flags, bundle, sa_kwargs=None, key_order="conf_first", tunnel=False):
        sas, pkt, n = simple_case(vid, bundle, tunnel, 70)
        sas[n].key_order = key_order
        v = standard_vector(vid, title, flags + alg_flags(bundle), src, pkt, sas, (n, 0),
                            sa_overrides={n: sa_kwargs or {}})
        group.add(v)
    add_and_send("contract/add-sa/encryption-only-permitted",
                 "ESP AES-CBC-128 without integrity, ENCRYPTION_ONLY_ESP enabled: processed",
                 ["oid.add_sa.encryption_only/neg"], [esp_elem("eo", "AES_CBC_128", None)])
    add_and_send("contract/add-sa/flags-raw-outbound", "Flags 2 written raw: processed",
                 ["oid.add_sa.flags/neg"], [esp_elem("fr", "AES_CBC_128", "SHA_1")],
                 {"flags_raw": 2})
    add_and_send("contract/add-sa/num-sas-raw-2", "NumSAs 2 written raw for a bundle: processed",
                 ["oid.add_sa.num_sas/neg", "oid.add_sa.operation/neg"],
                 [esp_elem("ns", "3_DES", "SHA_1"), ah_elem("ns", "MD5")],
                 {"raw": {"num_sas": 2, "operation": [2, 1]}})
    e = esp_elem("kl", "AES_CBC_192", "SHA_1")
    add_and_send("contract/add-sa/key-length-stated", "algoKeylen stated explicitly and right: "
                 "processed", ["oid.add_sa.key_length/neg"], [e],
                 {"key_lengths": {(0, "conf"): 24, (0, "integrity"): 20}})
    add_and_send("contract/add-sa/ah-without-conf", "AH with an all-zero ConfAlgo: processed",
                 ["oid.add_sa.ah_conf/neg", "oid.add_sa.ah_without_integrity/neg"],
                 [ah_elem("ac", "SHA_1")])
    for name, bundle in (("esp-aes-cbc-sha1", [esp_elem("ko1", "AES_CBC_128", "SHA_1")]),
                         ("bundle-3des-md5-ah-sha256", [esp_elem("ko2", "3_DES", "MD5"),
                                                        ah_elem("ko2", "SHA_256")])):
        for order in ("integrity_first", "conf_first"):
            add_and_send(f"contract/add-sa/key-order-{order.replace('_', '-')}-{name}",
                         f"KeyMat {order}: {describe(bundle)} (same keys in both orders)",
                         ["oid.add_sa.key_order" if order == "integrity_first"
                          else "oid.add_sa.key_order/neg"], bundle, key_order=order)

    vid = "contract/add-sa/table-full"
    sas, pkt, n = base_esp(vid)
    sas["t2"] = make_sa("t2", [esp_elem(vid + "/t2", "AES_CBC_128", "SHA_1")], HOST_A, HOST_B, 17)
    pkt2 = protected_packet(transport_ip(), udp_payload(vid, HOST_A, HOST_B, 60), "esp", "t2", 1)
    result = frame_send(pkt2, sas, ["t2"], ivs_for(sas, ["t2"], vid))
    v = Vector(vid, "Fill the SA table: RESOURCES; delete one SA, the add succeeds and the new "
               "SA works", ["oid.add_sa.table_full", "oid.add_sa.table_full/neg"] +
               alg_flags(sas["t2"].bundle), src)
    v.requires = sa_capabilities(sas[n])
    v.sas = {k: sa_json(s) for k, s in sas.items()}
    v.set(v.requires).fill_sa_table(n, 65536).add_sa("t2", RESOURCES).delete_sa(n)
    v.add_sa("t2").send(result, ("t2", 0))
    group.add(v)
    return group


# ---- Ethernet, ESN ------------------------------------------------------------------------------


def ethernet_group() -> VectorGroup:
    group = VectorGroup("contract", "contract-ethernet",
                        "IEEE 802.3 (Ethernet II) encapsulation: the same processing 14 bytes in.")
    src = "NDIS_ENCAPSULATION_FORMAT IEEE_802_3_Encapsulation; " + README
    cases = [("esp-transport", [esp_elem("e1", "AES_CBC_128", "SHA_1")], False),
             ("esp-tunnel-gcm", [esp_elem("e2", "AES_GCM_256", None)], True),
             ("ah-transport", [ah_elem("e3", "SHA_256")], False),
             ("ah-tunnel-gmac", [ah_elem("e4", "AES_GMAC_192")], True),
             ("bundle-transport", [esp_elem("e5", "DES", "MD5"), ah_elem("e5", "MD5")], False),
             ("esp-null-tunnel", [esp_elem("e6", "NONE", "SHA_1")], True)]
    for name, bundle, tunnel in cases:
        vid = f"contract/ethernet/{name}"
        sas, pkt, n = simple_case(vid, bundle, tunnel, 90)
        group.add(standard_vector(vid, f"Ethernet: {describe(bundle)} {'tunnel' if tunnel else 'transport'}",
                                  alg_flags(bundle) + ["send.encapsulation.ethernet",
                                                       "send.frame.ethertype/neg"], src, pkt, sas,
                                  (n, 0), encapsulation="ieee802.3"))
    vid = "contract/ethernet/transport-over-tunnel"
    sas, pkt = tot_case(vid, "esp", "bundle")
    group.add(standard_vector(vid, "Ethernet: transport over tunnel", ["send.encapsulation.ethernet",
                              "send.tot.transport_first"], src, pkt, sas, ("t", "tun"),
                              encapsulation="ieee802.3"))
    return group


def esn_group() -> VectorGroup:
    group = VectorGroup("contract", "contract-esn",
                        "Extended sequence numbers (sendpath extension): the high 32 bits enter the "
                        "ICV, only the low 32 bits are on the wire.")
    src = "RFC 4303 section 2.2.1; RFC 4302 section 2.5.1; RFC 4106 section 5; RFC 4543 section 3.3"
    cases = [("esp-sha1", lambda v: [esp_elem(v, "AES_CBC_128", "SHA_1", 0x00000001)], False),
             ("esp-sha256-tunnel", lambda v: [esp_elem(v, "3_DES", "SHA_256", 0xDEADBEEF)], True),
             ("esp-gcm-256", lambda v: [esp_elem(v, "AES_GCM_256", None, 0x7FFFFFFF)], False),
             ("esp-gmac-192", lambda v: [esp_elem(v, "NONE", "AES_GMAC_192", 0x00010000)], False),
             ("ah-md5", lambda v: [ah_elem(v, "MD5", 0x00000002)], False),
             ("ah-gmac-128-tunnel", lambda v: [ah_elem(v, "AES_GMAC_128", 0xFFFFFFFF)], True),
             ("bundle-sha1", lambda v: [esp_elem(v, "AES_CBC_256", "SHA_1", 5), ah_elem(v, "SHA_1", 5)],
              False)]
    for name, fn, tunnel in cases:
        vid = f"contract/esn/{name}"
        bundle = fn(vid)
        sas, pkt, n = simple_case(vid, bundle, tunnel, 66, seq=0xFFFFFFF0)
        group.add(standard_vector(vid, f"ESN {describe(bundle)} {'tunnel' if tunnel else 'transport'}, "
                                  f"high bits 0x{bundle[0].esn_high:08x}",
                                  alg_flags(bundle) + ["send.capability.esn/neg"], src, pkt, sas,
                                  (n, 0)))
    return group


# ---- IV freshness: several sends under one SA ----------------------------------------------------

IV_REUSE_NOTES = {
    "contract.iv_reuse.aead": (
        "AES-GCM and AES-GMAC: the nonce is salt || IV under the SA's key, and for a given key the "
        "IV MUST NOT repeat (RFC 4106 section 3.1, RFC 4543 section 3.1). Two packets under one "
        "nonce give away the GHASH key, with which anyone can forge ICVs for that SA, and with "
        "AES-GCM also the XOR of their plaintexts. Bug class: a NIC whose IV register is reset and never advanced, or that "
        "drops the transport's IV source and writes a constant; with several sends under one SA "
        "it repeats the IV and fails ('IV ... repeated under SA')."),
    "contract.iv_reuse.cbc": (
        "CBC (DES, 3DES, AES-CBC): the IV MUST be chosen at random and be unpredictable (RFC 3602 "
        "section 3). A repeated IV shows which packets begin with the same plaintext blocks, and "
        "an IV an attacker can predict lets him test guesses of the plaintext with a chosen "
        "packet. Bug class: a constant, reset or counting IV register; with several sends under "
        "one SA the repeat is seen within the vector, and the harness's run-wide check names a "
        "constant or counting IV."),
}


def multi_send_vector(vid: str, title: str, flags: Sequence[str], source: str, sas: Dict[str, Sa],
                      sends: Sequence[tuple]) -> Vector:
    """set(everything required) -> add every SA -> the sends, in order.

    sends: (packet, info, ivs) with ivs None for seeded IVs of this send's own (label
    "<vid>/send-<n>"), or an explicit {sa name: [IV, ...]}. Seeded IVs must not repeat under an
    SA within the vector: a vector of this kind exists to tell fresh IVs from repeated ones."""
    vector = Vector(vid, title, flags, source)
    requires = set()
    for sa in sas.values():
        requires |= set(sa_capabilities(sa))
    for pkt, info, _ in sends:
        requires |= set(packet_capabilities(pkt))
        if all(isinstance(h, str) and h in sas for h in info):
            requires.add("Supported.TRANSPORT_TUNNEL_COMBINED")
    vector.requires = sorted(requires)
    vector.sas = {name: sa_json(sa) for name, sa in sas.items()}
    vector.set(requires)
    for name in sas:
        vector.add_sa(name)
    drawn: Dict[str, List[bytes]] = {}
    for n, (pkt, info, ivs) in enumerate(sends):
        processed = [h for h in info if isinstance(h, str) and h in sas]
        if ivs is None:
            ivs = ivs_for(sas, processed, f"{vid}/send-{n}")
            for name, values in ivs.items():
                for iv in values:
                    if iv in drawn.get(name, []):
                        raise ValueError(f"{vid}: send {n} repeats an IV of SA {name}")
                    drawn.setdefault(name, []).append(iv)
        vector.send(frame_send(pkt, sas, processed, ivs), info)
    return vector


def iv_freshness_group() -> VectorGroup:
    group = VectorGroup("contract", "contract-iv-freshness",
                        "Several sends under one SA, each with an IV of its own: a NIC that "
                        "repeats an IV under one key (AES-GCM/GMAC nonce reuse, constant CBC IVs) "
                        "is caught here; every other vector sends at most once per SA.")
    group.extra_notes.update(IV_REUSE_NOTES)
    src = "[S5] the NIC generates the IV; "

    # (name, bundle maker, tunnel, payload sizes, first sequence number, source)
    single = [
        ("esp-transport-aes-gcm-128", lambda v: [esp_elem(v, "AES_GCM_128", None)], False,
         [20, 111, 64, 250], 1, "RFC 4106 sections 3.1 and 5"),
        ("esp-tunnel-aes-gcm-256", lambda v: [esp_elem(v, "AES_GCM_256", None)], True,
         [40, 301, 72], 0x100, "RFC 4106 sections 3.1 and 5"),
        ("esp-transport-null-aes-gmac-128", lambda v: [esp_elem(v, "NONE", "AES_GMAC_128")], False,
         [28, 93, 180, 12], 7, "RFC 4543 sections 3.1 and 3.3"),
        ("ah-transport-aes-gmac-256", lambda v: [ah_elem(v, "AES_GMAC_256")], False,
         [48, 9, 133], 0x7FFFFFFE, "RFC 4543 sections 3.1 and 5"),
        ("esp-transport-aes-cbc-128-sha-1", lambda v: [esp_elem(v, "AES_CBC_128", "SHA_1")], False,
         [30, 122, 66, 201], 1, "RFC 3602 section 3; RFC 2404"),
        ("esp-transport-3des-md5", lambda v: [esp_elem(v, "3_DES", "MD5")], False,
         [17, 88, 250], 0x20, "RFC 2451 section 3; RFC 3602 section 3 (the same IV rule); RFC 2403"),
        # One SA with three sends or more for every cipher family and key size not above, so a
        # repeated or predictable IV is decidable for each.
        ("esp-transport-des-sha-1", lambda v: [esp_elem(v, "DES", "SHA_1")], False,
         [21, 96, 180], 0x40, "RFC 2405 section 5; RFC 3602 section 3 (the same IV rule); RFC 2404"),
        ("esp-transport-aes-cbc-192-sha-256", lambda v: [esp_elem(v, "AES_CBC_192", "SHA_256")], False,
         [33, 150, 71], 3, "RFC 3602 section 3; RFC 4868"),
        ("esp-transport-aes-gcm-192", lambda v: [esp_elem(v, "AES_GCM_192", None)], False,
         [25, 140, 61], 0x30, "RFC 4106 sections 3.1 and 5"),
        ("esp-transport-null-aes-gmac-192", lambda v: [esp_elem(v, "NONE", "AES_GMAC_192")], False,
         [19, 102, 57], 0x50, "RFC 4543 sections 3.1 and 3.3"),
    ]
    for name, make, tunnel, sizes, first_seq, source in single:
        vid = f"contract/iv-freshness/{name}"
        bundle = make(vid)
        sa_name = "tun" if tunnel else "t"
        kind = "esp" if bundle[0].is_esp else "ah"
        if tunnel:
            sa = make_sa(sa_name, bundle, INNER_A, INNER_B, 17, (GW_A, GW_B))
        else:
            sa = make_sa(sa_name, bundle, HOST_A, HOST_B, 17)
        sends = []
        for n, size in enumerate(sizes):
            label = f"{vid}/send-{n}"
            if tunnel:
                inner = Packet(inner_ip(ident=0x300 + n), udp_payload(label, INNER_A, INNER_B, size), 17)
                pkt = protected_packet(tunnel_ip(ident=0x400 + n), inner, kind, sa_name,
                                       first_seq + n, 4)
            else:
                pkt = protected_packet(transport_ip(ident=0x500 + n),
                                       udp_payload(label, HOST_A, HOST_B, size), kind, sa_name,
                                       first_seq + n)
            sends.append((pkt, (sa_name, 0), None))
        aead = bundle[0].is_gcm() or bundle[0].integrity in GMACS
        flags = (["send.iv.fresh", "contract.iv_reuse.aead" if aead else "contract.iv_reuse.cbc"]
                 + alg_flags(bundle))
        group.add(multi_send_vector(
            vid, f"{describe(bundle)} {'tunnel' if tunnel else 'transport'}: {len(sizes)} sends "
            "under one SA, each with an IV of its own", flags, src + source, {sa_name: sa}, sends))

    # Transport over tunnel: the inner IVs are hidden by the tunnel's encryption on the wire but
    # must be fresh all the same.
    vid = "contract/iv-freshness/tot-aes-gcm-128-in-aes-cbc-256-sha-1"
    inner_bundle = [esp_elem(vid + "/t", "AES_GCM_128", None)]
    outer_bundle = [esp_elem(vid + "/tun", "AES_CBC_256", "SHA_1")]
    sas = {"t": make_sa("t", inner_bundle, INNER_A, INNER_B, 17),
           "tun": make_sa("tun", outer_bundle, INNER_A, INNER_B, 0, (GW_A, GW_B))}
    sends = []
    for n, size in enumerate([36, 170, 90]):
        label = f"{vid}/send-{n}"
        inner = protected_packet(inner_ip(ident=0x600 + n), udp_payload(label, INNER_A, INNER_B, size),
                                 "esp", "t", 11 + n)
        sends.append((protected_packet(tunnel_ip(ident=0x700 + n), inner, "esp", "tun", 500 + n, 4),
                      ("t", "tun"), None))
    group.add(multi_send_vector(
        vid, "Transport ESP AES-GCM-128 inside tunnel ESP AES-CBC-256/HMAC-SHA1: 3 sends, fresh "
        "IVs for both SAs (the inner ones are encrypted by the tunnel)",
        ["send.iv.fresh", "contract.iv_reuse.aead", "contract.iv_reuse.cbc",
         "send.tot.transport_first"] + alg_flags(inner_bundle) + alg_flags(outer_bundle),
        src + "[S1][S12]; RFC 4106 section 3.1; RFC 3602 section 3", sas, sends))

    # The near miss: the same IV value under two AES-GCM SAs with keys of their own is no nonce
    # reuse (the rule is per key). Not for CBC: an IV seen under one SA and then used under
    # another is one an observer could predict (RFC 3602 section 3).
    for conf, integ in (("AES_GCM_128", None), ("NONE", "AES_GMAC_256")):
        vid = f"contract/iv-freshness/same-iv-two-sas-{slug(conf)}-{slug(integ) if integ else 'none'}"
        dst_b = "198.51.100.9"
        sas = {"a": make_sa("a", [esp_elem(vid + "/a", conf, integ)], HOST_A, HOST_B, 17),
               "b": make_sa("b", [esp_elem(vid + "/b", conf, integ)], HOST_A, dst_b, 17)}
        iv_length = sas["a"].bundle[0].esp_iv_bytes()
        sends = []
        for n, size in enumerate([44, 130]):
            iv = deterministic_bytes(f"iv/{vid}/{n}", iv_length)
            for k, (name, dst) in enumerate((("a", HOST_B), ("b", dst_b))):
                pkt = protected_packet(transport_ip(dst=dst, ident=0x800 + 2 * n + k),
                                       udp_payload(f"{vid}/{name}/{n}", HOST_A, dst, size + 16 * k),
                                       "esp", name, 1 + n)
                sends.append((pkt, (name, 0), {name: [iv]}))
        bundle = sas["a"].bundle
        group.add(multi_send_vector(
            vid, f"Two {describe(bundle)} SAs with keys of their own, sends interleaved: each IV "
            "value is drawn once under each SA", ["send.iv.fresh/neg"] + alg_flags(bundle),
            src + ("RFC 4106 section 3.1" if conf in GCMS else "RFC 4543 section 3.1") +
            " (the IV must not repeat for a given key)", sas, sends))
    return group


def build() -> List[VectorGroup]:
    return (esp_algorithms() + [ah_algorithms(), bundles(), transport_over_tunnel(),
                                options_group(), mutable_fields(), padding_group(),
                                handles_group(), capabilities_group(), fragments_group(),
                                misframed_group(), splits_group(), oid_group(), ethernet_group(),
                                esn_group(), iv_freshness_group()])
