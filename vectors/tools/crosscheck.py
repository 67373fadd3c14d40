#!/usr/bin/python3
"""Independent cross-check of every expected frame in the bundled suites.

For every send whose expected status is SUCCESS, the expected frame is taken apart next to the
input frame (this file's own parser, not the generator's builder) and confirmed with:

* scapy's IPsec layer (scapy.layers.ipsec): ESP ICV check and decryption with the SA's keys, the
  decrypted plaintext compared with the input's plaintext; AH ICV check;
* tshark's ESP dissector (esp.enable_encryption_decode, esp.enable_authentication_check, one
  uat:esp_sa record per ESP SA with its exact SPI) over a temporary pcap of the expected frames:
  ICV good, decrypted trailer equal to the framed one;
* the openssl CLI (`openssl mac GMAC`) for AES-GMAC, which neither scapy 2.5.0 nor tshark 4.0 has;
* a structural comparison: input and expected differ only in IV, ciphertext and ICV bytes of the
  SAs the send names, and everything outside the IPv4 total length is unchanged.

Known scapy 2.5.0 gaps, handled explicitly and named in the confirmation:
* AH: the fragment offset is not zeroed, LSRR/SSRR final destinations are ignored, Security
  options that are not 11 bytes and Timestamp options with more than one entry are parsed with the
  wrong length -> the AH ICV is verified on an equivalent header whose mutable options this tool
  pre-zeroed (RFC 4302 Appendix A) and whose destination is the route's final address;
* ESP: the decrypted padding bytes are misreported (_ESPPlain.padding is sliced after the data was
  cut) -> the plaintext is read from scapy's cipher object; HMAC ICVs ignore the ESN high bits ->
  the ICV is verified on an equivalent ESP with the high bits appended to the data;
* no AES-GMAC -> openssl.
tshark 4.0 has no ESN and no GMAC: those SAs end its check for the frame.

Usage: crosscheck.py [--record] [--vectors DIR] [--only SUBSTRING]
  default: confirm everything and compare with each vector's provenance.confirmed_by
  --record: write vectors/tools/confirmations.json (generate.py puts it into confirmed_by)
"""
from __future__ import annotations

import argparse
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Dict, List, Optional, Tuple

warnings.filterwarnings("ignore")
import logging  # noqa: E402

logging.getLogger("scapy").setLevel(logging.ERROR)

import scapy  # noqa: E402
from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.ipsec import AUTH_ALGOS, CRYPT_ALGOS, ESP, SecurityAssociation  # noqa: E402
from scapy.utils import PcapWriter  # noqa: E402

import algorithm_table  # noqa: E402  (the table data only; this file checks frames on its own)

TOOLS = Path(__file__).resolve().parent
SUITES = ("kat", "independent", "contract", "robustness", "regressions")
TOOL_PREFIXES = ("scapy ", "tshark ", "openssl ", "crosscheck:")

# From the algorithm table (include/sendpath/algorithms.def): IV, alignment (RFC 4303 section 2.4)
# and ICV lengths, and the names scapy and tshark give each algorithm ("" when they have none).
CONF = {r.name: (r.iv, max(4, r.block), r.icv) for r in algorithm_table.CONF_ROWS}
INTEG = {r.name: r.icv for r in algorithm_table.INTEGRITY_ROWS if r.family != "none"}
SCAPY_CRYPT = {r.name: r.scapy for r in algorithm_table.CONF_ROWS if r.scapy}
SCAPY_AUTH = {(None if r.family == "none" else r.name): r.scapy for r in algorithm_table.INTEGRITY_ROWS if r.scapy}
TSHARK_CRYPT = {r.name: r.wireshark for r in algorithm_table.CONF_ROWS if r.wireshark}
TSHARK_AUTH = {(None if r.family == "none" else r.name): r.wireshark
               for r in algorithm_table.INTEGRITY_ROWS if r.wireshark}
IMMUTABLE = {0, 1, 130, 133, 134, 148, 149}  # RFC 4302 Appendix A, full type octets


def hexbytes(value) -> bytes:
    text = "".join(value) if isinstance(value, list) else value
    return bytes.fromhex(re.sub(r"\s+", "", text))


def be16(b: bytes, i: int) -> int:
    return struct.unpack_from("!H", b, i)[0]


def be32(b: bytes, i: int) -> int:
    return struct.unpack_from("!I", b, i)[0]


def dotted(b: bytes) -> str:
    return ".".join(str(x) for x in b)


