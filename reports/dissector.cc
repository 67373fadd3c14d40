#include "reports/dissector.h"

#include "reports/ipv4.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace sendpath::report {
namespace {

using ipv4::Be16;

class Walker {
 public:
  Walker(Dissection& out, const CheckResult* check) : out_(out), check_(check) {}

  Field& Add(const char* protocol, const char* leaf, std::size_t offset, std::size_t length, FieldFormat format,
             Region region) {
    Field field;
    field.protocol = protocol;
    std::snprintf(field.leaf.data(), field.leaf.size(), "%s", leaf);
    field.offset = static_cast<std::uint32_t>(offset);
    field.length = static_cast<std::uint32_t>(length);
    field.format = format;
    field.region = region;
    field.level = static_cast<std::uint8_t>(level_);
    field.decrypted = decrypted_;
    if (esp_qualifier_ != nullptr && std::strcmp(protocol, "esp") == 0) field.qualifier = esp_qualifier_;
    out_.fields.push_back(field);
    return out_.fields.back();
  }
  Field& AddBits(const char* protocol, const char* leaf, std::size_t offset, std::size_t length, unsigned shift,
                 unsigned width, Region region) {
    Field& field = Add(protocol, leaf, offset, length, FieldFormat::kUnsigned, region);
    field.bit_shift = static_cast<std::uint8_t>(shift);
    field.bit_width = static_cast<std::uint8_t>(width);
    return field;
  }
  void Malformed(const char* protocol, std::size_t offset, std::size_t end, const std::string& why) {
    if (end > offset) Add(protocol, "malformed", offset, end - offset, FieldFormat::kBytes, Region::kMalformed);
    if (out_.error.empty()) {
      out_.error = why + " at byte " + std::to_string(offset);
      out_.error_offset = offset;
    }
  }

  void Link(LinkType link, std::size_t ip_offset) {
    if (link == LinkType::kEthernet) {
      Add("eth", "dst", 0, 6, FieldFormat::kMac, Region::kLink);
      Add("eth", "src", 6, 6, FieldFormat::kMac, Region::kLink);
      for (std::size_t offset = 12; offset + 2 < ip_offset; offset += 4) {
        Add("vlan", "tpid", offset, 2, FieldFormat::kHex, Region::kLink);
        Add("vlan", "tci", offset + 2, 2, FieldFormat::kHex, Region::kLink);
      }
      Add("eth", "type", ip_offset - 2, 2, FieldFormat::kHex, Region::kLink);
    } else if (link == LinkType::kLinuxSll) {
      Add("sll", "packet_type", 0, 2, FieldFormat::kUnsigned, Region::kLink);
      Add("sll", "hatype", 2, 2, FieldFormat::kUnsigned, Region::kLink);
      Add("sll", "address_length", 4, 2, FieldFormat::kUnsigned, Region::kLink);
      Add("sll", "address", 6, 8, FieldFormat::kBytes, Region::kLink);
      Add("sll", "protocol", 14, 2, FieldFormat::kHex, Region::kLink);
    }
  }

