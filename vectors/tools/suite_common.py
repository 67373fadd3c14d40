"""Shared builders for the generated suites: seeded keys and SPIs, SAs, packets, vectors."""
from __future__ import annotations

import hashlib
from typing import Dict, List, Optional, Sequence, Tuple

import algorithm_table
from ipsec_frames import (CONF_ALGORITHMS, INTEGRITY_ALGORITHMS, Ah, Esp, Ipv4, Packet, Sa,
                          SecAssoc, deterministic_bytes, icmp_echo, udp_datagram)
from vectorfile import (Vector, frame_send, ivs_for, packet_capabilities, sa_capabilities,
                        sa_json)

# Documentation addresses (RFC 5737).
HOST_A, HOST_B = "192.0.2.1", "198.51.100.7"
GW_A, GW_B = "203.0.113.1", "203.0.113.2"
INNER_A, INNER_B = "192.0.2.10", "198.51.100.20"

# The algorithms the suites iterate, by family, in the order of the table (algorithms.def).
CBC_CONFS = algorithm_table.conf_names("cbc")
HMACS = algorithm_table.integrity_names("hmac")
GCMS = algorithm_table.conf_names("gcm")
GMACS = algorithm_table.integrity_names("gmac")


def key_for(label: str, length: int) -> bytes:
    return deterministic_bytes("key/" + label, length)


def spi_for(label: str) -> int:
    """A stable SPI per label, above the reserved range 0..255 (RFC 4303 section 2.1)."""
    value = int.from_bytes(hashlib.sha256(("spi/" + label).encode()).digest()[:4], "big")
    return value | 0x1000


def esp_elem(label: str, conf: str, integ: Optional[str], esn_high: Optional[int] = None) -> SecAssoc:
    conf_key = key_for(label + "/conf", CONF_ALGORITHMS[conf].key_bytes)
    if integ and CONF_ALGORITHMS[conf].kind == "gcm":
        integ_key = b""  # GCM with its GMAC: the key is in ConfAlgo, algoKeylen 0
    else:
        integ_key = key_for(label + "/integ", INTEGRITY_ALGORITHMS[integ].key_bytes) if integ else b""
    return SecAssoc("ENCRYPT", spi_for(label + "/esp"), conf, conf_key, integ, integ_key, esn_high)


def ah_elem(label: str, integ: str, esn_high: Optional[int] = None) -> SecAssoc:
    return SecAssoc("AUTHENTICATE", spi_for(label + "/ah"), None, b"", integ,
                    key_for(label + "/ah-integ", INTEGRITY_ALGORITHMS[integ].key_bytes), esn_high)


def make_sa(name: str, bundle: List[SecAssoc], inner_src: str, inner_dst: str, protocol: int,
            tunnel: Optional[Tuple[str, str]] = None, **kwargs) -> Sa:
    return Sa(name, bundle, inner_src, inner_dst, protocol, tunnel, **kwargs)


def udp_payload(label: str, src: str, dst: str, size: int) -> bytes:
    """A UDP datagram of `size` bytes in total (size >= 8)."""
    return udp_datagram(src, dst, 40000 + size % 1000, 4500 + size % 7,
                        deterministic_bytes("data/" + label, size - 8))


def icmp_payload(label: str, size: int) -> bytes:
    return icmp_echo(0x4242, 7, deterministic_bytes("data/" + label, size - 8))


def protected_packet(ip: Ipv4, payload, kind: str, sa: str, seq: int, upper: int = 17,
                     **esp_kwargs) -> Packet:
    """kind: "esp", "ah" or "bundle" ([IP][AH][ESP] with one SA)."""
    ah = Ah(sa, seq) if kind in ("ah", "bundle") else None
    esp = Esp(sa, seq, **esp_kwargs) if kind in ("esp", "bundle") else None
    return Packet(ip, payload, upper, ah=ah, esp=esp)


def kind_of(bundle: Sequence[SecAssoc]) -> str:
    if len(bundle) == 2:
        return "bundle"
    return "esp" if bundle[0].is_esp else "ah"


def standard_vector(vid: str, title: str, flags: Sequence[str], source: str, pkt: Packet,
                    sas: Dict[str, Sa], info: Tuple[object, object],
                    encapsulation: str = "null", trailer: bytes = b"",
                    status: str = "NDIS_STATUS_SUCCESS", split: Optional[List[int]] = None,
                    enable_drop: Sequence[str] = (), enable_add: Sequence[str] = (),
                    vclass: str = "MUST", comment: str = "", extra_requires: Sequence[str] = (),
                    sa_overrides: Optional[Dict[str, Dict]] = None) -> Vector:
    """set(everything required) -> add every SA -> one send -> expected frame or refusal."""
    processed = [h for h in info if isinstance(h, str) and h in sas]
    refused = status != "NDIS_STATUS_SUCCESS"
    ivs = {} if refused else ivs_for(sas, processed, vid)
    result = frame_send(pkt, sas, processed, ivs, encapsulation, trailer, refused)
    vector = Vector(vid, title, flags, source, vclass, encapsulation, comment)
    requires = set(packet_capabilities(pkt)) | set(extra_requires)
    for sa in sas.values():
        requires |= set(sa_capabilities(sa))
    if all(isinstance(h, str) and h in sas for h in info):
        requires.add("Supported.TRANSPORT_TUNNEL_COMBINED")
    vector.requires = sorted(requires)
    vector.sas = {name: sa_json(sa, **((sa_overrides or {}).get(name, {})))
                  for name, sa in sas.items()}
    vector.set((requires - set(enable_drop)) | set(enable_add))
    for name in sas:
        vector.add_sa(name)
    vector.send(result, info, status, split)
    return vector


def transport_ip(**kwargs) -> Ipv4:
    return Ipv4(kwargs.pop("src", HOST_A), kwargs.pop("dst", HOST_B), **kwargs)


def tunnel_ip(**kwargs) -> Ipv4:
    return Ipv4(kwargs.pop("src", GW_A), kwargs.pop("dst", GW_B), **kwargs)


def inner_ip(**kwargs) -> Ipv4:
    return Ipv4(kwargs.pop("src", INNER_A), kwargs.pop("dst", INNER_B), **kwargs)


def simple_case(vid: str, bundle: List[SecAssoc], tunnel: bool, payload_size: int = 100,
                ip_kwargs: Optional[dict] = None, inner_kwargs: Optional[dict] = None,
                esp_kwargs: Optional[dict] = None, seq: int = 1):
    """One SA (transport or tunnel) and its packet. Returns (sas, packet, sa name)."""
    name = "tun" if tunnel else "t"
    if tunnel:
        inner = Packet(inner_ip(**(inner_kwargs or {})),
                       udp_payload(vid, INNER_A, INNER_B, payload_size), 17)
        sa = make_sa(name, bundle, INNER_A, INNER_B, 17, (GW_A, GW_B))
        pkt = protected_packet(tunnel_ip(**(ip_kwargs or {})), inner, kind_of(bundle), name, seq,
                               4, **(esp_kwargs or {}))
    else:
        sa = make_sa(name, bundle, HOST_A, HOST_B, 17)
        pkt = protected_packet(transport_ip(**(ip_kwargs or {})),
                               udp_payload(vid, HOST_A, HOST_B, payload_size), kind_of(bundle),
                               name, seq, 17, **(esp_kwargs or {}))
    return {name: sa}, pkt, name
