"""vectors/robustness/ (class SHOULD): beyond the letter of the contract.

SPI mismatches, truncated frames, absurd lengths (refused with INVALID_PACKET, nothing emitted,
no read past the frame) and bytes after the IPv4 total length (Ethernet trailer padding: kept
unchanged, outside every ICV).
"""
from __future__ import annotations

import struct
from typing import List

from ipsec_frames import Ah, Esp, Packet, deterministic_bytes
from suite_common import (HOST_A, HOST_B, ah_elem, esp_elem, make_sa, simple_case,
                          standard_vector, transport_ip, udp_payload)
from suite_contract import alg_flags
from vectorfile import SendResult, Vector, VectorGroup, frame_send, sa_capabilities, sa_json

INVALID_PACKET = "NDIS_STATUS_INVALID_PACKET"
SRC = "reference_nic/README.md status table; robustness beyond the contract's letter"


def _refused(group, vid, title, flags, sas, frame, info=("t", 0), encapsulation="null"):
    v = Vector(vid, title, flags, SRC, "SHOULD", encapsulation)
    requires = set()
    for sa in sas.values():
        requires |= set(sa_capabilities(sa))
    v.requires = sorted(requires)
    v.sas = {k: sa_json(s) for k, s in sas.items()}
    v.set(requires)
    for k in sas:
        v.add_sa(k)
    v.send(SendResult(frame, None, [], {}), info, INVALID_PACKET)
    group.add(v)