  // Returns the end of the IPv4 packet (bounded by `limit`).
  std::size_t Ip(std::size_t offset, std::size_t limit) {
    auto p = out_.plain;
    if (limit - offset < 20 || (p[offset] >> 4) != 4) {
      Malformed("ipv4", offset, limit, limit - offset < 20 ? "IPv4 header truncated" : "IP version is not 4");
      return limit;
    }
    const std::size_t ihl = std::size_t{p[offset] & 0x0fu} * 4;
    AddBits("ipv4", "version", offset, 1, 4, 4, Region::kIpHeader);
    AddBits("ipv4", "ihl", offset, 1, 0, 4, Region::kIpHeader);
    Add("ipv4", "tos", offset + 1, 1, FieldFormat::kHex, Region::kIpHeader).ip_mutable = true;
    Add("ipv4", "total_length", offset + 2, 2, FieldFormat::kUnsigned, Region::kIpHeader);
    Add("ipv4", "id", offset + 4, 2, FieldFormat::kHex, Region::kIpHeader);
    AddBits("ipv4", "flags", offset + 6, 2, 13, 3, Region::kIpHeader).ip_mutable = true;
    AddBits("ipv4", "fragment_offset", offset + 6, 2, 0, 13, Region::kIpHeader).ip_mutable = true;
    Add("ipv4", "ttl", offset + 8, 1, FieldFormat::kUnsigned, Region::kIpHeader).ip_mutable = true;
    Add("ipv4", "protocol", offset + 9, 1, FieldFormat::kProtocol, Region::kIpHeader);
    Add("ipv4", "checksum", offset + 10, 2, FieldFormat::kHex, Region::kIpHeader).ip_mutable = true;
    Add("ipv4", "src", offset + 12, 4, FieldFormat::kIpv4Address, Region::kIpHeader);
    Add("ipv4", "dst", offset + 16, 4, FieldFormat::kIpv4Address, Region::kIpHeader);
    if (ihl < 20 || offset + ihl > limit) {
      Malformed("ipv4", offset + 20, limit, "IPv4 IHL " + std::to_string(ihl / 4) + " does not fit");
      return limit;
    }
    Options(offset, ihl);
    std::size_t end = offset + Be16(p, offset + 2);
    if (end < offset + ihl || end > limit) {
      if (out_.error.empty()) {
        out_.error = "IPv4 total length " + std::to_string(Be16(p, offset + 2)) + " does not fit the " +
                     std::to_string(limit - offset) + " bytes available at byte " + std::to_string(offset + 2);
        out_.error_offset = offset + 2;
      }
      end = limit;
    }
    Payload(p[offset + 9], offset, offset + ihl, end);
    return end;
  }

  void Options(std::size_t ip_offset, std::size_t ihl) {
    auto header = out_.plain.subspan(ip_offset, ihl);
    std::size_t last = 20;
    const bool ok = ipv4::WalkOptions(header, [&](std::size_t at, std::uint8_t type, std::size_t length) {
      last = at + length;
      const std::size_t offset = ip_offset + at;
      const char* known = ipv4::OptionName(type);
      char name[24];
      if (known != nullptr) {
        std::snprintf(name, sizeof name, "%s", known);
      } else {
        std::snprintf(name, sizeof name, "type%u", static_cast<unsigned>(type));
      }
      const bool is_mutable = !ipv4::OptionIsImmutableForAh(type);
      char leaf[40];
      auto add = [&](const char* sub, std::size_t o, std::size_t l, FieldFormat format) {
        if (sub[0] == '\0') {
          std::snprintf(leaf, sizeof leaf, "option.%s", name);
        } else {
          std::snprintf(leaf, sizeof leaf, "option.%s.%s", name, sub);
        }
        Add("ipv4", leaf, o, l, format, Region::kIpOption).ip_mutable = is_mutable;
      };
      if (type == 0) {
        add("", offset, 1, FieldFormat::kHex);
        if (length > 1) add("padding", offset + 1, length - 1, FieldFormat::kBytes);
        return;
      }
      if (type == 1) {
        add("", offset, 1, FieldFormat::kHex);
        return;
      }
      add("type", offset, 1, FieldFormat::kUnsigned);
      add("length", offset + 1, 1, FieldFormat::kUnsigned);
      if (length <= 2) return;
      if (type == 7 || type == 131 || type == 137) {  // RR, LSRR, SSRR: pointer then addresses
        add("pointer", offset + 2, 1, FieldFormat::kUnsigned);
        if (length > 3) add("route", offset + 3, length - 3, FieldFormat::kAddressList);
      } else if (type == 68) {  // Timestamp: pointer, overflow/flags, entries
        add("pointer", offset + 2, 1, FieldFormat::kUnsigned);
        if (length > 3) add("flags", offset + 3, 1, FieldFormat::kHex);
        if (length > 4) add("data", offset + 4, length - 4, FieldFormat::kBytes);
      } else if (type == 148) {
        add("value", offset + 2, length - 2, FieldFormat::kUnsigned);
      } else {
        add("data", offset + 2, length - 2, FieldFormat::kBytes);
      }
    });
    if (!ok) Malformed("ipv4", ip_offset + last, ip_offset + ihl, "malformed IPv4 option");
  }

  const HeaderCheck* FindHeader(IpsecProtocol protocol, std::size_t offset, std::int16_t& index) const {
    if (check_ == nullptr) return nullptr;
    for (std::size_t i = 0; i < check_->headers.size(); ++i) {
      const HeaderCheck& header = check_->headers[i];
      if (header.protocol == protocol && header.offset == offset && header.sa != kNoSa) {
        index = static_cast<std::int16_t>(i);
        return &header;
      }
    }
    return nullptr;
  }