def tool_versions() -> Dict[str, str]:
    tshark = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout
    openssl = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout
    return {"scapy": f"scapy {scapy.__version__}",
            "tshark": "tshark " + re.search(r"TShark \(Wireshark\) (\S+)", tshark).group(1),
            "openssl": "openssl " + openssl.split()[1]}


class Element:
    def __init__(self, sa_name: str, sa: dict, raw: dict):
        self.sa = sa_name
        self.tunnel = sa["tunnel"] is not None
        self.esp = raw["operation"] == "ENCRYPT"
        self.spi = raw["spi"]
        self.conf = raw["conf"]["algorithm"] if raw["conf"] else None
        self.conf_key = bytes.fromhex(raw["conf"]["key"]) if raw["conf"] else b""
        self.integ = raw["integrity"]["algorithm"] if raw["integrity"] else None
        self.integ_key = bytes.fromhex(raw["integrity"]["key"]) if raw["integrity"] else b""
        self.esn_high = raw["esn_high"]
        self.gcm = self.esp and self.conf is not None and self.conf.startswith("AES_GCM")
        self.gmac = self.integ is not None and self.integ.startswith("AES_GMAC") and not self.gcm

    def label(self) -> str:
        if self.esp:
            return f"ESP SA {self.sa} ({self.conf}/{self.integ or 'none'})"
        return f"AH SA {self.sa} ({self.integ})"

    def esp_iv(self) -> int:
        return 8 if self.gmac else CONF[self.conf][0]

    def esp_icv(self) -> int:
        return 16 if self.gcm else (INTEG[self.integ] if self.integ else 0)

    def ah_iv(self) -> int:
        return 8 if self.gmac else 0

    def esn(self) -> bytes:
        return struct.pack("!I", self.esn_high) if self.esn_high is not None else b""


class Mismatch(Exception):
    pass


def openssl_gmac(key_and_salt: bytes, iv: bytes, data: bytes) -> bytes:
    bits = (len(key_and_salt) - 4) * 8
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        out = subprocess.run(
            ["openssl", "mac", "-cipher", f"AES-{bits}-GCM", "-macopt",
             f"hexkey:{key_and_salt[:-4].hex()}", "-macopt", f"hexiv:{(key_and_salt[-4:] + iv).hex()}",
             "-in", f.name, "GMAC"], capture_output=True, text=True)
    if out.returncode != 0:
        raise Mismatch(f"openssl mac GMAC failed: {out.stderr.strip()}")
    return bytes.fromhex(out.stdout.strip())


def option_list(header: bytes) -> List[Tuple[int, int, int]]:
    """(offset, type, length) of each IPv4 option; EOL ends the list."""
    out = []
    i, end = 20, (header[0] & 0xF) * 4
    while i < end:
        t = header[i]
        if t == 0:
            out.append((i, 0, end - i))
            break
        if t == 1:
            out.append((i, 1, 1))
            i += 1
            continue
        length = header[i + 1]
        out.append((i, t, length))
        i += length
    return out


def final_destination(header: bytes) -> bytes:
    """The destination as Wireshark reports it: the last address of a source route."""
    for off, t, length in option_list(header):
        if t in (131, 137) and length >= 7:
            return header[off + length - 4: off + length]
    return header[16:20]


def equivalent_header(header: bytes) -> bytes:
    """RFC 4302 Appendix A applied to the options (and the fragment offset) only; scapy then
    zeroes TOS, flags, TTL and checksum itself."""
    h = bytearray(header)
    for off, t, length in option_list(header):
        if t in (131, 137):
            h[16:20] = header[off + length - 4: off + length]
        if t not in IMMUTABLE:
            h[off: off + length] = bytes(length)
    h[6] &= 0xE0
    h[7] = 0
    return bytes(h)


def scapy_gaps(header: bytes) -> List[str]:
    gaps = []
    if be16(header, 6) & 0x1FFF:
        gaps.append("fragment offset not zeroed by scapy")
    for _, t, length in option_list(header):
        if t in (131, 137):
            gaps.append(f"{'LSRR' if t == 131 else 'SSRR'} final destination ignored by scapy")
        elif t == 130 and length != 11:
            gaps.append(f"scapy misparses the {length}-byte Security option")
        elif t == 68:
            gaps.append("scapy reads only the first Timestamp entry")
    parsed = IP(header + b"")
    if any(type(o).__name__ == "Raw" for o in parsed.options):
        gaps.append("scapy has no parser for an option it must keep (parsed as Raw)")
    lengths = [len(bytes(o)) for o in parsed.options]
    ours = [length for _, _, length in option_list(header)]
    if lengths[: len(ours)] != ours and not gaps:
        gaps.append(f"scapy parses option lengths {lengths}, the header has {ours}")
    return sorted(set(gaps))


