/*
 * ndis51_packet.h - NDIS 5.1 packet descriptors (NDIS_PACKET, NDIS_BUFFER) and their accessors.
 *
 * A shim of the ndis.h types a miniport's send routine touches, with the real names and
 * signatures, so that a vendor's MiniportSend body compiles against sendpath with few changes:
 *   - NDIS_BUFFER is an MDL: a singly linked chain of (virtual address, byte count) nodes.
 *   - NDIS_PACKET carries Private.Head/Tail/TotalLength and Private.NdisPacketOobOffset; the
 *     NDIS_PACKET_OOB_DATA and the NDIS_PACKET_EXTENSION follow at that offset, so the real
 *     macros NDIS_PACKET_EXTENSION_FROM_PACKET and NDIS_PER_PACKET_INFO_FROM_PACKET work
 *     (contract reference section 5.2; ndis.h [S18]).
 *   - NdisQueryPacket, NdisGetFirstBufferFromPacket, NdisQueryBuffer, NdisQueryBufferSafe,
 *     NdisGetNextBuffer, NdisBufferLength and NdisBufferVirtualAddress as static inline functions.
 *
 * The harness builds these structures; a candidate only reads them. Fields a send routine has no
 * business with (pool, flags, physical page lists) are kept for layout familiarity and are zero.
 *
 * Plain C11; usable from C++.
 */
#ifndef SENDPATH_NDIS51_PACKET_H
#define SENDPATH_NDIS51_PACKET_H

#include <sendpath/ndis51.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef VOID
#define VOID void
#endif
typedef unsigned int UINT, *PUINT;
typedef int16_t CSHORT;
typedef uintptr_t ULONG_PTR;
typedef uint64_t ULONGLONG;

/* MM_PAGE_PRIORITY (wdm.h): the Priority argument of NdisQueryBufferSafe. */
typedef enum _MM_PAGE_PRIORITY {
  LowPagePriority = 0,
  NormalPagePriority = 16,
  HighPagePriority = 32
} MM_PAGE_PRIORITY;

/* NDIS_BUFFER is an MDL (wdm.h). MappedSystemVa is the buffer's virtual address, ByteCount its
 * length; StartVa/ByteOffset describe the same address page-relative and are filled in for
 * drivers that compute it that way (StartVa + ByteOffset == MappedSystemVa). */
typedef struct _NDIS_BUFFER {
  struct _NDIS_BUFFER *Next;
  CSHORT Size;
  CSHORT MdlFlags;
  PVOID Process;
  PVOID MappedSystemVa;
  PVOID StartVa;
  ULONG ByteCount;
  ULONG ByteOffset;
} NDIS_BUFFER, *PNDIS_BUFFER, MDL, *PMDL;

#define MDL_MAPPED_TO_SYSTEM_VA 0x0001
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004

typedef struct _NDIS_PACKET_POOL *PNDIS_PACKET_POOL;

/* NDIS_PACKET_PRIVATE (ndis.h): the part NDIS owns. */
typedef struct _NDIS_PACKET_PRIVATE {
  UINT PhysicalCount; /* physical pages spanned by the chain (one per buffer here) */
  UINT TotalLength;   /* bytes in the whole chain */
  PNDIS_BUFFER Head;
  PNDIS_BUFFER Tail;
  PNDIS_PACKET_POOL Pool;
  UINT Count; /* buffers in the chain */
  ULONG Flags;
  BOOLEAN ValidCounts;
  UCHAR NdisPacketFlags;
  USHORT NdisPacketOobOffset; /* from the packet's start to its NDIS_PACKET_OOB_DATA */
} NDIS_PACKET_PRIVATE, *PNDIS_PACKET_PRIVATE;

typedef struct _NDIS_PACKET {
  NDIS_PACKET_PRIVATE Private;
  UCHAR MiniportReserved[2 * sizeof(PVOID)];
  UCHAR WrapperReserved[2 * sizeof(PVOID)];
  ULONG_PTR Reserved[2];
  UCHAR ProtocolReserved[1];
} NDIS_PACKET, *PNDIS_PACKET;

/* NDIS_PACKET_OOB_DATA (ndis.h): out-of-band data; the per-packet extension follows it. */
typedef struct _NDIS_PACKET_OOB_DATA {
  ULONGLONG TimeToSend;
  ULONGLONG TimeReceived;
  UINT HeaderSize;
  UINT SizeMediaSpecificInfo;
  PVOID MediaSpecificInformation;
  NDIS_STATUS Status;
} NDIS_PACKET_OOB_DATA, *PNDIS_PACKET_OOB_DATA;

/* The ndis.h macros, verbatim in effect. NDIS_PER_PACKET_INFO_FROM_PACKET(P, IpSecPacketInfo)
 * yields the slot's PVOID, which for IpSecPacketInfo points to an NDIS_IPSEC_PACKET_INFO or is
 * NULL when the packet carries none [S13]. */
#define NDIS_OOB_DATA_FROM_PACKET(_Packet) \
  ((PNDIS_PACKET_OOB_DATA)((PUCHAR)(_Packet) + (_Packet)->Private.NdisPacketOobOffset))
#define NDIS_PACKET_EXTENSION_FROM_PACKET(_P) \
  ((PNDIS_PACKET_EXTENSION)((PUCHAR)(_P) + (_P)->Private.NdisPacketOobOffset + sizeof(NDIS_PACKET_OOB_DATA)))