  void Payload(std::uint8_t protocol, std::size_t ip_offset, std::size_t offset, std::size_t end) {
    auto p = out_.plain;
    while (offset <= end) {
      if (protocol == ipv4::kProtoAh) {
        if (end - offset < 12) return Malformed("ah", offset, end, "AH truncated");
        const std::size_t ah_length = (std::size_t{p[offset + 1]} + 2) * 4;
        Add("ah", "next_header", offset, 1, FieldFormat::kProtocol, Region::kIpsecHeader);
        Add("ah", "payload_length", offset + 1, 1, FieldFormat::kUnsigned, Region::kIpsecHeader);
        Add("ah", "reserved", offset + 2, 2, FieldFormat::kHex, Region::kIpsecHeader);
        Add("ah", "spi", offset + 4, 4, FieldFormat::kHex, Region::kIpsecHeader);
        Add("ah", "sequence", offset + 8, 4, FieldFormat::kUnsigned, Region::kIpsecHeader);
        if (offset + ah_length > end) return Malformed("ah", offset + 12, end, "AH Payload Len runs past the packet");
        std::int16_t index = -1;
        const HeaderCheck* header = FindHeader(IpsecProtocol::kAh, offset, index);
        std::size_t icv_offset = offset + 12;
        if (header != nullptr && header->iv_length > 0) {
          Field& iv = Add("ah", "iv", offset + 12, header->iv_length, FieldFormat::kBytes, Region::kIv);
          iv.kind = FieldKind::kIv;
          iv.header = index;
          icv_offset += header->iv_length;
        }
        if (offset + ah_length > icv_offset) {
          // Without the SA the ICV is taken to fill the rest of AH (true for every algorithm without an IV).
          Field& icv = Add("ah", "icv", icv_offset, offset + ah_length - icv_offset, FieldFormat::kBytes, Region::kIcv);
          icv.kind = FieldKind::kIcv;
          icv.header = index;
          icv.cover_begin = static_cast<std::uint32_t>(ip_offset);
          icv.cover_end = static_cast<std::uint32_t>(end);
        }
        protocol = p[offset];
        offset += ah_length;
      } else if (protocol == ipv4::kProtoEsp) {
        if (end - offset < 8) {
          Malformed("esp", offset, end, "ESP truncated");
          esp_qualifier_ = nullptr;
          return;
        }
        Add("esp", "spi", offset, 4, FieldFormat::kHex, Region::kIpsecHeader);
        Add("esp", "sequence", offset + 4, 4, FieldFormat::kUnsigned, Region::kIpsecHeader);
        std::int16_t index = -1;
        const HeaderCheck* header = FindHeader(IpsecProtocol::kEsp, offset, index);
        if (header == nullptr || header->data_offset == 0) {
          if (end > offset + 8) Add("esp", "data", offset + 8, end - offset - 8, FieldFormat::kBytes, Region::kCiphertext);
          esp_qualifier_ = nullptr;
          return;
        }
        if (header->iv_length > 0) {
          Field& iv = Add("esp", "iv", header->iv_offset, header->iv_length, FieldFormat::kBytes, Region::kIv);
          iv.kind = FieldKind::kIv;
          iv.header = index;
        }
        const bool encrypted = header->decrypted;
        if (encrypted) {
          Field& ciphertext = Add("esp", "ciphertext", header->data_offset, header->data_length, FieldFormat::kBytes, Region::kCiphertext);
          ciphertext.kind = FieldKind::kCiphertext;
          ciphertext.header = index;
        }
        const bool readable = header->trailer_ok || header->padding_offset > 0 || (!encrypted);
        const bool was_decrypted = decrypted_;
        decrypted_ = decrypted_ || encrypted;
        if (readable && header->padding_offset >= header->data_offset && header->padding_offset + header->pad_length + 2 == header->icv_offset) {
          // The payload's own headers are not the UDP-encapsulated ESP's.
          const char* qualifier = esp_qualifier_;
          esp_qualifier_ = nullptr;
          Payload(header->next_header, ip_offset, header->data_offset, header->padding_offset);
          esp_qualifier_ = qualifier;
          if (header->pad_length > 0) Add("esp", "padding", header->padding_offset, header->pad_length, FieldFormat::kBytes, Region::kPadding);
          Add("esp", "pad_length", header->icv_offset - 2, 1, FieldFormat::kUnsigned, Region::kTrailer);
          Add("esp", "next_header", header->icv_offset - 1, 1, FieldFormat::kProtocol, Region::kTrailer);
        } else if (!encrypted && header->data_length > 0) {
          Add("esp", "payload", header->data_offset, header->data_length, FieldFormat::kBytes, Region::kPayload);
        }
        decrypted_ = was_decrypted;
        if (header->icv_length > 0) {
          Field& icv = Add("esp", "icv", header->icv_offset, header->icv_length, FieldFormat::kBytes, Region::kIcv);
          icv.kind = FieldKind::kIcv;
          icv.header = index;
          icv.cover_begin = static_cast<std::uint32_t>(offset);
          icv.cover_end = static_cast<std::uint32_t>(header->icv_offset);
        }
        esp_qualifier_ = nullptr;
        return;
      } else if (protocol == ipv4::kProtoIpInIp) {
        ++level_;
        out_.max_level = std::max(out_.max_level, level_);
        Ip(offset, end);
        --level_;
        return;
      } else if (protocol == ipv4::kProtoUdp) {
        if (end - offset < 8) return Malformed("udp", offset, end, "UDP header truncated");
        // RFC 3948 §2.1, §2.2: port 4500 and a non-zero SPI after the UDP header is ESP.
        constexpr std::uint16_t kNatTraversalPort = 4500;
        const bool udp_esp = end - offset >= 16 && (Be16(p, offset) == kNatTraversalPort || Be16(p, offset + 2) == kNatTraversalPort) &&
                             ipv4::Be32(p, offset + 8) != 0;
        const char* qualifier = udp_esp ? "outer" : nullptr;
        Add("udp", "src_port", offset, 2, FieldFormat::kUnsigned, Region::kUpperHeader).qualifier = qualifier;
        Add("udp", "dst_port", offset + 2, 2, FieldFormat::kUnsigned, Region::kUpperHeader).qualifier = qualifier;
        Add("udp", "length", offset + 4, 2, FieldFormat::kUnsigned, Region::kUpperHeader).qualifier = qualifier;
        Add("udp", "checksum", offset + 6, 2, FieldFormat::kHex, Region::kUpperHeader).qualifier = qualifier;
        if (udp_esp) {
          esp_qualifier_ = "udp";
          protocol = ipv4::kProtoEsp;
          offset += 8;
          continue;
        }
        if (end > offset + 8) Add("udp", "payload", offset + 8, end - offset - 8, FieldFormat::kBytes, decrypted_ ? Region::kPayload : Region::kData);
        return;
      } else if (protocol == ipv4::kProtoTcp) {
        if (end - offset < 20) return Malformed("tcp", offset, end, "TCP header truncated");
        const std::size_t data_offset = static_cast<std::size_t>(p[offset + 12] >> 4) * 4;
        Add("tcp", "src_port", offset, 2, FieldFormat::kUnsigned, Region::kUpperHeader);
        Add("tcp", "dst_port", offset + 2, 2, FieldFormat::kUnsigned, Region::kUpperHeader);
        Add("tcp", "sequence", offset + 4, 4, FieldFormat::kUnsigned, Region::kUpperHeader);
        Add("tcp", "acknowledgment", offset + 8, 4, FieldFormat::kUnsigned, Region::kUpperHeader);
        AddBits("tcp", "data_offset", offset + 12, 1, 4, 4, Region::kUpperHeader);
        AddBits("tcp", "flags", offset + 12, 2, 0, 9, Region::kUpperHeader).format = FieldFormat::kHex;
        Add("tcp", "window", offset + 14, 2, FieldFormat::kUnsigned, Region::kUpperHeader);
        Add("tcp", "checksum", offset + 16, 2, FieldFormat::kHex, Region::kUpperHeader);
        Add("tcp", "urgent_pointer", offset + 18, 2, FieldFormat::kUnsigned, Region::kUpperHeader);
        if (data_offset < 20 || offset + data_offset > end) return Malformed("tcp", offset + 20, end, "TCP data offset does not fit");
        if (data_offset > 20) Add("tcp", "options", offset + 20, data_offset - 20, FieldFormat::kBytes, Region::kUpperHeader);
        if (end > offset + data_offset) Add("tcp", "payload", offset + data_offset, end - offset - data_offset, FieldFormat::kBytes, decrypted_ ? Region::kPayload : Region::kData);
        return;
      } else if (protocol == ipv4::kProtoIcmp) {
        if (end - offset < 8) return Malformed("icmp", offset, end, "ICMP header truncated");
        Add("icmp", "type", offset, 1, FieldFormat::kUnsigned, Region::kUpperHeader);
        Add("icmp", "code", offset + 1, 1, FieldFormat::kUnsigned, Region::kUpperHeader);
        Add("icmp", "checksum", offset + 2, 2, FieldFormat::kHex, Region::kUpperHeader);
        Add("icmp", "rest_of_header", offset + 4, 4, FieldFormat::kHex, Region::kUpperHeader);
        if (end > offset + 8) Add("icmp", "payload", offset + 8, end - offset - 8, FieldFormat::kBytes, decrypted_ ? Region::kPayload : Region::kData);
        return;
      } else {
        if (end > offset) Add("data", "payload", offset, end - offset, FieldFormat::kBytes, decrypted_ ? Region::kPayload : Region::kData);
        return;
      }
    }
  }