class SendCheck:
    """Walks input and expected frames side by side; collects confirmations."""

    def __init__(self, vector: dict, step: dict, versions: Dict[str, str]):
        self.vector = vector
        self.step = step
        self.v = versions
        self.confirmations: List[str] = []
        self.elements: Dict[Tuple[bool, int], Element] = {}
        # The transport hands over zeroed IV and ICV space, and the suites frame it so. A fuzz
        # finding may carry bytes there on purpose (the send_path scripts' IV deviation): the NIC
        # overwrites that space, so its content does not change what the output must be.
        self.space_may_be_nonzero = "fuzz.finding" in vector.get("flags", [])
        info = step["info"] or {}
        names = [info.get(k, 0) for k in ("OffloadHandle", "NextOffloadHandle")]
        self.processed = [n for n in names if isinstance(n, str) and n in vector["sas"]]
        for name in self.processed:
            sa = vector["sas"][name]
            for raw in sa["bundle"]:
                e = Element(name, sa, raw)
                self.elements[(e.esp, e.spi)] = e
        self.tshark_layers: List[Tuple[Element, str, str, int, int]] = []  # in dissection order
        self.tshark_stop = False
        # (SA name, "ESP" | "AH", IV) for every IV in the expected frame, read after decryption
        # for headers inside an encrypted tunnel.
        self.ivs: List[Tuple[str, str, bytes]] = []

    def confirm(self, text: str) -> None:
        if text not in self.confirmations:
            self.confirmations.append(text)

    def run(self) -> None:
        frame = hexbytes(self.step["frame"])
        expected = hexbytes(self.step["expect"]["frame"])
        if len(frame) != len(expected):
            raise Mismatch(f"expected frame has {len(expected)} bytes, input {len(frame)}")
        if not self.processed:
            if frame != expected:
                raise Mismatch("no offload requested but the expected frame differs")
            self.confirm("crosscheck: no offload requested; expected frame equals the input")
            return
        off = 14 if self.vector["encapsulation"] == "ieee802.3" else 0
        if frame[:off] != expected[:off]:
            raise Mismatch("Ethernet header changed")
        end = self.walk(frame, expected, off, visible=True)
        if frame[end:] != expected[end:]:
            raise Mismatch(f"bytes after the IPv4 total length changed (offset {end})")
        self.confirm("crosscheck: input and expected differ only in IV, ciphertext and ICV bytes")
        self.check_iv_bytes(expected)

    def check_iv_bytes(self, expected: bytes) -> None:
        ivs = {n: [hexbytes(x) for x in v] for n, v in self.step.get("ivs", {}).items()}
        supplied = [iv for v in ivs.values() for iv in v]
        for off, length in self.step["expect"].get("iv_bytes", []):
            if expected[off: off + length] not in supplied:
                raise Mismatch(f"iv_bytes [{off}, {length}] is not one of the supplied IVs")

    def take_iv(self, e: Element, protocol: str, iv: bytes) -> None:
        """An IV of the expected frame must be one this send supplied for its SA."""
        supplied = [hexbytes(x) for x in self.step.get("ivs", {}).get(e.sa, [])]
        if iv not in supplied:
            raise Mismatch(f"{protocol} IV {iv.hex()} of {e.label()} is not one the send supplied")
        self.ivs.append((e.sa, protocol, iv))

    def walk(self, inp: bytes, exp: bytes, off: int, visible: bool) -> int:
        ihl = (inp[off] & 0xF) * 4
        total = be16(inp, off + 2)
        end = off + total
        if exp[off: off + ihl] != inp[off: off + ihl]:
            raise Mismatch(f"IPv4 header at {off} changed")
        proto, pos = inp[off + 9], off + ihl
        while True:
            if proto == 51 and (False, be32(inp, pos + 4)) in self.elements:
                e = self.elements[(False, be32(inp, pos + 4))]
                ah_len = (inp[pos + 1] + 2) * 4
                if exp[pos: pos + 12] != inp[pos: pos + 12]:
                    raise Mismatch(f"AH header fields at {pos} changed")
                if any(inp[pos + 12: pos + ah_len]) and not self.space_may_be_nonzero:
                    raise Mismatch(f"AH IV/ICV space at {pos + 12} not zero in the input")
                self.verify_ah(exp[off:end], pos - off, e)
                if e.ah_iv():
                    self.take_iv(e, "AH", exp[pos + 12: pos + 12 + e.ah_iv()])
                proto, pos = inp[pos], pos + ah_len
            elif proto == 17 and end - pos >= 16 and self.udp_esp_element(be32(inp, pos + 8)) is not None:
                # RFC 3948 2.1: UDP-encapsulated ESP. The UDP header is the transport's: unchanged.
                e = self.udp_esp_element(be32(inp, pos + 8))
                if exp[pos: pos + 8] != inp[pos: pos + 8]:
                    raise Mismatch(f"UDP header at {pos} changed")
                if be16(inp, pos + 4) != end - pos:
                    raise Mismatch(f"UDP Length at {pos + 4} disagrees with the IPv4 total length")
                self.verify_nat_t(inp[off:end], exp[off:end], pos - off, e)
                return self.walk_esp(inp, exp, off, pos + 8, end, e, visible)
            elif proto == 50 and (True, be32(inp, pos)) in self.elements:
                e = self.elements[(True, be32(inp, pos))]
                return self.walk_esp(inp, exp, off, pos, end, e, visible)
            elif proto == 4:
                inner_end = self.walk(inp, exp, pos, visible)
                if inp[inner_end:end] != exp[inner_end:end]:
                    raise Mismatch(f"bytes after the inner packet changed at {inner_end}")
                return end
            else:
                if inp[pos:end] != exp[pos:end]:
                    raise Mismatch(f"unprocessed payload at {pos} changed")
                if proto == 50:
                    self.tshark_stop = True  # an ESP tshark has no SA for
                return end

    def udp_esp_element(self, spi: int) -> Optional[Element]:
        e = self.elements.get((True, spi))
        return e if e is not None and "udp_esp" in self.vector["sas"][e.sa] else None

    def verify_nat_t(self, inp: bytes, packet: bytes, udp_off: int, e: Element) -> None:
        """scapy's own NAT-T path: SecurityAssociation(..., nat_t_header=UDP(...)).decrypt()."""
        if e.gmac or e.esn_high is not None:
            return  # no GMAC in scapy (openssl confirms it in walk_esp); no UDP-ESP ESN vectors
        sport, dport = be16(packet, udp_off), be16(packet, udp_off + 2)
        sa = SecurityAssociation(ESP, spi=e.spi, crypt_algo=SCAPY_CRYPT[e.conf], crypt_key=e.conf_key,
                                 auth_algo=SCAPY_AUTH[None if e.gcm else e.integ],
                                 auth_key=e.integ_key if not e.gcm else None,
                                 nat_t_header=UDP(sport=sport, dport=dport))
        try:
            decrypted = sa.decrypt(IP(packet))
        except Exception as exc:  # scapy raises IPSecIntegrityError and others
            raise Mismatch(f"{e.label()}: scapy NAT-T decrypt: {type(exc).__name__}: {exc}")
        esp_off = udp_off + 8
        iv_len, icv_len = e.esp_iv(), e.esp_icv()
        plain_in = inp[esp_off + 8 + iv_len: len(inp) - icv_len]
        data = plain_in[: len(plain_in) - plain_in[-2] - 2]
        # A tunnel's inner packet may itself be processed (transport over a UDP tunnel): then only
        # its length is compared here; walk_esp compares the bytes after its own decryption.
        got = bytes(decrypted.payload)
        if (got != data) if plain_in[-1] != 4 else (len(got) != len(data)):
            raise Mismatch(f"{e.label()}: scapy's NAT-T decryption differs from the framed data")
        self.confirm(f"{self.v['scapy']}: {e.label()} UDP-encapsulated (nat_t_header UDP {sport}->{dport}) "
                     "decrypted and ICV verified by SecurityAssociation.decrypt; data equals the input's")

    def walk_esp(self, inp: bytes, exp: bytes, off: int, pos: int, end: int, e: Element,
                 visible: bool) -> int:
        iv_len, icv_len = e.esp_iv(), e.esp_icv()
        if exp[pos: pos + 8] != inp[pos: pos + 8]:
            raise Mismatch(f"ESP SPI/sequence at {pos} changed")
        if (any(inp[pos + 8: pos + 8 + iv_len]) or any(inp[end - icv_len: end])) and not self.space_may_be_nonzero:
            raise Mismatch(f"ESP IV or ICV space at {pos} not zero in the input")
        plain_in = inp[pos + 8 + iv_len: end - icv_len]
        esp_bytes = exp[pos:end]
        if iv_len:
            self.take_iv(e, "ESP", esp_bytes[8: 8 + iv_len])
        plain_out = self.verify_esp(esp_bytes, e, exp[off + 12: off + 16], exp[off + 16: off + 20])
        if len(plain_out) != len(plain_in):
            raise Mismatch("decrypted length differs from the framed plaintext")
        nh, padlen = plain_in[-1], plain_in[-2]
        self.tshark_layers_add(e, exp[off + 12: off + 16], final_destination(exp[off:]), padlen, nh)
        if nh == 4 and len(plain_in) >= 20 and plain_in[0] >> 4 == 4:
            inner_end = self.walk(plain_in, plain_out, 0, visible and e.conf == "NONE")
            if plain_in[inner_end:] != plain_out[inner_end:]:
                raise Mismatch("ESP trailer after the inner packet differs after decryption")
        elif plain_out != plain_in:
            raise Mismatch(f"decrypted plaintext of {e.label()} differs from the input's")
        self.confirm(f"{self.v['scapy'] if not e.gmac else 'crosscheck'}: {e.label()} decrypted "
                     "plaintext equals the input's (data, padding, pad length, next header)"
                     if e.conf != "NONE" else
                     f"crosscheck: {e.label()} payload left in clear, equal to the input's")
        return end

    def tshark_layers_add(self, e: Element, src: bytes, dst: bytes, padlen: int, nh: int) -> None:
        if self.tshark_stop:
            return
        if e.gmac or e.esn_high is not None:
            self.tshark_stop = True
            return
        self.tshark_layers.append((e, dotted(src), dotted(dst), padlen, nh))

    # -- scapy / openssl --

    def verify_esp(self, esp_bytes: bytes, e: Element, src: bytes, dst: bytes) -> bytes:
        iv_len, icv_len = e.esp_iv(), e.esp_icv()
        iv = esp_bytes[8: 8 + iv_len]
        body = esp_bytes[8 + iv_len: len(esp_bytes) - icv_len]
        icv = esp_bytes[len(esp_bytes) - icv_len:]
        if e.gmac:
            aad = esp_bytes[:4] + e.esn() + esp_bytes[4:8] + iv + body
            if openssl_gmac(e.integ_key, iv, aad) != icv:
                raise Mismatch(f"{e.label()}: GMAC ICV does not verify with openssl")
            self.confirm(f"{self.v['openssl']} mac GMAC: {e.label()} ICV verified "
                         "(AAD SPI||seq||IV||payload..next header, RFC 4543)")
            return body
        sa = SecurityAssociation(ESP, spi=e.spi, crypt_algo=SCAPY_CRYPT[e.conf],
                                 crypt_key=e.conf_key, auth_algo=SCAPY_AUTH[None if e.gcm else e.integ],
                                 auth_key=e.integ_key if not e.gcm else None,
                                 esn_en=e.esn_high is not None, esn=e.esn_high or 0)
        packet = ESP(esp_bytes)
        try:
            if e.integ and not e.gcm:
                if e.esn_high is not None:
                    # scapy's ESP HMAC ignores the ESN: an equivalent ESP with the high bits
                    # appended to the data before the ICV (RFC 4303 section 2.2.1).
                    sa.auth_algo.verify(ESP(esp_bytes[:-icv_len] + e.esn() + icv), sa.auth_key)
                    self.confirm(f"{self.v['scapy']}: {e.label()} ICV verified on an equivalent "
                                 "ESP with the ESN high bits appended (scapy ignores ESN for HMAC)")
                else:
                    sa.auth_algo.verify(packet, sa.auth_key)
                    self.confirm(f"{self.v['scapy']}: {e.label()} ICV verified")
            plain = sa.crypt_algo.decrypt(sa, packet, sa.crypt_key, icv_len if e.integ or e.gcm else 0,
                                          esn_en=e.esn_high is not None, esn=e.esn_high or 0)
        except Exception as exc:  # scapy raises IPSecIntegrityError and others
            raise Mismatch(f"{e.label()}: scapy: {type(exc).__name__}: {exc}")
        if e.gcm:
            self.confirm(f"{self.v['scapy']}: {e.label()} GCM tag verified"
                         + (" with the ESN AAD" if e.esn_high is not None else ""))
        data = bytes(plain.data)
        if e.conf == "NONE":
            raw = body
        elif e.gcm:
            nonce = sa.crypt_algo._format_mode_iv(sa=sa, iv=iv)
            aad = esp_bytes[:4] + e.esn() + esp_bytes[4:8]
            raw = sa.crypt_algo.cipher(sa.crypt_key).decrypt(nonce, body + icv, aad)
        else:
            decryptor = sa.crypt_algo.new_cipher(sa.crypt_key, iv).decryptor()
            raw = decryptor.update(body) + decryptor.finalize()
        # scapy's own fields must agree with the raw plaintext it decrypted.
        if raw[: len(data)] != data or raw[-2] != plain.padlen or raw[-1] != plain.nh:
            raise Mismatch(f"{e.label()}: scapy's decrypted fields disagree with its cipher")
        return raw

    def verify_ah(self, packet: bytes, ah_off: int, e: Element) -> None:
        header = packet[:ah_off]
        gaps = scapy_gaps(header)
        icv_len, iv_len = INTEG[e.integ], e.ah_iv()
        if e.gmac:
            icv = packet[ah_off + 12 + iv_len: ah_off + 12 + iv_len + icv_len]
            iv = packet[ah_off + 12: ah_off + 12 + iv_len]
            zeroed = bytearray(equivalent_header(header))
            for i in (1, 6, 7, 8, 10, 11):  # TOS, flags + offset, TTL, checksum
                zeroed[i] = 0
            signed = (bytes(zeroed) + packet[ah_off: ah_off + 12 + iv_len] + bytes(icv_len) +
                      packet[ah_off + 12 + iv_len + icv_len:] + e.esn())
            if openssl_gmac(e.integ_key, iv, signed) != icv:
                raise Mismatch(f"{e.label()}: AH GMAC ICV does not verify with openssl")
            self.confirm(f"{self.v['openssl']} mac GMAC: {e.label()} ICV verified over the "
                         "RFC 4302 zeroed header (crosscheck's zeroing), AH with its IV, payload")
            return
        sa = SecurityAssociation(scapy_ah(), spi=e.spi, auth_algo=SCAPY_AUTH[e.integ],
                                 auth_key=e.integ_key, esn_en=e.esn_high is not None,
                                 esn=e.esn_high or 0)
        if any("Raw" in g for g in gaps):
            # scapy cannot zero such a header at all: use its HMAC over bytes this tool zeroed.
            zeroed = bytearray(equivalent_header(header))
            for i in (1, 6, 7, 8, 10, 11):
                zeroed[i] = 0
            icv = packet[ah_off + 12: ah_off + 12 + icv_len]
            mac = sa.auth_algo.new_mac(e.integ_key)
            mac.update(bytes(zeroed) + packet[ah_off: ah_off + 12] + bytes(icv_len) +
                       packet[ah_off + 12 + icv_len:] + e.esn())
            if mac.finalize()[:icv_len] != icv:
                raise Mismatch(f"{e.label()}: AH ICV does not verify with scapy's HMAC")
            self.confirm(f"{self.v['scapy']}: {e.label()} ICV verified with scapy's HMAC over a "
                         f"header zeroed by crosscheck per RFC 4302 Appendix A ({'; '.join(gaps)})")
            return
        source = packet if not gaps else equivalent_header(header) + packet[ah_off:]
        pkt = IP(source)
        if bytes(pkt) != source:
            raise Mismatch(f"{e.label()}: scapy does not round-trip the packet")
        try:
            sa.auth_algo.verify(pkt, sa.auth_key, esn_en=e.esn_high is not None, esn=e.esn_high or 0)
        except Exception as exc:
            raise Mismatch(f"{e.label()}: scapy AH verify: {exc}; gaps: {gaps}")
        if gaps:
            self.confirm(f"{self.v['scapy']}: {e.label()} ICV verified on an equivalent header "
                         f"(mutable options pre-zeroed by crosscheck per RFC 4302 Appendix A: "
                         f"{'; '.join(gaps)})")
        else:
            self.confirm(f"{self.v['scapy']}: {e.label()} ICV verified"
                         + (" with the ESN high bits" if e.esn_high is not None else ""))


