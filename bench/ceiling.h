// The ceiling: the bare OpenSSL EVP work of one send, with every context keyed in advance and no
// NIC code. For each SA portion, in the NIC's processing order (transport before tunnel, ESP
// before AH), exactly the calls the contract requires on exactly the bytes the NIC must cover:
//   ESP CBC:       one EVP_EncryptInit_ex2 (the IV) + one EVP_EncryptUpdate over the ciphertext;
//   ESP HMAC:      EVP_MAC_init + one EVP_MAC_update over ESP header .. ciphertext + EVP_MAC_final
//                  (RFC 4303 2.8);
//   ESP AES-GCM:   one seal: init (salt || IV), one AAD update over SPI || sequence (RFC 4106 5),
//                  one update over the payload, final, tag;
//   ESP AES-GMAC:  one seal with SPI .. trailer as AAD (RFC 4543 3.3);
//   AH:            one MAC over the zeroed IPv4 header, AH with a zero ICV and the rest of the
//                  packet (RFC 4302 3.3.3) — four updates, because the zeroed header and the zero
//                  ICV are not bytes of the frame.
// Where the bytes are contiguous in the frame the ceiling makes one call; the zeroed IPv4 header
// is prepared in advance. IVs are whatever the frame holds (the ceiling draws none).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bench/evp.h"
#include "bench/framing.h"

namespace sendpath::bench {

class Ceiling {
 public:
  // Keys every element of the packet's SAs and plans the work; nullptr with `error` set when
  // OpenSSL refuses an algorithm or key.
  static std::unique_ptr<Ceiling> Prepare(const FramedPacket& packet, std::string& error);

  // The EVP work of one send on `frame` (packet.frame's layout, IVs in place): ciphertext and
  // ICVs written in place. False when an EVP call fails.
  bool Run(std::span<std::uint8_t> frame);

  ~Ceiling();

 private:
  Ceiling() = default;
  struct ElementKeys;
  struct Piece;
  struct Operation;
  std::vector<std::unique_ptr<ElementKeys>> keys_;
  std::vector<Bytes> ah_headers_;
  std::vector<Operation> operations_;
};

}  // namespace sendpath::bench