 private:
  Dissection& out_;
  const CheckResult* check_;
  unsigned level_ = 0;
  bool decrypted_ = false;
  const char* esp_qualifier_ = nullptr;  // "udp" while the fields of a UDP-encapsulated ESP are added
};

std::string ProtocolText(std::uint64_t value) {
  const char* name = nullptr;
  switch (value) {
    case 1: name = "ICMP"; break;
    case 4: name = "IPv4"; break;
    case 6: name = "TCP"; break;
    case 17: name = "UDP"; break;
    case 41: name = "IPv6"; break;
    case 50: name = "ESP"; break;
    case 51: name = "AH"; break;
    case 59: name = "none"; break;
    default: break;
  }
  return std::to_string(value) + (name != nullptr ? std::string(" (") + name + ")" : std::string());
}

}  // namespace

const char* RegionName(Region region) {
  switch (region) {
    case Region::kLink: return "link";
    case Region::kIpHeader: return "ip";
    case Region::kIpOption: return "ip-option";
    case Region::kIpsecHeader: return "ipsec";
    case Region::kIv: return "iv";
    case Region::kCiphertext: return "ciphertext";
    case Region::kPayload: return "payload";
    case Region::kPadding: return "padding";
    case Region::kTrailer: return "trailer";
    case Region::kIcv: return "icv";
    case Region::kUpperHeader: return "l4";
    case Region::kData: return "data";
    case Region::kMalformed: return "malformed";
  }
  return "data";
}