def scapy_ah():
    from scapy.layers.ipsec import AH
    return AH


# ---- tshark ------------------------------------------------------------------------------------


def tshark_batches(checks: List[Tuple[str, SendCheck, bytes]]) -> List[List[Tuple[str, SendCheck, bytes]]]:
    batches: List[Tuple[Dict, List]] = []
    for item in checks:
        records = {(src, dst, e.spi): (e.conf, e.conf_key, e.integ, e.integ_key)
                   for e, src, dst, _, _ in item[1].tshark_layers}
        for recs, members in batches:
            if all(recs.get(k, v) == v for k, v in records.items()) and len(members) < 400:
                recs.update(records)
                members.append(item)
                break
        else:
            batches.append((dict(records), [item]))
    return [m for _, m in batches]


def run_tshark(batch, version: str, errors: List[str]) -> None:
    records = {}
    for _, check, _ in batch:
        for e, src, dst, _, _ in check.tshark_layers:
            records[(src, dst, e.spi)] = e
    with tempfile.TemporaryDirectory() as tmp:
        pcap = os.path.join(tmp, "expected.pcap")
        writer = PcapWriter(pcap, linktype=1, sync=True)
        for _, check, frame in batch:
            if check.vector["encapsulation"] != "ieee802.3":
                frame = bytes.fromhex("020000000002020000000001") + b"\x08\x00" + frame
            writer.write(frame)
        writer.close()
        # Only ESP fields are read. An application dissector that throws on a payload ends the
        # ESP layer before its trailer and ICV fields: DNS does on the fuzz framings' UDP
        # payloads to port 53 (vectors/regressions/), so it is off.
        cmd = ["tshark", "-r", pcap, "--disable-protocol", "dns", "-o", "esp.enable_encryption_decode:TRUE",
               "-o", "esp.enable_authentication_check:TRUE"]
        for (src, dst, spi), e in records.items():
            auth = TSHARK_AUTH[None if e.gcm else e.integ]
            cmd += ["-o", f'uat:esp_sa:"IPv4","{src}","{dst}","0x{spi:08x}",'
                          f'"{TSHARK_CRYPT[e.conf]}","0x{e.conf_key.hex()}","{auth}",'
                          f'"0x{e.integ_key.hex() if not e.gcm else ""}"']
        cmd += ["-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|", "-e", "frame.number",
                "-e", "esp.spi", "-e", "esp.icv_good", "-e", "esp.pad_len", "-e", "esp.protocol"]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            errors.append(f"tshark failed: {out.stderr.strip()[:400]}")
            return
    lines = out.stdout.splitlines()
    for (vid, check, _), line in zip(batch, lines):
        fields = (line.split("\t") + [""] * 5)[:5]
        spis, goods, pads, nhs = (f.split("|") if f else [] for f in fields[1:])
        layers = check.tshark_layers
        # icv_good appears once per layer with an ICV; the trailer fields once per layer whose
        # trailer tshark shows (it shows none after an empty payload, nor for a dummy packet:
        # next header 59, RFC 4303 §2.6).
        with_icv = [x for x in layers if x[0].gcm or x[0].integ]
        dummies = [x for x in layers if x[4] == 59]
        if dummies and len(dummies) < len(layers):
            layers = [x for x in layers if x[4] != 59]
        trailers = len(pads) == len(layers) and len(nhs) == len(layers)
        problem = None
        if [int(x, 16) for x in spis[: len(layers)]] != [x[0].spi for x in layers]:
            problem = "SPIs"
        elif goods[: len(with_icv)] != ["1"] * len(with_icv):
            problem = "ICV"
        elif trailers and [(int(p), int(n, 16)) for p, n in zip(pads, nhs)] != \
                [(x[3], x[4]) for x in layers]:
            problem = "trailer"
        elif not trailers and (len(layers) > 1 or pads or nhs):
            problem = "trailer fields"
        if problem:
            errors.append(f"{vid}: tshark does not confirm ({problem}): spi={spis} "
                          f"icv_good={goods} pad_len={pads} next_header={nhs}")
            continue
        for e, _, _, _, nh in check.tshark_layers:
            what = "decrypted" if e.conf != "NONE" else "parsed"
            what += ", ICV good" if (e.gcm or e.integ) else ""
            if nh == 59 and dummies and len(dummies) < len(check.tshark_layers):
                what += " (a dummy packet, next header 59: no trailer shown)"
            else:
                what += ", pad length and next header as framed" if trailers else \
                    " (no trailer shown after an empty payload)"
            check.confirm(f"{version}: {e.label()} {what}")
    if len(lines) != len(batch):
        errors.append(f"tshark printed {len(lines)} lines for {len(batch)} frames")