#define NDIS_PER_PACKET_INFO_FROM_PACKET(_P, _Id) \
  ((PNDIS_PACKET_EXTENSION)((PUCHAR)(_P) + (_P)->Private.NdisPacketOobOffset + \
                            sizeof(NDIS_PACKET_OOB_DATA)))->NdisPacketInfo[(_Id)]
#define NDIS_GET_PACKET_STATUS(_Packet) (NDIS_OOB_DATA_FROM_PACKET(_Packet)->Status)

/* NdisQueryPacket(Packet, PhysicalBufferCount, BufferCount, FirstBuffer, TotalPacketLength):
 * every out parameter is optional (NULL). */
static inline VOID NdisQueryPacket(PNDIS_PACKET Packet, PUINT PhysicalBufferCount, PUINT BufferCount,
                                   PNDIS_BUFFER *FirstBuffer, PUINT TotalPacketLength) {
  if (PhysicalBufferCount != NULL) *PhysicalBufferCount = Packet->Private.PhysicalCount;
  if (BufferCount != NULL) *BufferCount = Packet->Private.Count;
  if (FirstBuffer != NULL) *FirstBuffer = Packet->Private.Head;
  if (TotalPacketLength != NULL) *TotalPacketLength = Packet->Private.TotalLength;
}

/* NdisQueryBuffer(Buffer, VirtualAddress, Length); VirtualAddress is optional. */
static inline VOID NdisQueryBuffer(PNDIS_BUFFER Buffer, PVOID *VirtualAddress, PUINT Length) {
  if (VirtualAddress != NULL) *VirtualAddress = Buffer->MappedSystemVa;
  *Length = Buffer->ByteCount;
}

/* NdisQueryBufferSafe(Buffer, VirtualAddress, Length, Priority): the mapping never fails here,
 * so Priority is accepted and ignored. */
static inline VOID NdisQueryBufferSafe(PNDIS_BUFFER Buffer, PVOID *VirtualAddress, PUINT Length,
                                       MM_PAGE_PRIORITY Priority) {
  (void)Priority;
  NdisQueryBuffer(Buffer, VirtualAddress, Length);
}

/* NdisGetNextBuffer(CurrentBuffer, NextBuffer): NULL after the last buffer. */
static inline VOID NdisGetNextBuffer(PNDIS_BUFFER CurrentBuffer, PNDIS_BUFFER *NextBuffer) {
  *NextBuffer = CurrentBuffer->Next;
}

static inline UINT NdisBufferLength(PNDIS_BUFFER Buffer) { return Buffer->ByteCount; }
static inline PVOID NdisBufferVirtualAddress(PNDIS_BUFFER Buffer) { return Buffer->MappedSystemVa; }
static inline PVOID NdisBufferVirtualAddressSafe(PNDIS_BUFFER Buffer, MM_PAGE_PRIORITY Priority) {
  (void)Priority;
  return Buffer->MappedSystemVa;
}

/* NdisGetFirstBufferFromPacket(Packet, FirstBuffer, FirstBufferVA, FirstBufferLength,
 * TotalBufferLength): the first buffer, its address and length, and the whole chain's length.
 * With an empty chain the buffer and address are NULL and both lengths 0. */
static inline VOID NdisGetFirstBufferFromPacket(PNDIS_PACKET Packet, PNDIS_BUFFER *FirstBuffer,
                                                PVOID *FirstBufferVA, PUINT FirstBufferLength,
                                                PUINT TotalBufferLength) {
  PNDIS_BUFFER first = Packet->Private.Head;
  *FirstBuffer = first;
  *FirstBufferVA = first != NULL ? first->MappedSystemVa : NULL;
  *FirstBufferLength = first != NULL ? first->ByteCount : 0u;
  *TotalBufferLength = Packet->Private.TotalLength;
}

/* NdisGetFirstBufferFromPacketSafe: the same with a mapping priority. */
static inline VOID NdisGetFirstBufferFromPacketSafe(PNDIS_PACKET Packet, PNDIS_BUFFER *FirstBuffer,
                                                    PVOID *FirstBufferVA, PUINT FirstBufferLength,
                                                    PUINT TotalBufferLength, MM_PAGE_PRIORITY Priority) {
  (void)Priority;
  NdisGetFirstBufferFromPacket(Packet, FirstBuffer, FirstBufferVA, FirstBufferLength, TotalBufferLength);
}

/* How the harness lays a packet out in memory: the descriptor, its OOB data and the per-packet
 * extension, contiguous, with Private.NdisPacketOobOffset = offsetof(..., Oob). */
typedef struct _SENDPATH_PACKET_STORAGE {
  NDIS_PACKET Packet;
  NDIS_PACKET_OOB_DATA Oob;
  NDIS_PACKET_EXTENSION Extension;
} SENDPATH_PACKET_STORAGE;

SENDPATH_STATIC_ASSERT(offsetof(SENDPATH_PACKET_STORAGE, Extension) ==
                           offsetof(SENDPATH_PACKET_STORAGE, Oob) + sizeof(NDIS_PACKET_OOB_DATA),
                       "the per-packet extension directly follows the OOB data");

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SENDPATH_NDIS51_PACKET_H */
