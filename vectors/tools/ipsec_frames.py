"""Constructive IPsec framing for the sendpath vector generator.

A packet is described as the TCP/IP transport would build it (IPv4 header, optional AH and ESP,
payload or an inner IPv4 packet for tunnel mode) and rendered twice:

* framed: what the transport hands the NIC (zero IV field, plaintext, zero ICV space);
* protected: what must leave the NIC, computed from the inside out with python3-cryptography
  primitives (inner/transport portion first, then the tunnel portion; ESP before AH).

Nothing here reads a framed packet back: the expected output is built, not patched, so it is
independent of any in-place NIC implementation.
"""
from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import algorithm_table

PROTO_IPV4 = 4
PROTO_ESP = 50
PROTO_AH = 51
PROTO_UDP = 17

# ---- Algorithm table (reference_nic/README.md "Algorithms") ----------------------------------


@dataclass(frozen=True)
class ConfAlgorithm:
    name: str
    key_bytes: int  # including the 4-byte salt for GCM (RFC 4106 section 8.1)
    iv_bytes: int
    block: int  # CBC block; 4 for stream/AEAD/null (RFC 4303 section 2.4 alignment)
    kind: str  # "null" | "cbc" | "gcm"
    capability: str
    icv_bytes: int = 0  # GCM's own ICV


@dataclass(frozen=True)
class IntegrityAlgorithm:
    name: str
    key_bytes: int  # including the 4-byte salt for GMAC (RFC 4543)
    icv_bytes: int
    kind: str  # "hmac" | "gmac"
    capability: str
    iv_bytes: int = 0  # GMAC's IV


# The rows of include/sendpath/algorithms.def (algorithm_table.py); the computations below are
# this generator's own, on python3-cryptography.
CONF_ALGORITHMS: Dict[str, ConfAlgorithm] = {
    r.name: ConfAlgorithm(r.name, r.keymat, r.iv, max(4, r.block), r.family, r.capability, r.icv)
    for r in algorithm_table.CONF_ROWS
}

INTEGRITY_ALGORITHMS: Dict[str, IntegrityAlgorithm] = {
    r.name: IntegrityAlgorithm(r.name, r.keymat, r.icv, r.family, r.capability, r.iv)
    for r in algorithm_table.INTEGRITY_ROWS if r.family != "none"
}

# The HMAC digests by their OpenSSL names (the table's column), e.g. "SHA1" -> hashes.SHA1.
_HMAC_HASH = {r.name: getattr(hashes, r.openssl) for r in algorithm_table.INTEGRITY_ROWS if r.family == "hmac"}

# RFC 4302 Appendix A: IPv4 options included in the ICV unchanged (full type octets).
IMMUTABLE_OPTION_TYPES = {0: "EOL", 1: "NOP", 130: "Security", 133: "Extended Security",
                          134: "Commercial Security", 148: "Router Alert", 149: "SDMDD"}
SOURCE_ROUTE_OPTION_TYPES = {131: "LSRR", 137: "SSRR"}


# ---- Primitives (python3-cryptography) ------------------------------------------------------