# ---- driver --------------------------------------------------------------------------------------


def iv_freshness(checks: List[Tuple[str, SendCheck, bytes]], errors: List[str]) -> List[Tuple[str, str]]:
    """Within a vector, the IVs one SA draws over its sends must all differ: a vector that
    supplied one twice would make a conforming NIC repeat a nonce under one key (RFC 4106
    section 3.1, RFC 4543 section 3.1) or a CBC IV (RFC 3602 section 3). Returns a confirmation
    per SA that draws more than one IV."""
    drawn: Dict[str, Dict[Tuple[str, str], List[bytes]]] = {}
    for vid, check, _ in checks:
        for sa, protocol, iv in check.ivs:
            drawn.setdefault(vid, {}).setdefault((sa, protocol), []).append(iv)
    out = []
    for vid, per_sa in drawn.items():
        for (sa, protocol), ivs in per_sa.items():
            if len(ivs) < 2:
                continue
            repeated = [iv for i, iv in enumerate(ivs) if iv in ivs[:i]]
            if repeated:
                errors.append(f"{vid}: {protocol} SA {sa} draws IV {repeated[0].hex()} in more than "
                              "one send")
                continue
            out.append((vid, f"crosscheck: {protocol} SA {sa}: {len(ivs)} IVs over the vector's "
                             "sends, all different, each the one its send supplied"))
    return out