def build() -> List[VectorGroup]:
    refusals = VectorGroup("robustness", "robustness-refusals",
                           "SPI mismatches, truncated frames and absurd lengths: INVALID_PACKET.")
    for proto in ("esp", "ah"):
        vid = f"robustness/spi-mismatch-{proto}"
        bundle = [esp_elem(vid, "AES_CBC_128", "SHA_1")] if proto == "esp" else [ah_elem(vid, "SHA_1")]
        sa = make_sa("t", bundle, HOST_A, HOST_B, 17)
        kw = {"spi_override": bundle[0].spi ^ 0x01000000}
        pkt = Packet(transport_ip(), udp_payload(vid, HOST_A, HOST_B, 60), 17,
                     esp=Esp("t", 1, **kw) if proto == "esp" else None,
                     ah=Ah("t", 1, **kw) if proto == "ah" else None)
        _refused(refusals, vid, f"{proto.upper()} SPI in the frame differs from the SA's: "
                 "INVALID_PACKET", ["send.frame.spi_mismatch"], {"t": sa},
                 frame_send(pkt, {"t": sa}, [], {}, refused=True).frame)
    vid = "robustness/spi-mismatch-bundle-esp"
    bundle = [esp_elem(vid, "3_DES", "MD5"), ah_elem(vid, "MD5")]
    sa = make_sa("t", bundle, HOST_A, HOST_B, 17)
    pkt = Packet(transport_ip(), udp_payload(vid, HOST_A, HOST_B, 60), 17,
                 ah=Ah("t", 1), esp=Esp("t", 1, spi_override=0x1234))
    _refused(refusals, vid, "Bundle: AH SPI right, ESP SPI wrong: INVALID_PACKET",
             ["send.frame.spi_mismatch"], {"t": sa},
             frame_send(pkt, {"t": sa}, [], {}, refused=True).frame)
    for name, cut, conf in (("esp-tunnel-minus-1", 1, "ESP"), ("ah-in-icv", 30, "AH")):
        vid = f"robustness/truncated-{name}"
        bundle = [esp_elem(vid, "AES_GCM_128", None)] if conf == "ESP" else [ah_elem(vid, "SHA_256")]
        sas, pkt, n = simple_case(vid, bundle, conf == "ESP", 40)
        frame = frame_send(pkt, sas, [], {}, refused=True).frame
        if conf == "AH":
            frame = frame[:20 + 12 + 4]
        else:
            frame = frame[:-cut]
        _refused(refusals, vid, f"{conf} frame shorter than its total length: INVALID_PACKET",
                 ["send.frame.total_length"], sas, frame, (n, 0))
    vid = "robustness/ihl-15-short-frame"
    sas, pkt, n = simple_case(vid, [esp_elem(vid, "AES_CBC_128", "MD5")], False, 8)
    frame = bytearray(frame_send(pkt, sas, [], {}, refused=True).frame[:40])
    frame[0] = 0x4F
    frame[2:4] = struct.pack("!H", 40)
    _refused(refusals, vid, "IHL 15 (60-byte header) on a 40-byte frame: INVALID_PACKET",
             ["send.frame.ihl"], sas, bytes(frame), (n, 0))
    vid = "robustness/ah-payload-len-255"
    e = ah_elem(vid, "MD5")
    sas = {"t": make_sa("t", [e], HOST_A, HOST_B, 17)}
    pkt = Packet(transport_ip(), udp_payload(vid, HOST_A, HOST_B, 80), 17,
                 ah=Ah("t", 1, payload_len_override=255))
    _refused(refusals, vid, "AH Payload Len 255 (1028 bytes) on a short packet: INVALID_PACKET",
             ["send.ah.length_mismatch", "send.ah.truncated"], sas,
             frame_send(pkt, sas, [], {}, refused=True).frame)
    vid = "robustness/esp-pad-length-255"
    e = esp_elem(vid, "AES_CBC_128", "SHA_1")
    sas = {"t": make_sa("t", [e], HOST_A, HOST_B, 17)}
    pkt = Packet(transport_ip(), udp_payload(vid, HOST_A, HOST_B, 60), 17,
                 esp=Esp("t", 1, pad_length_override=255))
    _refused(refusals, vid, "ESP pad length 255 in a 64-byte ciphertext: INVALID_PACKET",
             ["send.esp.pad_length_past_payload"], sas,
             frame_send(pkt, sas, [], {}, refused=True).frame)
    vid = "robustness/total-length-0"
    e = esp_elem(vid, "NONE", "SHA_1")
    sas = {"t": make_sa("t", [e], HOST_A, HOST_B, 17)}
    pkt = Packet(transport_ip(total_length_override=0), udp_payload(vid, HOST_A, HOST_B, 30), 17,
                 esp=Esp("t", 1))
    _refused(refusals, vid, "IPv4 total length 0: INVALID_PACKET", ["send.frame.total_length"], sas,
             frame_send(pkt, sas, [], {}, refused=True).frame)

    trailers = VectorGroup("robustness", "robustness-trailers",
                           "Bytes after the IPv4 total length (Ethernet trailer padding or "
                           "garbage): processed up to the total length, the rest kept unchanged.")
    cases = [("esp-ethernet-zero-padding", [esp_elem("tr1", "AES_CBC_128", "SHA_1")], False,
              "ieee802.3", 10, 6),
             ("ah-ethernet-zero-padding", [ah_elem("tr2", "MD5")], False, "ieee802.3", 8, 4),
             ("esp-null-garbage", [esp_elem("tr3", "NONE", "SHA_256")], False, "null", 20, 7),
             ("ah-gmac-garbage", [ah_elem("tr4", "AES_GMAC_128")], False, "null", 20, 13),
             ("esp-tunnel-gcm-garbage", [esp_elem("tr5", "AES_GCM_128", None)], True, "null", 9, 5),
             ("bundle-ethernet-garbage", [esp_elem("tr6", "3_DES", "SHA_1"), ah_elem("tr6", "SHA_1")],
              False, "ieee802.3", 9, 31)]
    for name, bundle, tunnel, encapsulation, size, garbage in cases:
        vid = f"robustness/trailer-{name}"
        sas, pkt, n = simple_case(vid, bundle, tunnel, size)
        if "zero-padding" in name:
            trailer = bytes(garbage)  # what a driver's short-frame padding leaves behind
        else:
            trailer = deterministic_bytes("trailer/" + vid, garbage)
        trailers.add(standard_vector(
            vid, f"{name.replace('-', ' ')}: {len(trailer)} bytes after the total length kept",
            alg_flags(bundle) + ["send.frame.total_length/neg", "send.esp.range_total_length"
                                 if bundle[0].is_esp else "send.ah.icv"],
            SRC, pkt, sas, (n, 0), encapsulation=encapsulation, trailer=trailer, vclass="SHOULD"))
    return [refusals, trailers]
