"""vectors/independent/: the 62 cases of testdata/samples/independent-cases.json.

Their frames were computed outside this project (two implementations, see each case's
`checked_with`); they are converted, not recomputed: SAs become bundles with the contract's
algorithm names, tunnel SAs get the outer header's addresses, IVs and handles are carried over.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ipsec_frames import Sa, SecAssoc
from vectorfile import SendResult, Vector, VectorGroup, sa_capabilities, sa_json

CIPHERS = {"null": "NONE", "des-cbc": "DES", "3des-cbc": "3_DES", "aes-128-cbc": "AES_CBC_128",
           "aes-192-cbc": "AES_CBC_192", "aes-256-cbc": "AES_CBC_256",
           "aes-128-gcm": "AES_GCM_128", "aes-192-gcm": "AES_GCM_192",
           "aes-256-gcm": "AES_GCM_256"}
INTEGRITY = {"none": None, "hmac-md5-96": "MD5", "hmac-sha1-96": "SHA_1",
             "hmac-sha256-128": "SHA_256", "aes-gmac-128": "AES_GMAC_128",
             "aes-gmac-192": "AES_GMAC_192", "aes-gmac-256": "AES_GMAC_256"}

GROUPS = OrderedDict([
    ("esp_transport", "ESP transport mode"),
    ("esp_transport_padding", "ESP transport mode with non-minimal padding"),
    ("esp_tunnel", "ESP tunnel mode"),
    ("ah_transport", "AH transport mode"),
    ("ah_tunnel", "AH tunnel mode"),
    ("ah_ipv4_options", "AH transport mode with IPv4 options"),
    ("ah_fragment_fields", "AH on a fragment (refused)"),
    ("bundle_transport", "AH+ESP bundles, transport mode"),
    ("bundle_tunnel", "AH+ESP bundles, tunnel mode"),
    ("nested", "transport over tunnel"),
])


def dotted(b: bytes) -> str:
    return ".".join(str(x) for x in b)


def _element(entry: dict) -> SecAssoc:
    salt = bytes.fromhex(entry["salt"]) if entry.get("salt") else b""
    if entry["proto"] == "ah":
        integ = INTEGRITY[entry["integrity"]]
        key = bytes.fromhex(entry["integrity_key"]) + (salt if integ and "GMAC" in integ else b"")
        return SecAssoc("AUTHENTICATE", entry["spi"], None, b"", integ, key)
    conf = CIPHERS[entry["cipher"]]
    conf_key = bytes.fromhex(entry["cipher_key"] or "") + (salt if "GCM" in conf else b"")
    integ = INTEGRITY[entry["integrity"]]
    integ_key = bytes.fromhex(entry["integrity_key"] or "") if integ else b""
    if integ and "GMAC" in integ:
        integ_key += salt
    return SecAssoc("ENCRYPT", entry["spi"], conf, conf_key, integ, integ_key)


class Walk:
    """Where headers and IVs sit in a framed (plaintext) packet."""

    def __init__(self, frame: bytes, sas: Dict[str, Sa]):
        self.frame = frame
        self.by_spi = {(e.operation, e.spi): e for sa in sas.values() for e in sa.bundle}
        self.headers: List[Tuple[int, bytes]] = []  # (offset, IPv4 header)
        self.ivs: List[Tuple[int, int, bool]] = []  # (offset, length, visible in the output)
        self.protocols: List[str] = []
        self._walk(0, True)

    def _walk(self, off: int, visible: bool) -> None:
        f = self.frame
        ihl = (f[off] & 0xF) * 4
        self.headers.append((off, f[off: off + ihl]))
        proto = f[off + 9]
        pos = off + ihl
        while True:
            if proto == 51:
                spi = int.from_bytes(f[pos + 4: pos + 8], "big")
                elem = self.by_spi.get(("AUTHENTICATE", spi))
                if elem is None:
                    return
                self.protocols.append("ah")
                if elem.ah_iv_bytes():
                    self.ivs.append((pos + 12, elem.ah_iv_bytes(), visible))
                proto = f[pos]
                pos += (f[pos + 1] + 2) * 4
            elif proto == 50:
                spi = int.from_bytes(f[pos: pos + 4], "big")
                elem = self.by_spi.get(("ENCRYPT", spi))
                if elem is None:
                    return
                self.protocols.append("esp")
                iv_len = elem.esp_iv_bytes()
                if iv_len:
                    self.ivs.append((pos + 8, iv_len, visible))
                inner = pos + 8 + iv_len
                if elem.conf_algorithm().kind != "null":
                    visible = False
                if f[inner] >> 4 == 4 and len(f) - inner >= 20:
                    # a tunnel ESP carries an IPv4 packet; its next header sits in the trailer
                    total = int.from_bytes(f[off + 2: off + 4], "big")
                    icv = elem.esp_icv_bytes()
                    if f[off + total - icv - 1] == 4:
                        self._walk(inner, visible)
                return
            elif proto == 4:
                self._walk(pos, visible)
                return
            else:
                return


def convert_case(case: dict) -> Vector:
    sas: Dict[str, Sa] = {}
    frame = bytes.fromhex(case["input_ip"])
    expected = bytes.fromhex(case["expected_ip"])
    for name, entry in case["sas"].items():
        bundle = [_element(e) for e in entry["bundle"]]
        tunnel = (entry["tunnel_src"], entry["tunnel_dst"]) if entry["mode"] == "tunnel" else None
        sas[name] = Sa(name, bundle, "0.0.0.0", "0.0.0.0", 0, tunnel)
    walk = Walk(frame, sas)
    # Filters: the end-to-end connection; tunnel SAs also name the outer header's addresses.
    for sa in sas.values():
        if sa.tunnel:
            outer = walk.headers[0][1]
            if (dotted(outer[12:16]), dotted(outer[16:20])) != sa.tunnel:
                raise ValueError(f"{case['id']}: tunnel addresses differ from the outer header")
            end_to_end = walk.headers[1][1] if len(walk.headers) > 1 else outer
        else:
            end_to_end = walk.headers[-1][1]
        sa.filter_src, sa.filter_dst = dotted(end_to_end[12:16]), dotted(end_to_end[16:20])
    offload = case["offload_handle"]
    next_handle = case["next_offload_handle"] or 0
    refused = case["category"] == "ah_fragment_fields"
    ivs = {name: [bytes.fromhex(iv)] for name, iv in case["ivs"].items() if iv}
    tags = set(case["tags"])
    flags = ["independent.sample"]
    protos = set(walk.protocols)
    if refused:
        flags += ["send.fragment", "independent.fragment_refused"]
    else:
        if "esp" in protos:
            flags += ["send.esp.encrypt", "send.esp.icv", "send.esp.iv"]
        if "ah" in protos:
            flags += ["send.ah.icv", "send.ah.mutable_zeroed"]
        if any(t.startswith("opt-") for t in tags) and "ah" in protos:
            immutable = {"opt-security", "opt-router-alert", "opt-nop", "opt-commercial-security",
                         "opt-cipso"}
            if tags & immutable:
                flags.append("send.ah.options_immutable")
            if tags - immutable & {t for t in tags if t.startswith("opt-")}:
                flags.append("send.ah.options_mutable")
            if tags & {"opt-lsrr", "opt-ssrr"}:
                flags.append("send.ah.source_route")
        if case["category"].startswith("bundle") or any("bundle" in t for t in tags):
            flags.append("send.bundle.esp_then_ah")
        if case["category"] == "nested":
            flags += ["send.tot.transport_first", "send.next_handle.no_tunnel_payload/neg",
                      "send.tunnel_only/neg"]
        if "non-minimal-padding" in tags:
            flags += ["send.esp.range_total_length", "send.unchanged_fields"]
        if case["category"] == "ah_tunnel":
            flags.append("send.ah.tunnel_inner_not_zeroed")
        if "reserved-flag-bit" in tags or "df" in tags:
            flags.append("send.fragment/neg")
    vector = Vector(f"independent/{case['id']}", case["description"], flags,
                    f"testdata/samples/independent-cases.json {case['id']} ({case['layout']})",
                    comment=("The contract never offloads fragments [S5]: the case's fragment "
                             "bits make a conforming NIC refuse it with NOT_SUPPORTED and emit "
                             "nothing; its expected_ip (the AH zeroing arithmetic) is not used."
                             if refused else ""))
    vector.generator = "vectors/tools/generate.py independent (converted from the sample)"
    vector.sample_checks = [f"independent-cases.json: {c}" for c in case["checked_with"]]
    requires = set()
    for sa in sas.values():
        requires |= set(sa_capabilities(sa))
    if any(len(h) > 20 for _, h in walk.headers):
        requires.add("Supported.V4_OPTIONS")
    if next_handle:
        requires.add("Supported.TRANSPORT_TUNNEL_COMBINED")
    vector.requires = sorted(requires)
    vector.sas = {name: sa_json(sa) for name, sa in sas.items()}
    vector.set(requires)
    for name in sas:
        vector.add_sa(name)
    iv_bytes = [(o, n) for o, n, visible in walk.ivs if visible]
    result = SendResult(frame, None if refused else expected, iv_bytes, {} if refused else ivs)
    vector.send(result, (offload, next_handle),
                "NDIS_STATUS_NOT_SUPPORTED" if refused else "NDIS_STATUS_SUCCESS")
    return vector


def build(testdata: Path) -> List[VectorGroup]:
    cases = json.loads((testdata / "samples" / "independent-cases.json").read_text())
    groups: Dict[str, VectorGroup] = {}
    for category, what in GROUPS.items():
        group = VectorGroup("independent", f"independent-{category.replace('_', '-')}",
                            f"Independent sample cases: {what} "
                            "(testdata/samples/independent-cases.json).")
        group.extra_notes["independent.sample"] = (
            "Computed outside this project by two implementations (a constructive stack on "
            "python cryptography and an in-place NIC emulation) and checked with scapy / openssl "
            "(see confirmed_by); catches any bug our generator shares with the reference NIC.")
        group.extra_notes["independent.fragment_refused"] = (
            "The sample exercises AH fragment-field zeroing, but the contract never offloads "
            "fragments [S5]: NOT_SUPPORTED and nothing emitted; a NIC that zeroes the fields and "
            "sends fails.")
        groups[category] = group
    for case in cases:
        groups[case["category"]].add(convert_case(case))
    return [g for g in groups.values() if g.vectors]
