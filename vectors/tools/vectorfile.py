"""Building `sendpath-vectors/1` vectors and writing them as reviewable JSON."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import algorithm_table
from ipsec_frames import (CONF_ALGORITHMS, INTEGRITY_ALGORITHMS, IvSupply, Packet, Sa, SecAssoc,
                          render)

FORMAT = "sendpath-vectors/1"
ETHERNET_HEADER = bytes.fromhex("020000000002" "020000000001" "0800")

STATUSES = set(algorithm_table.NDIS_STATUSES)  # include/sendpath/statuses.def
CAPABILITIES = (
    ["Supported.AH_ESP_COMBINED", "Supported.TRANSPORT_TUNNEL_COMBINED", "Supported.V4_OPTIONS",
     "Supported.IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER", "Supported.IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER",
     "Supported.IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER",
     "Supported.IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_OTHER",
     "V4AH.MD5", "V4AH.SHA_1", "V4AH.Transport", "V4AH.Tunnel", "V4AH.Send",
     "V4ESP.DES", "V4ESP.TRIPLE_DES", "V4ESP.NULL_ESP", "V4ESP.Transport", "V4ESP.Tunnel",
     "V4ESP.Send", "V2.AUTHENTICATION_SHA_256"]
    + [f"V2.AUTHENTICATION_AES_GCM_{n}" for n in (128, 192, 256)]
    + [f"V2.ENCRYPTION_AES_GCM_{n}" for n in (128, 192, 256)]
    + [f"V2.ENCRYPTION_AES_CBC_{n}" for n in (128, 192, 256)]
    + ["Extension.ESN", "Extension.ENCRYPTION_ONLY_ESP", "Extension.KEYMAT_INTEGRITY_FIRST"])
CAPABILITY_ORDER = {c: i for i, c in enumerate(CAPABILITIES)}

GENERATOR = "vectors/tools/generate.py"


def hex_lines(data: bytes, per_line: int = 32) -> List[str]:
    """Frames as arrays of hex lines, 32 bytes a line in 2-byte groups."""
    lines = []
    for i in range(0, len(data), per_line):
        chunk = data[i: i + per_line].hex()
        lines.append(" ".join(chunk[j: j + 4] for j in range(0, len(chunk), 4)))
    return lines or [""]


def sort_caps(caps: Iterable[str]) -> List[str]:
    return sorted(set(caps), key=lambda c: CAPABILITY_ORDER[c])


def is_encryption_only(elem: SecAssoc, bundle: Sequence[SecAssoc]) -> bool:
    """ESP with a non-AEAD cipher, no integrity and no AH in the bundle (contract section 3)."""
    return (elem.is_esp and elem.integrity is None and not elem.is_gcm()
            and (elem.conf or "NONE") != "NONE" and not any(not e.is_esp for e in bundle))


def sa_capabilities(sa: Sa) -> List[str]:
    caps = []
    for elem in sa.bundle:
        proto = "V4ESP" if elem.is_esp else "V4AH"
        caps += [f"{proto}.Send", f"{proto}.{'Tunnel' if sa.tunnel else 'Transport'}"]
        if elem.is_esp:
            caps.append(CONF_ALGORITHMS[elem.conf or "NONE"].capability)
        if elem.integrity:
            caps.append(INTEGRITY_ALGORITHMS[elem.integrity].capability)
        if elem.esn_high is not None:
            caps.append("Extension.ESN")
        if is_encryption_only(elem, sa.bundle):
            caps.append("Extension.ENCRYPTION_ONLY_ESP")
    if len(sa.bundle) == 2:
        caps.append("Supported.AH_ESP_COMBINED")
    if sa.key_order == "integrity_first":
        caps.append("Extension.KEYMAT_INTEGRITY_FIRST")
    return caps


def packet_capabilities(pkt: Packet) -> List[str]:
    return ["Supported.V4_OPTIONS"] if any(p.ip.options for p in pkt.headers()) else []


def algorithm_json(name: str, key: bytes, key_length: Optional[int] = None) -> Dict[str, Any]:
    out: Dict[str, Any] = {"algorithm": name, "key": key.hex()}
    if key_length is not None:
        out["key_length"] = key_length
    return out


def sa_json(sa: Sa, raw: Optional[Dict[str, Any]] = None, flags_raw: Optional[int] = None,
            key_lengths: Optional[Dict[Tuple[int, str], int]] = None,
            conf_override: Optional[Dict[int, Any]] = None) -> Dict[str, Any]:
    """The vector's `sas` entry. key_lengths[(element, "conf"|"integrity")] states an algoKeylen
    that differs from the key; conf_override[element] replaces an element's conf (e.g. an AH
    element carrying a ConfAlgo)."""
    key_lengths = key_lengths or {}
    conf_override = conf_override or {}
    bundle = []
    for i, elem in enumerate(sa.bundle):
        if i in conf_override:
            conf = conf_override[i]
        elif elem.is_esp:
            conf = algorithm_json(elem.conf or "NONE", elem.conf_key, key_lengths.get((i, "conf")))
        else:
            conf = None
        integ = (algorithm_json(elem.integrity, elem.integrity_key,
                                key_lengths.get((i, "integrity"))) if elem.integrity else None)
        bundle.append({"operation": elem.operation, "spi": elem.spi, "conf": conf,
                       "integrity": integ, "esn_high": elem.esn_high})
    out: Dict[str, Any] = {}
    if flags_raw is not None:
        out["flags_raw"] = flags_raw
    else:
        out["direction"] = sa.direction
    mask = lambda a: "0.0.0.0" if a == "0.0.0.0" else "255.255.255.255"  # noqa: E731
    out["filter"] = {"src": sa.filter_src, "src_mask": mask(sa.filter_src),
                     "dst": sa.filter_dst, "dst_mask": mask(sa.filter_dst),
                     "protocol": sa.protocol, "src_port": 0, "dst_port": 0}
    out["tunnel"] = {"src": sa.tunnel[0], "dst": sa.tunnel[1]} if sa.tunnel else None
    out["key_order"] = sa.key_order
    out["bundle"] = bundle
    if raw is not None:
        out["raw"] = raw
    return out


@dataclass
class SendResult:
    frame: bytes
    expected: Optional[bytes]
    iv_bytes: List[Tuple[int, int]]
    ivs: Dict[str, List[bytes]]


def frame_send(pkt: Packet, sas: Dict[str, Sa], processed: Sequence[str],
               ivs: Dict[str, List[bytes]], encapsulation: str = "null",
               trailer: bytes = b"", refused: bool = False) -> SendResult:
    """Frame `pkt` as the transport does and compute what the NIC must emit."""
    prefix = ETHERNET_HEADER if encapsulation == "ieee802.3" else b""
    framed = render(pkt, sas, (), IvSupply({}), len(prefix)).data
    frame = prefix + framed + trailer
    if refused:
        return SendResult(frame, None, [], {})
    supply = IvSupply(ivs)
    out = render(pkt, sas, processed, supply, len(prefix))
    if not supply.all_used():
        raise ValueError("not every supplied IV was used")
    return SendResult(frame, prefix + out.data + trailer, out.iv_positions, ivs)


def iv_for(label: str, length: int) -> bytes:
    from ipsec_frames import deterministic_bytes
    return deterministic_bytes("iv/" + label, length)


def ivs_for(sas: Dict[str, Sa], processed: Sequence[str], label: str) -> Dict[str, List[bytes]]:
    """Seeded IVs for every IV the processed SAs draw (ESP before AH within a bundle)."""
    out: Dict[str, List[bytes]] = {}
    for name in processed:
        ivs = []
        for i, elem in enumerate(sas[name].bundle):
            length = elem.esp_iv_bytes() if elem.is_esp else elem.ah_iv_bytes()
            if length:
                ivs.append(iv_for(f"{label}/{name}/{i}", length))
        if ivs:
            out[name] = ivs
    return out


class Vector:
    def __init__(self, vid: str, title: str, flags: Sequence[str], source: str,
                 vclass: str = "MUST", encapsulation: str = "null", comment: str = ""):
        self.id = vid
        self.title = title
        self.flags = list(dict.fromkeys(flags))
        self.source = source
        self.vclass = vclass
        self.encapsulation = encapsulation
        self.comment = comment
        self.generator = GENERATOR
        self.confirmed_by: List[str] = []
        self.requires: List[str] = []
        self.sas: Dict[str, Dict[str, Any]] = {}
        self.steps: List[Dict[str, Any]] = []
        self.sample_checks: List[str] = []

    # -- steps --
    def set(self, enable: Iterable[str], expect: str = "NDIS_STATUS_SUCCESS") -> "Vector":
        self.steps.append({"op": "set", "enable": sort_caps(enable), "expect": expect})
        return self

    def add_sa(self, name: str, expect: str = "NDIS_STATUS_SUCCESS") -> "Vector":
        self.steps.append({"op": "add_sa", "sa": name, "expect": expect})
        return self

    def delete_sa(self, name: Optional[str] = None, handle: Any = None,
                  expect: str = "NDIS_STATUS_SUCCESS") -> "Vector":
        step: Dict[str, Any] = {"op": "delete_sa"}
        if name is not None:
            step["sa"] = name
        else:
            step["handle"] = handle
        step["expect"] = expect
        self.steps.append(step)
        return self

    def add_udpesp_sa(self, name: str, parser_entry: Any = 0,
                      expect: str = "NDIS_STATUS_SUCCESS") -> "Vector":
        step: Dict[str, Any] = {"op": "add_udpesp_sa", "sa": name}
        if parser_entry != 0:
            step["parser_entry"] = parser_entry
        step["expect"] = expect
        self.steps.append(step)
        return self

    def delete_udpesp_sa(self, name: str, parser_entry: Any = 0,
                         expect: str = "NDIS_STATUS_SUCCESS") -> "Vector":
        step: Dict[str, Any] = {"op": "delete_udpesp_sa", "sa": name}
        if parser_entry != 0:
            step["parser_entry"] = parser_entry
        step["expect"] = expect
        self.steps.append(step)
        return self

    def fill_sa_table(self, name: str, limit: int) -> "Vector":
        self.steps.append({"op": "fill_sa_table", "sa": name, "limit": limit})
        return self

    def send(self, result: SendResult, info: Optional[Tuple[Any, Any]],
             status: str = "NDIS_STATUS_SUCCESS", split: Optional[List[int]] = None) -> "Vector":
        step: Dict[str, Any] = {"op": "send", "frame": hex_lines(result.frame)}
        if split:
            step["split"] = split
        step["info"] = (None if info is None else
                        {"OffloadHandle": info[0], "NextOffloadHandle": info[1]})
        if result.ivs and result.expected is not None:
            step["ivs"] = {k: [iv.hex() for iv in v] for k, v in result.ivs.items()}
        expect: Dict[str, Any] = {"status": status,
                                  "frame": hex_lines(result.expected) if result.expected is not None else None}
        if result.expected is not None and result.iv_bytes:
            expect["iv_bytes"] = [list(p) for p in result.iv_bytes]
        step["expect"] = expect
        self.steps.append(step)
        return self

    def unchanged_send(self, frame: bytes, info: Optional[Tuple[Any, Any]],
                       split: Optional[List[int]] = None) -> "Vector":
        return self.send(SendResult(frame, frame, [], {}), info, split=split)

    def to_json(self) -> Dict[str, Any]:
        provenance: Dict[str, Any] = {"source": self.source, "generator": self.generator,
                                      "confirmed_by": self.confirmed_by}
        if self.comment:
            provenance["comment"] = self.comment
        return {"id": self.id, "title": self.title, "class": self.vclass, "flags": self.flags,
                "provenance": provenance, "requires": sort_caps(self.requires),
                "encapsulation": self.encapsulation, "sas": self.sas, "steps": self.steps}


class VectorGroup:
    def __init__(self, suite: str, group: str, description: str):
        self.suite = suite
        self.group = group
        self.description = description
        self.vectors: List[Vector] = []
        self.extra_notes: Dict[str, str] = {}

    def add(self, vector: Vector) -> Vector:
        self.vectors.append(vector)
        return vector

    def to_json(self, notes_for) -> Dict[str, Any]:
        flags = []
        for v in self.vectors:
            for f in v.flags:
                if f not in flags:
                    flags.append(f)
        notes = {f: (self.extra_notes[f] if f in self.extra_notes else notes_for(f))
                 for f in sorted(flags)}
        return {"format": FORMAT, "group": self.group, "description": self.description,
                "notes": notes, "vectors": [v.to_json() for v in self.vectors]}


# ---- JSON text: pretty, with short scalar arrays kept on one line ----------------------------


def _dump(value: Any, indent: int) -> str:
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f'{pad}  {json.dumps(k)}: {_dump(v, indent + 1)}' for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        inline = json.dumps(value)
        if all(not isinstance(x, (dict, list)) or (isinstance(x, list) and all(
                not isinstance(y, (dict, list)) for y in x)) for x in value) \
                and len(inline) + len(pad) <= 100 and not (
                    all(isinstance(x, str) for x in value) and len(value) > 1 and len(inline) > 60):
            return inline
        items = [pad + "  " + _dump(x, indent + 1) for x in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value)


def dumps(document: Dict[str, Any]) -> str:
    return _dump(document, 0) + "\n"
