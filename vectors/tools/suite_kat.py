"""vectors/kat/: published known answers as whole send-path packets.

RFC 3602 section 4 cases 5-8 (encryption-only AES-CBC ESP, printed as whole IPv4 packets) and
draft-mcgrew-gcm-test-01 section 4 cases 1-14 plus the GMAC case (printed as ESP packets only:
wrapped here in an outer IPv4 header as the transport would write it). The expected bytes are the
published ones; the generator recomputes them and refuses to write a vector it cannot reproduce.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import List

from ipsec_frames import (Ipv4, Sa, SecAssoc, _ipv4_header, cbc_encrypt, CONF_ALGORITHMS,
                          gcm_seal, gmac_tag)
from vectorfile import SendResult, Vector, VectorGroup, sa_capabilities, sa_json

def _kat_dir(testdata: Path) -> Path:
    return testdata / "kat"


def rfc3602(testdata: Path) -> VectorGroup:
    group = VectorGroup("kat", "kat-rfc3602-aes-cbc-esp",
                        "RFC 3602 section 4 cases 5-8: AES-128-CBC ESP without integrity, whole "
                        "IPv4 packets (transport and tunnel).")
    group.extra_notes["kat.published"] = (
        "Expected bytes are the published ones; a NIC whose cipher, IV placement or range "
        "differs from the standard fails.")
    group.extra_notes["kat.encryption_only"] = (
        "The RFC's packets carry no ICV: they need Extension.ENCRYPTION_ONLY_ESP enabled, since "
        "the contract forbids IPsec without authentication [S5].")
    data = json.loads((_kat_dir(testdata) / "rfc3602_aes_cbc_esp.json").read_text())
    for case in data["vectors"]:
        if case.get("kind") != "ESP packet":
            continue
        n = case["case"]
        expected = bytes.fromhex(case["expected_packet"])
        header = bytes.fromhex(case["encrypted_ip_header"])
        ihl = (header[0] & 0xF) * 4
        iv = bytes.fromhex(case["iv"])
        pre = bytes.fromhex(case["pre_encryption_data"])
        key = bytes.fromhex(case["key"])
        ciphertext = cbc_encrypt(CONF_ALGORITHMS["AES_CBC_128"], key, iv, pre)
        spi_seq = bytes.fromhex(case["esp_spi_seq"])
        if header + spi_seq + iv + ciphertext != expected:
            raise ValueError(f"RFC 3602 case {n}: recomputation differs from the published packet")
        frame = header + spi_seq + bytes(len(iv)) + pre
        tunnel = case["mode"] == "tunnel"
        inner = pre if tunnel else None
        src = ".".join(str(b) for b in (inner[12:16] if tunnel else header[12:16]))
        dst = ".".join(str(b) for b in (inner[16:20] if tunnel else header[16:20]))
        outer_src = ".".join(str(b) for b in header[12:16])
        outer_dst = ".".join(str(b) for b in header[16:20])
        elem = SecAssoc("ENCRYPT", case["spi"], "AES_CBC_128", key, None, b"", None)
        sa = Sa("sa", [elem], src, dst, 0, (outer_src, outer_dst) if tunnel else None)
        vid = f"kat/rfc3602/case-{n}"
        vector = Vector(vid, f"RFC 3602 case {n}: {case['title']}",
                        ["send.esp.encrypt", "send.esp.iv", "send.alg.conf", "kat.published",
                         "kat.encryption_only", "oid.add_sa.encryption_only/neg"],
                        f"RFC 3602 section 4, case #{n} ({case['mode']} mode)")
        vector.requires = sa_capabilities(sa)
        vector.sas = {"sa": sa_json(sa)}
        vector.set(vector.requires).add_sa("sa")
        vector.send(SendResult(frame, expected, [(ihl + 8, len(iv))], {"sa": [iv]}), ("sa", 0))
        group.add(vector)
    return group


def mcgrew(testdata: Path) -> VectorGroup:
    group = VectorGroup("kat", "kat-mcgrew-gcm-gmac-esp",
                        "draft-mcgrew-gcm-test-01 section 4 cases 1-14 (AES-GCM ESP, RFC 4106) and "
                        "the AES-GMAC case (RFC 4543), each ESP packet wrapped in an outer IPv4 "
                        "header as the transport writes it.")
    group.extra_notes["kat.published"] = (
        "Expected ESP bytes are the published ones; a NIC with the wrong nonce (salt||IV), AAD "
        "or tag placement fails.")
    group.extra_notes["kat.wrapped"] = (
        "The draft prints ESP packets only: the outer IPv4 header (documentation addresses, "
        "protocol 50, correct checksum) is added here and must go out unchanged.")
    data = json.loads((_kat_dir(testdata) / "draft_mcgrew_gcm_test_01_esp.json").read_text())
    index = 0
    for case in data["vectors"]:
        label = str(case["case"])
        gmac = "GMAC" in case["algorithm"]
        if label.startswith("extra"):
            continue
        number = 15 if gmac else int(label)
        index += 1
        key = bytes.fromhex(case["keymat"])
        iv = bytes.fromhex(case["iv"])
        seq = case["seq_int"]
        esn = case["esn"]
        seq_low = seq & 0xFFFFFFFF
        esn_high = (seq >> 32) if esn else None
        plaintext = bytes.fromhex(case["plaintext_with_esp_trailer"])
        spi = case["spi_int"]
        expected_esp = bytes.fromhex(case["expected_esp_packet"])
        aad = struct.pack("!I", spi) + (struct.pack("!I", esn_high) if esn else b"") + \
            struct.pack("!I", seq_low)
        bits = len(key) * 8 - 32
        if gmac:
            tag = gmac_tag(key, iv, aad + iv + plaintext)
            recomputed = aad[:4] + aad[-4:] + iv + plaintext + tag
            elem = SecAssoc("ENCRYPT", spi, "NONE", b"", f"AES_GMAC_{bits}", key, esn_high)
        else:
            ciphertext, tag = gcm_seal(key, iv, plaintext, aad)
            recomputed = aad[:4] + aad[-4:] + iv + ciphertext + tag
            elem = SecAssoc("ENCRYPT", spi, f"AES_GCM_{bits}", key, None, b"", esn_high)
        if recomputed != expected_esp:
            raise ValueError(f"draft-mcgrew-gcm-test-01 case {label}: recomputation differs")
        src, dst = f"192.0.2.{index}", f"198.51.100.{index}"
        framed_esp = expected_esp[:8] + bytes(8) + plaintext + bytes(16)
        header = _ipv4_header(Ipv4(src, dst, ident=0x4700 + index, ttl=64), 50, len(framed_esp))
        sa = Sa("sa", [elem], src, dst, 0)
        vid = f"kat/mcgrew-gcm/case-{number:02d}" if not gmac else "kat/mcgrew-gcm/gmac-case-15"
        flags = ["send.esp.gmac" if gmac else "send.esp.gcm", "send.esp.iv", "send.esp.icv",
                 "send.alg.integrity" if gmac else "send.alg.conf", "kat.published", "kat.wrapped"]
        if esn:
            flags.append("send.esn")
        what = "AES-GMAC (ENCR_NULL_AUTH_AES_GMAC)" if gmac else f"AES-{bits}-GCM-16"
        title = (f"draft-mcgrew-gcm-test-01 case {number}: ESP {what}, SPI 0x{spi:08x}, "
                 f"seq 0x{seq:x}{' (ESN)' if esn else ''}")
        vector = Vector(vid, title, flags,
                        f"draft-mcgrew-gcm-test-01 section 4, case {label}; RFC 4106 section 5"
                        if not gmac else "draft-mcgrew-gcm-test-01 AES-GMAC case (numbered 15 by "
                        "OpenDataPlane); RFC 4543 section 3.3",
                        comment="" if case["trailer_check"].get("consistent_with_rfc4303_trailer")
                        is not False else "The draft's plaintext has no RFC 4303-consistent "
                        "trailer (see testdata/kat/README.md); the AEAD arithmetic is exact.")
        vector.requires = sa_capabilities(sa)
        vector.sas = {"sa": sa_json(sa)}
        vector.set(vector.requires).add_sa("sa")
        ihl = len(header)
        vector.send(SendResult(header + framed_esp, header + expected_esp, [(ihl + 8, 8)],
                               {"sa": [iv]}), ("sa", 0))
        group.add(vector)
    return group


def build(testdata: Path) -> List[VectorGroup]:
    return [rfc3602(testdata), mcgrew(testdata)]