def cbc_encrypt(conf: ConfAlgorithm, key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    if conf.name.startswith("AES_CBC"):
        algorithm = algorithms.AES(key)
    else:
        # DES-CBC is 3DES with K1 = K2 = K3 (cryptography expands an 8-byte key that way).
        algorithm = algorithms.TripleDES(key)
    encryptor = Cipher(algorithm, modes.CBC(iv)).encryptor()
    return encryptor.update(plaintext) + encryptor.finalize()


def hmac_icv(integ: IntegrityAlgorithm, key: bytes, data: bytes) -> bytes:
    mac = hmac.HMAC(key, _HMAC_HASH[integ.name]())
    mac.update(data)
    return mac.finalize()[: integ.icv_bytes]


def gcm_seal(key_and_salt: bytes, iv: bytes, plaintext: bytes, aad: bytes) -> Tuple[bytes, bytes]:
    """AES-GCM per RFC 4106: nonce = salt || IV, 16-byte tag. Returns (ciphertext, tag)."""
    key, salt = key_and_salt[:-4], key_and_salt[-4:]
    sealed = AESGCM(key).encrypt(salt + iv, plaintext, aad)
    return sealed[:-16], sealed[-16:]


def gmac_tag(key_and_salt: bytes, iv: bytes, aad: bytes) -> bytes:
    """AES-GMAC per RFC 4543: GCM with an empty plaintext, nonce = salt || IV."""
    return gcm_seal(key_and_salt, iv, b"", aad)[1]


def ipv4_checksum(header: bytes) -> int:
    total = 0
    for i in range(0, len(header), 2):
        total += (header[i] << 8) | header[i + 1]
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def ip_bytes(dotted: str) -> bytes:
    return bytes(int(p) for p in dotted.split("."))


# ---- SA description --------------------------------------------------------------------------


@dataclass
class SecAssoc:
    """One OFFLOAD_SECURITY_ASSOCIATION element plus its keys."""

    operation: str  # "ENCRYPT" (ESP) | "AUTHENTICATE" (AH)
    spi: int
    conf: Optional[str] = None  # algorithm name; None for AH
    conf_key: bytes = b""
    integrity: Optional[str] = None  # None for no integrity
    integrity_key: bytes = b""
    esn_high: Optional[int] = None

    @property
    def is_esp(self) -> bool:
        return self.operation == "ENCRYPT"

    def conf_algorithm(self) -> ConfAlgorithm:
        return CONF_ALGORITHMS[self.conf or "NONE"]

    def integrity_algorithm(self) -> Optional[IntegrityAlgorithm]:
        return INTEGRITY_ALGORITHMS[self.integrity] if self.integrity else None

    def is_gcm(self) -> bool:
        return self.is_esp and self.conf_algorithm().kind == "gcm"

    def is_esp_gmac(self) -> bool:
        integ = self.integrity_algorithm()
        return self.is_esp and not self.is_gcm() and integ is not None and integ.kind == "gmac"

    def esp_iv_bytes(self) -> int:
        if self.is_gcm():
            return 8
        if self.is_esp_gmac():
            return 8  # RFC 4543 section 3.1: ENCR_NULL_AUTH_AES_GMAC carries an 8-byte IV
        return self.conf_algorithm().iv_bytes

    def esp_align(self) -> int:
        return max(4, self.conf_algorithm().block)

    def esp_icv_bytes(self) -> int:
        if self.is_gcm():
            return 16
        integ = self.integrity_algorithm()
        return integ.icv_bytes if integ else 0

    def ah_iv_bytes(self) -> int:
        integ = self.integrity_algorithm()
        return integ.iv_bytes if integ else 0

    def ah_icv_bytes(self) -> int:
        integ = self.integrity_algorithm()
        return integ.icv_bytes if integ else 0

    def ivs_per_send(self) -> int:
        return 1 if (self.esp_iv_bytes() if self.is_esp else self.ah_iv_bytes()) else 0


@dataclass
class Sa:
    """An OID_TCP_TASK_IPSEC_ADD_SA request: filter, tunnel endpoints, bundle."""

    name: str
    bundle: List[SecAssoc]
    filter_src: str = "0.0.0.0"
    filter_dst: str = "0.0.0.0"
    protocol: int = 0
    tunnel: Optional[Tuple[str, str]] = None
    direction: str = "outbound"
    key_order: str = "conf_first"

    def element(self, esp: bool) -> SecAssoc:
        for elem in self.bundle:
            if elem.is_esp == esp:
                return elem
        raise KeyError(f"SA {self.name} has no {'ESP' if esp else 'AH'} element")


# ---- Packet description ----------------------------------------------------------------------


@dataclass
class Ipv4:
    src: str
    dst: str
    tos: int = 0
    ident: int = 0x1234
    flags: int = 0x2  # bit 2 reserved, bit 1 DF, bit 0 MF (RFC 791)
    frag_offset: int = 0
    ttl: int = 64
    options: bytes = b""  # already padded to a multiple of 4 by the caller
    protocol: Optional[int] = None  # None: derived from the next header
    # Overrides after rendering, for misframed packets (robustness / refusal vectors).
    total_length_override: Optional[int] = None
    ihl_override: Optional[int] = None
    version_override: Optional[int] = None
    checksum_override: Optional[int] = None


@dataclass
class UdpEncap:
    """RFC 3948 section 2.1: the UDP header in front of ESP (NAT-T). The transport frames it; the
    NIC leaves it as framed. Overrides make misframed packets."""

    sport: int = 4500
    dport: int = 4500
    checksum: int = 0  # RFC 3948 section 3.1: SHOULD be sent as zero
    length_delta: int = 0  # added to the correct UDP Length


@dataclass
class Esp:
    sa: str
    seq: int
    udp: Optional[UdpEncap] = None  # UDP-encapsulated ESP
    extra_pad_blocks: int = 0  # non-minimal padding (RFC 4303 section 2.4 allows up to 255)
    pad_length_override: Optional[int] = None  # misframed: pad length byte as written
    spi_override: Optional[int] = None


@dataclass
class Ah:
    sa: str
    seq: int
    payload_len_override: Optional[int] = None
    next_header_override: Optional[int] = None
    spi_override: Optional[int] = None


@dataclass
class Packet:
    ip: Ipv4
    payload: Union[bytes, "Packet"]
    upper_protocol: int = 17  # next header of a bytes payload
    ah: Optional[Ah] = None
    esp: Optional[Esp] = None

    def headers(self) -> List["Packet"]:
        out = [self]
        if isinstance(self.payload, Packet):
            out += self.payload.headers()
        return out


@dataclass
class Rendered:
    data: bytes
    iv_positions: List[Tuple[int, int]] = field(default_factory=list)  # visible IVs only


class IvSupply:
    """The IVs the NIC is to generate, per SA name, in generation order."""

    def __init__(self, ivs: Dict[str, List[bytes]]):
        self._ivs = {k: list(v) for k, v in ivs.items()}
        self._next = {k: 0 for k in ivs}

    def take(self, sa: str, length: int) -> bytes:
        index = self._next.get(sa, 0)
        supplied = self._ivs.get(sa, [])
        if index >= len(supplied):
            raise ValueError(f"no IV {index} supplied for SA {sa}")
        iv = supplied[index]
        if len(iv) != length:
            raise ValueError(f"IV {index} of SA {sa} has {len(iv)} bytes, needs {length}")
        self._next[sa] = index + 1
        return iv

    def all_used(self) -> bool:
        return all(self._next[k] == len(v) for k, v in self._ivs.items())


def pad_length_for(payload_len: int, align: int, extra_blocks: int = 0) -> int:
    """Minimal RFC 4303 padding so payload + padding + 2 is a multiple of `align`."""
    pad = (-(payload_len + 2)) % align
    return pad + extra_blocks * align


def esn_high_bytes(elem: SecAssoc) -> bytes:
    return struct.pack("!I", elem.esn_high) if elem.esn_high is not None else b""


def _ipv4_header(ip: Ipv4, protocol: int, body_len: int) -> bytes:
    if len(ip.options) % 4:
        raise ValueError("IPv4 options must be padded to a multiple of 4 bytes")
    ihl = 5 + len(ip.options) // 4
    total = ihl * 4 + body_len
    header = bytearray(
        struct.pack("!BBHHHBBH4s4s", (4 << 4) | ihl, ip.tos, total, ip.ident,
                    (ip.flags << 13) | ip.frag_offset, ip.ttl,
                    ip.protocol if ip.protocol is not None else protocol, 0,
                    ip_bytes(ip.src), ip_bytes(ip.dst)) + ip.options)
    struct.pack_into("!H", header, 10, ipv4_checksum(bytes(header)))
    return bytes(header)


def _apply_overrides(ip: Ipv4, header: bytes) -> bytes:
    h = bytearray(header)
    touched = False
    if ip.version_override is not None:
        h[0] = (ip.version_override << 4) | (h[0] & 0xF)
        touched = True
    if ip.ihl_override is not None:
        h[0] = (h[0] & 0xF0) | ip.ihl_override
        touched = True
    if ip.total_length_override is not None:
        struct.pack_into("!H", h, 2, ip.total_length_override)
        touched = True
    if touched:
        # The transport would still write a correct checksum over what it wrote.
        struct.pack_into("!H", h, 10, 0)
        struct.pack_into("!H", h, 10, ipv4_checksum(bytes(h[: len(header)])))
    if ip.checksum_override is not None:
        struct.pack_into("!H", h, 10, ip.checksum_override)
    return bytes(h)


def ah_zeroed_ipv4_header(header: bytes) -> bytes:
    """RFC 4302 section 3.3.3.1.1.1 and Appendix A: the IPv4 header as the AH ICV sees it."""
    h = bytearray(header)
    h[1] = 0  # TOS
    h[6:8] = b"\0\0"  # flags + fragment offset
    h[8] = 0  # TTL
    h[10:12] = b"\0\0"  # header checksum
    ihl = (h[0] & 0xF) * 4
    i = 20
    while i < ihl:
        opt_type = h[i]
        if opt_type == 0:  # EOL: the rest is padding, included as is
            break
        if opt_type == 1:  # NOP
            i += 1
            continue
        length = h[i + 1]
        if length < 2 or i + length > ihl:
            raise ValueError(f"malformed IPv4 option at {i}")
        if opt_type in SOURCE_ROUTE_OPTION_TYPES and length >= 7:
            # The destination as the receiver will see it: the route's last address.
            h[16:20] = h[i + length - 4: i + length]
        if opt_type not in IMMUTABLE_OPTION_TYPES:
            h[i: i + length] = bytes(length)  # mutable: zeroed entirely, type and length too
        i += length
    return bytes(h)


def render(pkt: Packet, sas: Dict[str, Sa], processed: Sequence[str], ivs: IvSupply,
           base: int = 0) -> Rendered:
    """Render `pkt` at absolute frame offset `base`. SAs named in `processed` are applied."""
    ip_hdr_len = 20 + len(pkt.ip.options)
    ah_len = 0
    ah_iv_len = 0
    ah_icv_len = 0
    if pkt.ah:
        ah_elem = sas[pkt.ah.sa].element(esp=False)
        ah_iv_len, ah_icv_len = ah_elem.ah_iv_bytes(), ah_elem.ah_icv_bytes()
        ah_len = 12 + ah_iv_len + ah_icv_len
    udp_len = 8 if pkt.esp and pkt.esp.udp else 0
    esp_base = base + ip_hdr_len + ah_len + udp_len

    # The payload: an inner packet (tunnel) is rendered first, as the transport portion is
    # processed before the tunnel portion.
    iv_positions: List[Tuple[int, int]] = []
    if isinstance(pkt.payload, Packet):
        inner_offset = esp_base
        if pkt.esp:
            inner_offset += 8 + sas[pkt.esp.sa].element(esp=True).esp_iv_bytes()
        inner = render(pkt.payload, sas, processed, ivs, inner_offset)
        payload, next_header = inner.data, PROTO_IPV4
        inner_ivs = inner.iv_positions
    else:
        payload, next_header = pkt.payload, pkt.upper_protocol
        inner_ivs = []

    body = payload
    if pkt.esp:
        elem = sas[pkt.esp.sa].element(esp=True)
        spi = pkt.esp.spi_override if pkt.esp.spi_override is not None else elem.spi
        pad = pad_length_for(len(payload), elem.esp_align(), pkt.esp.extra_pad_blocks)
        if pad > 255:
            raise ValueError("ESP pad length above 255")
        pad_byte = pkt.esp.pad_length_override if pkt.esp.pad_length_override is not None else pad
        plaintext = payload + bytes(range(1, pad + 1)) + bytes([pad_byte, next_header])
        if elem.conf_algorithm().kind == "cbc" and len(plaintext) % elem.conf_algorithm().block:
            raise ValueError("CBC plaintext not block aligned")
        iv_len, icv_len = elem.esp_iv_bytes(), elem.esp_icv_bytes()
        head = struct.pack("!II", spi, pkt.esp.seq)
        if pkt.esp.sa in processed:
            iv = ivs.take(pkt.esp.sa, iv_len) if iv_len else b""
            conf = elem.conf_algorithm()
            seq_aad = struct.pack("!I", spi) + esn_high_bytes(elem) + struct.pack("!I", pkt.esp.seq)
            if conf.kind == "gcm":
                # RFC 4106 section 5: AAD = SPI || [seq high] || seq low.
                ciphertext, icv = gcm_seal(elem.conf_key, iv, plaintext, seq_aad)
            elif elem.is_esp_gmac():
                # RFC 4543 section 3.3: AAD = SPI || seq || IV || payload .. next header.
                ciphertext = plaintext
                icv = gmac_tag(elem.integrity_key, iv, seq_aad + iv + plaintext)
            else:
                ciphertext = (cbc_encrypt(conf, elem.conf_key, iv, plaintext)
                              if conf.kind == "cbc" else plaintext)
                integ = elem.integrity_algorithm()
                # RFC 4303 sections 2.8 and 2.2.1: ICV over SPI .. ciphertext, ESN high after.
                icv = (hmac_icv(integ, elem.integrity_key, head + iv + ciphertext +
                                esn_high_bytes(elem)) if integ else b"")
            if iv_len:
                iv_positions.append((esp_base + 8, iv_len))
            if conf.kind == "null":
                iv_positions += inner_ivs  # still visible: null ESP does not hide them
        else:
            iv, ciphertext, icv = bytes(iv_len), plaintext, bytes(icv_len)
            iv_positions += inner_ivs
        body = head + iv + ciphertext + icv
        next_header = PROTO_ESP
        if pkt.esp.udp:
            u = pkt.esp.udp
            body = struct.pack("!HHHH", u.sport, u.dport, 8 + len(body) + u.length_delta, u.checksum) + body
            next_header = PROTO_UDP
    else:
        iv_positions += inner_ivs

    protocol = next_header
    if pkt.ah:
        elem = sas[pkt.ah.sa].element(esp=False)
        spi = pkt.ah.spi_override if pkt.ah.spi_override is not None else elem.spi
        payload_len = ah_len // 4 - 2
        if pkt.ah.payload_len_override is not None:
            payload_len = pkt.ah.payload_len_override
        ah_next = pkt.ah.next_header_override if pkt.ah.next_header_override is not None else next_header
        ah_fixed = struct.pack("!BBHII", ah_next, payload_len, 0, spi, pkt.ah.seq)
        zero_ah = ah_fixed + bytes(ah_iv_len) + bytes(ah_icv_len)
        header = _apply_overrides(pkt.ip, _ipv4_header(pkt.ip, PROTO_AH, ah_len + len(body)))
        if pkt.ah.sa in processed:
            iv = ivs.take(pkt.ah.sa, ah_iv_len) if ah_iv_len else b""
            ah_with_iv = ah_fixed + iv + bytes(ah_icv_len)
            # RFC 4302 section 3.3.3: the ICV covers the zeroed IP header, AH with a zero ICV
            # (RFC 4543 section 5: the GMAC IV included) and everything after; ESN high last.
            signed = ah_zeroed_ipv4_header(header) + ah_with_iv + body + esn_high_bytes(elem)
            integ = elem.integrity_algorithm()
            if integ.kind == "gmac":
                icv = gmac_tag(elem.integrity_key, iv, signed)
            else:
                icv = hmac_icv(integ, elem.integrity_key, signed)
            ah_bytes = ah_fixed + iv + icv
            if ah_iv_len:
                iv_positions.append((base + ip_hdr_len + 12, ah_iv_len))
        else:
            ah_bytes = zero_ah
        return Rendered(header + ah_bytes + body, sorted(iv_positions))
    header = _apply_overrides(pkt.ip, _ipv4_header(pkt.ip, protocol, len(body)))
    return Rendered(header + body, sorted(iv_positions))


# ---- Upper-layer payloads --------------------------------------------------------------------


def udp_datagram(src: str, dst: str, sport: int, dport: int, data: bytes) -> bytes:
    length = 8 + len(data)
    pseudo = ip_bytes(src) + ip_bytes(dst) + struct.pack("!BBH", 0, 17, length)
    seg = struct.pack("!HHHH", sport, dport, length, 0) + data
    blob = pseudo + seg + (b"\0" if len(seg) % 2 else b"")
    csum = ipv4_checksum(blob) or 0xFFFF
    return seg[:6] + struct.pack("!H", csum) + seg[8:]


def icmp_echo(ident: int, seq: int, data: bytes) -> bytes:
    msg = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    blob = msg + (b"\0" if len(msg) % 2 else b"")
    return msg[:2] + struct.pack("!H", ipv4_checksum(blob)) + msg[4:]


def deterministic_bytes(label: str, length: int) -> bytes:
    """Seeded filler: the same label always gives the same bytes."""
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"{label}/{counter}".encode()).digest()
        counter += 1
    return out[:length]
