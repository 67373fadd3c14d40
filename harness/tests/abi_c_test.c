/* Compiled as C11 with -Wall -Wextra -Wpedantic -Werror: the candidate headers are C, and the
 * NDIS accessors and macros find the buffers and the per-packet info of a packet laid out the way
 * the host lays it out. Exits non-zero on the first wrong answer. */
#include <sendpath/candidate_abi.h>
#include <sendpath/ndis51_packet.h>

#include <stdio.h>
#include <string.h>

#define CHECK(condition)                                              \
  do {                                                                \
    if (!(condition)) {                                               \
      fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #condition); \
      return 1;                                                       \
    }                                                                 \
  } while (0)

int main(void) {
  UCHAR frame[60];
  for (unsigned i = 0; i < sizeof frame; ++i) frame[i] = (UCHAR)i;
  NDIS_BUFFER buffers[3];
  memset(buffers, 0, sizeof buffers);
  const ULONG cuts[3] = {20, 8, 32};
  ULONG start = 0;
  for (unsigned i = 0; i < 3; ++i) {
    buffers[i].Next = i + 1 < 3 ? &buffers[i + 1] : NULL;
    buffers[i].MappedSystemVa = frame + start;
    buffers[i].ByteCount = cuts[i];
    start += cuts[i];
  }
  SENDPATH_PACKET_STORAGE storage;
  memset(&storage, 0, sizeof storage);
  NDIS_IPSEC_PACKET_INFO info;
  memset(&info, 0, sizeof info);
  info.Transmit.OffloadHandle = (NDIS_HANDLE)(uintptr_t)0x1234;
  PNDIS_PACKET packet = &storage.Packet;
  packet->Private.Head = &buffers[0];
  packet->Private.Tail = &buffers[2];
  packet->Private.Count = 3;
  packet->Private.PhysicalCount = 3;
  packet->Private.TotalLength = sizeof frame;
  packet->Private.NdisPacketOobOffset = (USHORT)offsetof(SENDPATH_PACKET_STORAGE, Oob);
  storage.Extension.NdisPacketInfo[IpSecPacketInfo] = &info;

  UINT physical = 0, count = 0, total = 0;
  PNDIS_BUFFER first = NULL;
  NdisQueryPacket(packet, &physical, &count, &first, &total);
  CHECK(count == 3 && physical == 3 && total == sizeof frame && first == &buffers[0]);

  PVOID address = NULL;
  UINT first_length = 0, total_length = 0;
  NdisGetFirstBufferFromPacket(packet, &first, &address, &first_length, &total_length);
  CHECK(first == &buffers[0] && address == frame && first_length == 20 && total_length == sizeof frame);

  /* Walk the chain the way a send routine does and reassemble the frame. */
  UCHAR copy[60];
  UINT copied = 0;
  PNDIS_BUFFER buffer = first;
  while (buffer != NULL) {
    PVOID va = NULL;
    UINT length = 0;
    NdisQueryBufferSafe(buffer, &va, &length, NormalPagePriority);
    CHECK(copied + length <= sizeof copy);
    memcpy(copy + copied, va, length);
    copied += length;
    NdisGetNextBuffer(buffer, &buffer);
  }
  CHECK(copied == sizeof frame && memcmp(copy, frame, sizeof frame) == 0);

  /* Both documented ways to the per-packet info [S1]; IpSecNdisTask == IpSecPacketInfo. */
  PNDIS_IPSEC_PACKET_INFO from_info = (PNDIS_IPSEC_PACKET_INFO)NDIS_PER_PACKET_INFO_FROM_PACKET(packet, IpSecPacketInfo);
  PNDIS_PACKET_EXTENSION extension = NDIS_PACKET_EXTENSION_FROM_PACKET(packet);
  CHECK(from_info == &info);
  CHECK(extension->NdisPacketInfo[IpSecNdisTask] == &info);
  CHECK(from_info->Transmit.OffloadHandle == (NDIS_HANDLE)(uintptr_t)0x1234 && from_info->Transmit.NextOffloadHandle == NULL);

  storage.Extension.NdisPacketInfo[IpSecPacketInfo] = NULL;
  CHECK(NDIS_PER_PACKET_INFO_FROM_PACKET(packet, IpSecPacketInfo) == NULL);

  CHECK(sizeof(SENDPATH_ADD_SA_EXTENSION) == 32);
  CHECK(SENDPATH_CANDIDATE_ABI_VERSION == 1);

  /* UDP-ESP: the OID_TCP_TASK_IPSEC_ADD_UDPESP_SA buffer as SetInformation receives it, key
   * material right after the fixed part (S14e), and the eight subtype flags of
   * Supported.RESERVED (S18 l.1285). */
  CHECK(OID_TCP_TASK_IPSEC_ADD_UDPESP_SA == 0xFC010205u && OID_TCP_TASK_IPSEC_DELETE_UDPESP_SA == 0xFC010206u);
  UCHAR udpesp[OFFLOAD_IPSEC_ADD_UDPESP_SA_SIZE(20)];
  memset(udpesp, 0, sizeof udpesp);
  POFFLOAD_IPSEC_ADD_UDPESP_SA add = (POFFLOAD_IPSEC_ADD_UDPESP_SA)(void *)udpesp;
  add->EncapTypeEntry.UdpEncapType = OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER;
  add->EncapTypeEntry.DstEncapPort = 4500;
  add->KeyLen = 20;
  add->KeyMat[19] = 0xAB;
  CHECK(sizeof udpesp == offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, KeyMat) + 20);
  CHECK(udpesp[sizeof udpesp - 1] == 0xAB);
  CHECK(offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, EncapTypeEntryOffldHandle) ==
        offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, EncapTypeEntry) + sizeof(OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_ENTRY));
  CHECK(OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_IKE == 0 && OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER == 1);
  CHECK((IPSEC_TPT_UDPESP_ENCAPTYPE_IKE | IPSEC_TUN_UDPESP_ENCAPTYPE_IKE | IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_IKE |
         IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_IKE) == 0x0F);
  CHECK((IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER | IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER | IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER |
         IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_OTHER) == 0xF0);
  OFFLOAD_IPSEC_DELETE_UDPESP_SA del;
  CHECK(sizeof del == 2 * sizeof(HANDLE));
  return 0;
}