def load(vectors_dir: Path, only: Optional[str]):
    for suite in SUITES:
        for path in sorted((vectors_dir / suite).glob("*.json")):
            document = json.loads(path.read_text())
            for vector in document["vectors"]:
                if only and only not in vector["id"]:
                    continue
                yield path, vector


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=Path, default=TOOLS.parent)
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--only")
    args = parser.parse_args()
    versions = tool_versions()
    errors: List[str] = []
    per_vector: Dict[str, List[str]] = {}
    checks: List[Tuple[str, SendCheck, bytes]] = []
    vectors = list(load(args.vectors, args.only))
    for path, vector in vectors:
        per_vector.setdefault(vector["id"], [])
        sends = [s for s in vector["steps"] if s["op"] == "send"]
        for n, step in enumerate(sends):
            if step["expect"]["frame"] is None:
                continue
            check = SendCheck(vector, step, versions)
            try:
                check.run()
            except Mismatch as exc:
                errors.append(f"{path.name} {vector['id']} send {n}: {exc}")
                continue
            except (IndexError, struct.error) as exc:
                errors.append(f"{path.name} {vector['id']} send {n}: cannot parse: {exc}")
                continue
            checks.append((vector["id"], check, hexbytes(step["expect"]["frame"])))
    with_layers = [c for c in checks if c[1].tshark_layers]
    for batch in tshark_batches(with_layers):
        run_tshark(batch, versions["tshark"], errors)
    for vid, check, _ in checks:
        for text in check.confirmations:
            if text not in per_vector[vid]:
                per_vector[vid].append(text)
    for vid, text in iv_freshness(checks, errors):
        per_vector[vid].append(text)
    for _, vector in vectors:
        if not any(s["op"] == "send" and s["expect"]["frame"] is not None for s in vector["steps"]):
            per_vector[vector["id"]] = ["crosscheck: nothing is emitted; the expected status "
                                        "follows the status table of reference_nic/README.md"]
    if args.record:
        out = TOOLS / "confirmations.json"
        merged = json.loads(out.read_text()) if (out.exists() and args.only) else {}
        merged.update(per_vector)
        out.write_text(json.dumps(dict(sorted(merged.items())), indent=1) + "\n")
    else:
        for _, vector in vectors:
            committed = [c for c in vector["provenance"]["confirmed_by"] if c.startswith(TOOL_PREFIXES)]
            if committed != per_vector[vector["id"]]:
                errors.append(f"{vector['id']}: provenance.confirmed_by {committed} differs from "
                              f"this run {per_vector[vector['id']]}")
    for error in errors:
        print(f"crosscheck: {error}", file=sys.stderr)
    confirmed = sum(1 for c in checks)
    print(f"crosscheck: {len(vectors)} vectors, {confirmed} emitted frames confirmed, "
          f"{len(errors)} problems ({', '.join(versions.values())})")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
