"""vectors/contract/contract-udp-esp.json: UDP-encapsulated ESP (NAT-T, RFC 3948) on the send path.

OID_TCP_TASK_IPSEC_ADD_UDPESP_SA / DELETE_UDPESP_SA with their parser entries, the four UDP-ESP
subtypes and their capability flags, and the framing a NIC must refuse. Expected frames come from
ipsec_frames.render (python3-cryptography) with the UDP header of RFC 3948 section 2.1 in front
of ESP; expected statuses follow reference_nic/README.md ("UDP-encapsulated ESP").
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from ipsec_frames import Ah, Esp, Packet, Sa, UdpEncap
from suite_common import (CBC_CONFS, GCMS, GMACS, GW_A, GW_B, HMACS, HOST_A, HOST_B, INNER_A,
                          INNER_B, ah_elem, esp_elem, inner_ip, make_sa, transport_ip, tunnel_ip,
                          udp_payload)
from vectorfile import (ETHERNET_HEADER, Vector, VectorGroup, frame_send, ivs_for,
                        packet_capabilities, sa_capabilities, sa_json)

SUCCESS = "NDIS_STATUS_SUCCESS"
FAILURE = "NDIS_STATUS_FAILURE"
INVALID_PACKET = "NDIS_STATUS_INVALID_PACKET"
NOT_SUPPORTED = "NDIS_STATUS_NOT_SUPPORTED"

SOURCE = "RFC 3948 2.1; docs/ndis51-ipsec-offload.md 5.7 [S15a-e]; reference_nic/README.md"
PREFIX = "contract/udp-esp/"

TPT = "Supported.IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER"
TUN = "Supported.IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER"
TPT_OVER_UDP_TUN = "Supported.IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER"
UDP_TPT_OVER_TUN = "Supported.IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_OTHER"
OTHER = {"encap_type": "OTHER", "dst_encap_port": 4500}


def subtype(info: Tuple[Any, Any], udp: Sequence[str], sas: Dict[str, Sa]) -> Optional[str]:
    """The subtype flag a send needs, from which handle names a UDP-ESP SA [S15b]."""
    first, nxt = info
    if nxt == 0:
        if first in udp:
            return TUN if sas[first].tunnel else TPT
        return None
    if first in udp and nxt in udp:
        return None  # not a subtype: refused
    if nxt in udp:
        return TPT_OVER_UDP_TUN
    if first in udp:
        return UDP_TPT_OVER_TUN
    return None


def program(vector: Vector, sas: Dict[str, Sa], udp: Sequence[str],
            udp_json: Optional[Dict[str, Dict[str, Any]]] = None) -> None:
    vector.sas = {name: sa_json(sa) for name, sa in sas.items()}
    for name in udp:
        vector.sas[name]["udp_esp"] = dict((udp_json or {}).get(name, OTHER))


def requirements(sas: Dict[str, Sa], pkt: Optional[Packet], info: Optional[Tuple[Any, Any]],
                 udp: Sequence[str]) -> set:
    requires = set(packet_capabilities(pkt)) if pkt is not None else set()
    for sa in sas.values():
        requires |= set(sa_capabilities(sa))
    if info is not None:
        flag = subtype(info, udp, sas)
        if flag:
            requires.add(flag)
        if all(isinstance(h, str) and h in sas for h in info):
            requires.add("Supported.TRANSPORT_TUNNEL_COMBINED")
    for name in udp:
        requires.add(TUN if sas[name].tunnel else TPT)
    return requires


def send_vector(vid: str, title: str, flags: Sequence[str], pkt: Packet, sas: Dict[str, Sa],
                udp: Sequence[str], info: Tuple[Any, Any], status: str = SUCCESS,
                split: Optional[List[int]] = None, enable_drop: Sequence[str] = (),
                encapsulation: str = "null", vclass: str = "MUST", comment: str = "") -> Vector:
    """set -> add every SA (UDP-ESP SAs with ADD_UDPESP_SA) -> one send."""
    processed = [h for h in info if isinstance(h, str) and h in sas]
    refused = status != SUCCESS
    ivs = {} if refused else ivs_for(sas, processed, vid)
    result = frame_send(pkt, sas, processed, ivs, encapsulation, b"", refused)
    vector = Vector(PREFIX + vid, title, flags, SOURCE, vclass, encapsulation, comment)
    requires = requirements(sas, pkt, info, udp)
    vector.requires = sorted(requires)
    program(vector, sas, udp)
    vector.set(requires - set(enable_drop))
    for name in sas:
        if name in udp:
            vector.add_udpesp_sa(name)
        else:
            vector.add_sa(name)
    vector.send(result, info, status, split)
    return vector


# ---- packets --------------------------------------------------------------------------------


def transport_sa(label: str, conf: str, integ: Optional[str], name: str = "t") -> Sa:
    return make_sa(name, [esp_elem(label, conf, integ)], HOST_A, HOST_B, 17)


def tunnel_sa(label: str, conf: str, integ: Optional[str], name: str = "tun", ah: bool = False) -> Sa:
    bundle = [ah_elem(label, integ or "SHA_1")] if ah else [esp_elem(label, conf, integ)]
    return make_sa(name, bundle, INNER_A, INNER_B, 17, (GW_A, GW_B))


def udp_transport_packet(label: str, sa: str = "t", udp: Optional[UdpEncap] = UdpEncap(), size: int = 100,
                         seq: int = 1, **ip) -> Packet:
    return Packet(transport_ip(**ip), udp_payload(label, HOST_A, HOST_B, size), 17,
                  esp=Esp(sa, seq, udp=udp))


def udp_tunnel_packet(label: str, sa: str = "tun", udp: Optional[UdpEncap] = UdpEncap(), size: int = 80) -> Packet:
    inner = Packet(inner_ip(), udp_payload(label, INNER_A, INNER_B, size), 17)
    return Packet(tunnel_ip(), inner, 4, esp=Esp(sa, 3, udp=udp))


# ---- groups of vectors ----------------------------------------------------------------------


def algorithms(group: VectorGroup) -> None:
    combos: List[Tuple[str, Optional[str]]] = [(c, "SHA_1") for c in CBC_CONFS]
    combos += [("AES_CBC_128", "MD5"), ("AES_CBC_256", "SHA_256"), ("3_DES", "MD5")]
    combos += [("NONE", h) for h in HMACS] + [(g, None) for g in GCMS] + [("NONE", g) for g in GMACS]
    for conf, integ in combos:
        name = f"{conf}+{integ}" if integ else conf
        vid = "transport/" + name.lower().replace("_", "-")
        sas = {"t": transport_sa(vid, conf, integ)}
        group.add(send_vector(vid, f"UDP-encapsulated transport, {name}: plain ESP behind UDP 4500",
                              ["udpesp.send.transport", "udpesp.send.subtype_enabled",
                               "udpesp.send.non_esp_marker/neg", "udpesp.oid.esp_only/neg",
                               "udpesp.oid.encap_type/neg"],
                              udp_transport_packet(vid), sas, ["t"], ("t", 0)))


def subtypes(group: VectorGroup) -> None:
    for conf, integ in (("AES_CBC_128", "SHA_1"), ("AES_GCM_256", None), ("3_DES", "MD5")):
        vid = f"tunnel/{conf.lower().replace('_', '-')}"
        sas = {"tun": tunnel_sa(vid, conf, integ)}
        group.add(send_vector(vid, f"UDP-encapsulated tunnel, {conf}", ["udpesp.send.tunnel",
                                                                        "udpesp.send.subtype_enabled"],
                              udp_tunnel_packet(vid), sas, ["tun"], ("tun", 0)))
    vid = "tunnel/without-udp"
    sas = {"tun": tunnel_sa(vid, "AES_CBC_128", "SHA_1")}
    group.add(send_vector(vid, "UDP-ESP tunnel SA, tunnel frame without the UDP header: INVALID_PACKET",
                          ["udpesp.send.tunnel/neg"], udp_tunnel_packet(vid, udp=None), sas, ["tun"],
                          ("tun", 0), INVALID_PACKET))

    # Transport over UDP-encapsulated tunnel: plain transport SA inside a UDP-ESP tunnel SA.
    for conf, integ, tconf, tinteg in (("AES_GCM_128", None, "AES_CBC_128", "SHA_1"),
                                       ("AES_CBC_256", "SHA_256", "3_DES", "MD5")):
        vid = f"transport-over-udp-tunnel/{tconf.lower().replace('_', '-')}-in-{conf.lower().replace('_', '-')}"
        sas = {"t": make_sa("t", [esp_elem(vid + "/t", tconf, tinteg)], INNER_A, INNER_B, 17),
               "tun": tunnel_sa(vid, conf, integ)}
        inner = Packet(inner_ip(), udp_payload(vid, INNER_A, INNER_B, 60), 17, esp=Esp("t", 5))
        pkt = Packet(tunnel_ip(), inner, 4, esp=Esp("tun", 6, udp=UdpEncap()))
        group.add(send_vector(vid, "Transport over UDP-encapsulated tunnel",
                              ["udpesp.send.transport_over_udp_tunnel", "udpesp.send.subtype_enabled"],
                              pkt, sas, ["tun"], ("t", "tun")))
    vid = "transport-over-udp-tunnel/both-udp"
    sas = {"t": make_sa("t", [esp_elem(vid + "/t", "AES_CBC_128", "SHA_1")], INNER_A, INNER_B, 17),
           "tun": tunnel_sa(vid, "AES_CBC_128", "SHA_1")}
    inner = Packet(inner_ip(), udp_payload(vid, INNER_A, INNER_B, 60), 17, esp=Esp("t", 5, udp=UdpEncap()))
    pkt = Packet(tunnel_ip(), inner, 4, esp=Esp("tun", 6, udp=UdpEncap()))
    group.add(send_vector(vid, "UDP-encapsulated transport over a UDP-encapsulated tunnel: NOT_SUPPORTED",
                          ["udpesp.send.transport_over_udp_tunnel/neg"], pkt, sas, ["t", "tun"], ("t", "tun"),
                          NOT_SUPPORTED))

    # UDP-encapsulated transport over a plain (ESP or AH) tunnel.
    for ah in (False, True):
        vid = f"udp-transport-over-tunnel/{'ah' if ah else 'esp'}-tunnel"
        sas = {"t": make_sa("t", [esp_elem(vid + "/t", "AES_CBC_192", "SHA_1")], INNER_A, INNER_B, 17),
               "tun": tunnel_sa(vid, "AES_GCM_192", None if not ah else "MD5", ah=ah)}
        inner = Packet(inner_ip(), udp_payload(vid, INNER_A, INNER_B, 44), 17, esp=Esp("t", 9, udp=UdpEncap()))
        pkt = Packet(tunnel_ip(), inner, 4, ah=Ah("tun", 10) if ah else None, esp=None if ah else Esp("tun", 10))
        group.add(send_vector(vid, f"UDP-encapsulated transport over a plain {'AH' if ah else 'ESP'} tunnel",
                              ["udpesp.send.udp_transport_over_tunnel", "udpesp.send.subtype_enabled"],
                              pkt, sas, ["t"], ("t", "tun")))
    vid = "udp-transport-over-tunnel/inner-without-udp"
    sas = {"t": make_sa("t", [esp_elem(vid + "/t", "AES_CBC_192", "SHA_1")], INNER_A, INNER_B, 17),
           "tun": tunnel_sa(vid, "AES_GCM_192", None)}
    inner = Packet(inner_ip(), udp_payload(vid, INNER_A, INNER_B, 44), 17, esp=Esp("t", 9))
    pkt = Packet(tunnel_ip(), inner, 4, esp=Esp("tun", 10))
    group.add(send_vector(vid, "UDP-ESP transport SA over a tunnel, inner ESP without UDP: INVALID_PACKET",
                          ["udpesp.send.udp_transport_over_tunnel/neg"], pkt, sas, ["t"], ("t", "tun"),
                          INVALID_PACKET))


def gating(group: VectorGroup) -> None:
    """Each subtype refused when its flag alone is not enabled."""
    cases = [("transport", TPT), ("tunnel", TUN), ("transport-over-udp-tunnel", TPT_OVER_UDP_TUN),
             ("udp-transport-over-tunnel", UDP_TPT_OVER_TUN)]
    for name, flag in cases:
        vid = f"not-enabled/{name}"
        t_udp = flag in (TPT, UDP_TPT_OVER_TUN)
        if flag == TPT:
            sas, udp, info = {"t": transport_sa(vid, "AES_CBC_128", "SHA_1")}, ["t"], ("t", 0)
            pkt = udp_transport_packet(vid)
        elif flag == TUN:
            sas, udp, info = {"tun": tunnel_sa(vid, "AES_CBC_128", "SHA_1")}, ["tun"], ("tun", 0)
            pkt = udp_tunnel_packet(vid)
        else:
            sas = {"t": make_sa("t", [esp_elem(vid + "/t", "AES_CBC_128", "SHA_1")], INNER_A, INNER_B, 17),
                   "tun": tunnel_sa(vid, "AES_CBC_128", "SHA_1")}
            udp, info = (["t"] if t_udp else ["tun"]), ("t", "tun")
            inner = Packet(inner_ip(), udp_payload(vid, INNER_A, INNER_B, 40), 17,
                           esp=Esp("t", 2, udp=UdpEncap() if t_udp else None))
            pkt = Packet(tunnel_ip(), inner, 4, esp=Esp("tun", 2, udp=None if t_udp else UdpEncap()))
        group.add(send_vector(vid, f"{name}: {flag} not enabled, every other flag enabled: NOT_SUPPORTED",
                              ["udpesp.send.subtype_enabled/neg"], pkt, sas, udp, info, NOT_SUPPORTED,
                              enable_drop=[flag]))


def framing(group: VectorGroup) -> None:
    def one(vid: str, title: str, flags: List[str], pkt: Packet, status: str, udp: Sequence[str] = ("t",),
            **kwargs) -> None:
        sas = {"t": transport_sa(vid, "AES_CBC_128", "SHA_1")}
        group.add(send_vector(vid, title, flags, pkt, sas, udp, ("t", 0), status, **kwargs))

    one("framing/plain-esp-on-udp-sa", "Plain [IP][ESP] on a UDP-ESP SA: INVALID_PACKET",
        ["udpesp.send.transport/neg"], udp_transport_packet("framing/plain-esp-on-udp-sa", udp=None), INVALID_PACKET)
    one("framing/udp-esp-on-plain-sa", "[IP][UDP][ESP] on a plain ESP SA: INVALID_PACKET",
        ["udpesp.send.transport/neg"], udp_transport_packet("framing/udp-esp-on-plain-sa"), INVALID_PACKET, udp=())
    one("framing/nat-port-and-checksum", "Destination port 61000 (a NAT mapping) and checksum 0xbeef: kept",
        ["udpesp.send.udp_header", "udpesp.send.transport"],
        udp_transport_packet("framing/nat-port-and-checksum", udp=UdpEncap(dport=61000, checksum=0xBEEF)), SUCCESS)
    one("framing/source-port-4501", "UDP source port 4501: INVALID_PACKET", ["udpesp.send.udp_header/neg"],
        udp_transport_packet("framing/source-port-4501", udp=UdpEncap(sport=4501)), INVALID_PACKET)
    one("framing/source-port-500", "UDP source port 500 (IKE before the float): INVALID_PACKET",
        ["udpesp.send.udp_header/neg"],
        udp_transport_packet("framing/source-port-500", udp=UdpEncap(sport=500, dport=500)), INVALID_PACKET)
    for delta in (1, -1):
        vid = f"framing/udp-length{'+' if delta > 0 else '-'}1"
        one(vid, f"UDP Length {delta:+d} from the IPv4 total length: INVALID_PACKET", ["udpesp.send.udp_header/neg"],
            udp_transport_packet(vid, udp=UdpEncap(length_delta=delta)), INVALID_PACKET)
    vid = "framing/non-esp-marker"
    pkt = udp_transport_packet(vid)
    pkt.esp.spi_override = 0
    one(vid, "Non-ESP marker (SPI 0) after the UDP header: INVALID_PACKET", ["udpesp.send.non_esp_marker"], pkt,
        INVALID_PACKET)
    vid = "framing/ah-on-udp-sa"
    pkt = Packet(transport_ip(), udp_payload(vid, HOST_A, HOST_B, 60), 17, ah=Ah("ah", 1))
    sas = {"t": transport_sa(vid, "AES_CBC_128", "SHA_1"),
           "ah": make_sa("ah", [ah_elem(vid, "SHA_1")], HOST_A, HOST_B, 17)}
    group.add(send_vector(vid, "[IP][AH] sent on a UDP-ESP SA: INVALID_PACKET", ["udpesp.send.transport/neg"],
                          pkt, sas, ["t"], ("t", 0), INVALID_PACKET))
    vid = "framing/ipv4-options"
    one(vid, "UDP-encapsulated transport with IPv4 options (Router Alert): processed",
        ["udpesp.send.transport", "send.options.not_enabled/neg"],
        udp_transport_packet(vid, options=bytes([0x94, 0x04, 0, 0])), SUCCESS)
    vid = "framing/ipv4-options-not-enabled"
    one(vid, "UDP-encapsulated transport with IPv4 options, V4_OPTIONS not enabled: NOT_SUPPORTED",
        ["send.options.not_enabled"], udp_transport_packet(vid, options=bytes([0x94, 0x04, 0, 0])), NOT_SUPPORTED,
        enable_drop=["Supported.V4_OPTIONS"])
    vid = "framing/fragment"
    one(vid, "UDP-encapsulated transport, MF set: NOT_SUPPORTED", ["send.fragment"],
        udp_transport_packet(vid, flags=0x1), NOT_SUPPORTED)


def splits_and_ethernet(group: VectorGroup) -> None:
    for name, cuts in (("inside-udp-header", [23]), ("udp-esp-boundary", [28]),
                       ("inside-spi-and-iv", [30, 40, 41])):
        vid = f"split/{name}"
        sas = {"t": transport_sa(vid, "AES_CBC_128", "SHA_1")}
        group.add(send_vector(vid, f"UDP-encapsulated transport in buffers cut at {cuts}",
                              ["udpesp.send.transport", "send.buffer_split"], udp_transport_packet(vid), sas,
                              ["t"], ("t", 0), split=cuts))
    vid = "ethernet/transport"
    sas = {"t": transport_sa(vid, "AES_GCM_128", None)}
    group.add(send_vector(vid, "UDP-encapsulated transport in an Ethernet II frame",
                          ["udpesp.send.transport", "send.encapsulation.ethernet"], udp_transport_packet(vid), sas, ["t"],
                          ("t", 0), encapsulation="ieee802.3"))


def oids(group: VectorGroup) -> None:
    def base(vid: str, title: str, flags: List[str], sas: Dict[str, Sa], udp: Sequence[str],
             udp_json: Optional[Dict[str, Dict[str, Any]]] = None, vclass: str = "MUST") -> Vector:
        vector = Vector(PREFIX + vid, title, flags, SOURCE, vclass)
        requires = requirements(sas, None, None, udp)
        vector.requires = sorted(requires)
        program(vector, sas, udp, udp_json)
        vector.set(requires)
        return vector

    def send_on(vector: Vector, label: str, sas: Dict[str, Sa], name: str, status: str = SUCCESS) -> None:
        pkt = udp_transport_packet(label, sa=name)
        processed = [name] if status == SUCCESS else []
        result = frame_send(pkt, sas, processed, ivs_for(sas, processed, label), "null", b"", status != SUCCESS)
        vector.send(result, (name, 0), status)

    def inbound(label: str, name: str) -> Sa:
        sa = transport_sa(label, "AES_CBC_128", "SHA_1", name)
        sa.direction = "inbound"
        return sa

    vid = "oid/parser-entry-created-then-named"
    sas = {"in1": inbound(vid + "/1", "in1"), "in2": inbound(vid + "/2", "in2"),
           "t": transport_sa(vid, "AES_CBC_128", "SHA_1")}
    v = base(vid, "Inbound add with NULL EncapTypeEntryOffldHandle creates an entry; a second inbound add names it",
             ["udpesp.oid.parser_entry"], sas, ["in1", "in2", "t"])
    v.add_udpesp_sa("in1").add_udpesp_sa("in2", parser_entry="in1").add_udpesp_sa("t")
    send_on(v, vid, sas, "t")
    group.add(v)

    vid = "oid/parser-entry-never-issued"
    sas = {"in1": inbound(vid, "in1"), "t": transport_sa(vid, "AES_CBC_128", "SHA_1")}
    v = base(vid, "Inbound add naming a never-issued parser entry: FAILURE, nothing added",
             ["udpesp.oid.parser_entry/neg"], sas, ["in1", "t"])
    v.add_udpesp_sa("in1", parser_entry="never_issued", expect=FAILURE).add_udpesp_sa("t")
    send_on(v, vid, sas, "t")
    group.add(v)

    vid = "oid/parser-entry-deleted"
    sas = {"in1": inbound(vid + "/1", "in1"), "in2": inbound(vid + "/2", "in2")}
    v = base(vid, "Delete an SA with its parser entry; naming the entry again fails",
             ["udpesp.oid.parser_entry/neg", "udpesp.oid.delete"], sas, ["in1", "in2"])
    v.add_udpesp_sa("in1").delete_udpesp_sa("in1", parser_entry="in1")
    v.add_udpesp_sa("in2", parser_entry="in1", expect=FAILURE)
    v.delete_udpesp_sa("in1", expect=FAILURE)
    group.add(v)

    vid = "oid/delete-then-send"
    sas = {"t": transport_sa(vid, "AES_CBC_128", "SHA_1"), "u": transport_sa(vid + "/u", "3_DES", "SHA_1", "u")}
    v = base(vid, "DELETE_UDPESP_SA: the SA's later send fails, another SA keeps working",
             ["udpesp.oid.delete", "udpesp.oid.delete/neg", "send.handle.deleted"], sas, ["t", "u"])
    v.add_udpesp_sa("t").add_udpesp_sa("u")
    send_on(v, vid + "/1", sas, "t")
    v.delete_udpesp_sa("t")
    send_on(v, vid + "/2", sas, "t", FAILURE)
    send_on(v, vid + "/3", sas, "u")
    group.add(v)

    vid = "oid/delete-sa-oid-for-udp-esp-sa"
    sas = {"t": transport_sa(vid, "AES_CBC_128", "SHA_1")}
    v = base(vid, "OID_TCP_TASK_IPSEC_DELETE_SA of a UDP-ESP SA: FAILURE, the SA stays", ["udpesp.oid.delete"],
             sas, ["t"], vclass="SHOULD")
    v.add_udpesp_sa("t").delete_sa("t", expect=FAILURE)
    send_on(v, vid, sas, "t")
    group.add(v)

    vid = "oid/encap-type-ike"
    sas = {"in1": inbound(vid, "in1")}
    v = base(vid, "UdpEncapType IKE (reserved): NOT_SUPPORTED", ["udpesp.oid.encap_type"], sas, ["in1"],
             {"in1": {"encap_type": "IKE", "dst_encap_port": 4500}})
    v.add_udpesp_sa("in1", expect=NOT_SUPPORTED)
    group.add(v)

    vid = "oid/inbound-port-500"
    sas = {"in1": inbound(vid, "in1")}
    v = base(vid, "Inbound DstEncapPort 500: NOT_SUPPORTED", ["udpesp.oid.encap_type"], sas, ["in1"],
             {"in1": {"encap_type": "OTHER", "dst_encap_port": 500}})
    v.add_udpesp_sa("in1", expect=NOT_SUPPORTED)
    group.add(v)

    vid = "oid/outbound-port-ignored"
    sas = {"t": transport_sa(vid, "AES_CBC_128", "SHA_1")}
    v = base(vid, "Outbound DstEncapPort 4501 and a stray entry handle are ignored: SUCCESS",
             ["udpesp.oid.encap_type/neg", "udpesp.oid.parser_entry"], sas, ["t"],
             {"t": {"encap_type": "OTHER", "dst_encap_port": 4501}})
    v.add_udpesp_sa("t", parser_entry="never_issued")
    send_on(v, vid, sas, "t")
    group.add(v)

    vid = "oid/ah-element"
    sas = {"a": make_sa("a", [ah_elem(vid, "SHA_1")], HOST_A, HOST_B, 17)}
    v = base(vid, "ADD_UDPESP_SA with an AH element: NOT_SUPPORTED", ["udpesp.oid.esp_only"], sas, ["a"])
    v.add_udpesp_sa("a", expect=NOT_SUPPORTED)
    group.add(v)


def build() -> List[VectorGroup]:
    group = VectorGroup("contract", "contract-udp-esp",
                        "UDP-encapsulated ESP (NAT-T, RFC 3948): ADD_UDPESP_SA / DELETE_UDPESP_SA and "
                        "parser entries, the four subtypes and their flags, framing the NIC refuses.")
    algorithms(group)
    subtypes(group)
    gating(group)
    framing(group)
    splits_and_ethernet(group)
    oids(group)
    return [group]