void Dissection::Clear() {
  fields.clear();
  frame = {};
  plain = {};
  error.clear();
  error_offset = 0;
  max_level = 0;
}

void Dissection::NameInto(const Field& field, std::string& out) const {
  out.assign(field.protocol);
  const bool layered = std::strcmp(field.protocol, "eth") != 0 && std::strcmp(field.protocol, "vlan") != 0 &&
                       std::strcmp(field.protocol, "sll") != 0 && std::strcmp(field.protocol, "frame") != 0;
  if (field.qualifier != nullptr) {
    out += '[';
    out += field.qualifier;
    out += ']';
  } else if (max_level > 0 && layered) {
    if (field.level == 0) {
      out += "[outer]";
    } else if (field.level == 1) {
      out += "[inner]";
    } else {
      out += "[inner";
      out += std::to_string(field.level);
      out += "]";
    }
  }
  out += '.';
  out += field.leaf_name();
}

std::string Dissection::Name(const Field& field) const {
  std::string name;
  NameInto(field, name);
  return name;
}

std::span<const std::uint8_t> Dissection::Bytes(const Field& field) const {
  auto source = field.decrypted ? plain : frame;
  if (field.offset >= source.size()) return {};
  return source.subspan(field.offset, std::min<std::size_t>(field.length, source.size() - field.offset));
}

std::uint64_t Dissection::Number(const Field& field) const {
  auto bytes = Bytes(field);
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < bytes.size() && i < 8; ++i) value = (value << 8) | bytes[i];
  if (field.bit_width > 0) value = (value >> field.bit_shift) & ((std::uint64_t{1} << field.bit_width) - 1);
  return value;
}

std::string Dissection::Value(const Field& field) const {
  auto bytes = Bytes(field);
  char text[64];
  switch (field.format) {
    case FieldFormat::kUnsigned:
      if (bytes.size() <= 8) return std::to_string(Number(field));
      break;
    case FieldFormat::kHex:
      if (bytes.size() <= 8) {
        std::snprintf(text, sizeof text, "0x%0*llx", static_cast<int>(field.bit_width > 0 ? (field.bit_width + 3) / 4 : bytes.size() * 2),
                      static_cast<unsigned long long>(Number(field)));
        return text;
      }
      break;
    case FieldFormat::kProtocol:
      return ProtocolText(Number(field));
    case FieldFormat::kIpv4Address:
      if (bytes.size() == 4) {
        std::snprintf(text, sizeof text, "%u.%u.%u.%u", bytes[0], bytes[1], bytes[2], bytes[3]);
        return text;
      }
      break;
    case FieldFormat::kAddressList: {
      std::string list;
      for (std::size_t i = 0; i + 4 <= bytes.size(); i += 4) {
        std::snprintf(text, sizeof text, "%s%u.%u.%u.%u", i == 0 ? "" : " ", bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]);
        list += text;
      }
      return list;
    }
    case FieldFormat::kMac:
      if (bytes.size() == 6) {
        std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5]);
        return text;
      }
      break;
    case FieldFormat::kBytes:
      break;
  }
  constexpr std::size_t kShown = 32;
  if (bytes.size() <= kShown) return ToHex(bytes);
  return ToHex(bytes.first(kShown)) + "… (" + std::to_string(bytes.size()) + " bytes)";
}

void Dissection::ByteRegions(std::vector<Region>& out) const {
  out.assign(frame.size(), Region::kData);
  auto rank = [](Region region) {
    switch (region) {
      case Region::kPadding:
      case Region::kTrailer: return 3;
      case Region::kCiphertext: return 2;
      default: return 1;
    }
  };
  std::vector<std::uint8_t> ranks(frame.size(), 0);
  for (const Field& field : fields) {
    const int r = rank(field.region);
    for (std::size_t i = field.offset; i < std::size_t{field.offset} + field.length && i < out.size(); ++i) {
      if (r >= ranks[i]) {
        ranks[i] = static_cast<std::uint8_t>(r);
        out[i] = field.region;
      }
    }
  }
}

void Dissect(std::span<const std::uint8_t> frame, LinkType link, const CheckResult* check, Dissection& out) {
  out.Clear();
  out.frame = frame;
  out.plain = check != nullptr && check->plaintext.size() == frame.size() ? std::span<const std::uint8_t>(check->plaintext) : frame;
  Walker walker(out, check);
  std::string why;
  const auto ip_offset = Ipv4Offset(frame, link, &why);
  if (!ip_offset) {
    if (link == LinkType::kEthernet && frame.size() >= 14) {
      walker.Link(link, 14);
      walker.Add("eth", "payload", 14, frame.size() - 14, FieldFormat::kBytes, Region::kData);
    } else {
      walker.Malformed("frame", 0, frame.size(), why);
    }
    return;
  }
  walker.Link(link, *ip_offset);
  const std::size_t end = walker.Ip(*ip_offset, frame.size());
  if (end < frame.size()) walker.Add("frame", "trailer", end, frame.size() - end, FieldFormat::kBytes, Region::kData);
}

std::string FieldNameAt(const Dissection& dissection, std::size_t offset, bool decrypted) {
  if (offset >= dissection.frame.size()) return "frame.end";
  const Field* best = nullptr;
  const auto better = [&](const Field& field) {
    if (best == nullptr) return true;
    if (field.decrypted != best->decrypted) return field.decrypted == decrypted;
    return field.length < best->length;
  };
  for (const Field& field : dissection.fields) {
    if (offset < field.offset || offset - field.offset >= field.length) continue;
    if (better(field)) best = &field;
  }
  return best != nullptr ? dissection.Name(*best) : "frame.data";
}

}  // namespace sendpath::report
