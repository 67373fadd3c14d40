/*
 * sample_nic.c - an NDIS 5.1 IPsec send-offload NIC, written the way a vendor's driver model
 * would be: plain C11 against the sendpath candidate ABI (include/sendpath/candidate_abi.h) and
 * the NDIS_PACKET shim (include/sendpath/ndis51_packet.h).
 *
 * The miniport keeps its SAs in a fixed-size table programmed by OID_TCP_TASK_IPSEC_ADD_SA and
 * OID_TCP_TASK_IPSEC_ADD_UDPESP_SA (ESP behind UDP 4500, RFC 3948, with its parser entries), and
 * in MiniportSend it
 *   1. reads the per-packet NDIS_IPSEC_PACKET_INFO (NDIS_PER_PACKET_INFO_FROM_PACKET, [S13]);
 *   2. parses every header it needs (Ethernet, IPv4 with options, AH, ESP, the tunnel's inner
 *      IPv4 header) through a cursor over the NDIS_BUFFER chain, so a header cut across buffers
 *      is read like any other, and checks everything before touching a byte;
 *   3. gathers the chain into the transmit buffer (what the DMA engine does) and runs the crypto
 *      there: transport portion first, then tunnel [S1]; within a bundle ESP, then AH [S7].
 *
 * The rules and statuses are those of reference_nic/README.md; this file shares no code with the
 * reference NIC, so its agreement with the reference over the whole suite is a check of both.
 *
 * Every cipher and MAC goes through OpenSSL 3 EVP, in a library context of the adapter's own
 * (the default provider, and the legacy provider for DES-CBC when it can be loaded).
 *
 * Seeded faults: candidates/CMakeLists.txt compiles this file once more per fault with
 * -DSAMPLE_NIC_FAULT_<NAME>; each fault is a few lines under its #ifdef, next to the line it
 * breaks (candidates/FAULTS.md lists them).
 *
 * Options (the `lib:PATH,key=value` text): sa_capacity=N (live SAs; NDIS_STATUS_RESOURCES
 * beyond; default 1024).
 */
#include <sendpath/candidate_abi.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef SAMPLE_NIC_VARIANT
#define SAMPLE_NIC_VARIANT "clean"
#endif

#define SN_EXPORT __attribute__((visibility("default")))
#define SN_COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

#ifndef TRUE
#define TRUE 1
#define FALSE 0
#endif

/* ---- Protocol constants ------------------------------------------------------------------- */
#define SN_ETHERNET_HEADER 14   /* IEEE 802.3 / Ethernet II: destination, source, EtherType */
#define SN_ETHERTYPE_IPV4 0x0800
#define SN_IPV4_MIN_HEADER 20
#define SN_IPV4_MAX_HEADER 60
#define SN_AH_FIXED_HEADER 12   /* RFC 4302 2: Next Header, Payload Len, Reserved, SPI, Sequence */
#define SN_ESP_HEADER 8         /* RFC 4303 2: SPI, Sequence Number */
#define SN_UDP_HEADER 8         /* RFC 768: source port, destination port, length, checksum */
#define SN_UDPESP_PORT 4500     /* RFC 3948 2.1; the only port NDIS 5.1 parses [S15a] */
#define SN_ESP_TRAILER 2        /* RFC 4303 2: Pad Length, Next Header */
#define SN_SALT_LENGTH 4        /* RFC 4106 8.1 / RFC 4543 3.2: KEYMAT = key || salt */
#define SN_GCM_NONCE_LENGTH 12  /* salt || 8-byte IV */
#define SN_GCM_TAG_LENGTH 16
#define SN_MAX_IV_LENGTH 16
#define SN_MAX_ICV_LENGTH 16
#define SN_PROTOCOL_IPV4 4
#define SN_PROTOCOL_UDP 17
#define SN_PROTOCOL_ESP 50
#define SN_PROTOCOL_AH 51

#define SN_OPTION_EOL 0
#define SN_OPTION_NOP 1
#define SN_OPTION_LSRR 131
#define SN_OPTION_SSRR 137

#define SN_DEFAULT_SA_CAPACITY 1024u
#define SN_MAX_SA_CAPACITY (1u << 20)
/* OffloadHandle = serial << SN_HANDLE_SLOT_BITS | slot: never 0, never reused. */
#define SN_HANDLE_SLOT_BITS 20
#define SN_HANDLE_SLOT_MASK ((1u << SN_HANDLE_SLOT_BITS) - 1u)

/* ---- Algorithms ----------------------------------------------------------------------------- */
typedef enum _SN_CIPHER_MODE { SnCipherNull, SnCipherCbc, SnCipherGcm } SN_CIPHER_MODE;

typedef struct _SN_CIPHER_ALGORITHM {
  ULONG Identifier;     /* OFFLOAD_ALGO_INFO.algoIdentifier in ConfAlgo */
  const char *EvpName;  /* NULL for null ESP */
  SN_CIPHER_MODE Mode;
  ULONG KeyLength;  /* algoKeylen; for GCM the AES key followed by the salt */
  ULONG IvLength;
  ULONG BlockSize;  /* 1 for null ESP and GCM */
} SN_CIPHER_ALGORITHM;

/* DES and 3DES keep their NDIS 5.1 identifiers, AES uses the IPsec offload v2 ones [S21]. */
static const SN_CIPHER_ALGORITHM SnCiphers[] = {
    {OFFLOAD_IPSEC_CONF_NONE, NULL, SnCipherNull, 0, 0, 1},                                    /* RFC 2410 */
    {OFFLOAD_IPSEC_CONF_DES, "DES-CBC", SnCipherCbc, 8, 8, 8},                                 /* RFC 2405 */
    {OFFLOAD_IPSEC_CONF_3_DES, "DES-EDE3-CBC", SnCipherCbc, 24, 8, 8},                         /* RFC 2451 */
    {IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128, "AES-128-CBC", SnCipherCbc, 16, 16, 16},        /* RFC 3602 */
    {IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_192, "AES-192-CBC", SnCipherCbc, 24, 16, 16},
    {IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_256, "AES-256-CBC", SnCipherCbc, 32, 16, 16},
    {IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128, "AES-128-GCM", SnCipherGcm, 16 + SN_SALT_LENGTH, 8, 1}, /* RFC 4106 */
    {IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_192, "AES-192-GCM", SnCipherGcm, 24 + SN_SALT_LENGTH, 8, 1},
    {IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_256, "AES-256-GCM", SnCipherGcm, 32 + SN_SALT_LENGTH, 8, 1},
};

typedef enum _SN_AUTH_MODE { SnAuthNone, SnAuthHmac, SnAuthGmac } SN_AUTH_MODE;

typedef struct _SN_AUTH_ALGORITHM {
  ULONG Identifier;     /* OFFLOAD_ALGO_INFO.algoIdentifier in IntegrityAlgo */
  const char *EvpName;  /* the digest of an HMAC; NULL otherwise */
  SN_AUTH_MODE Mode;
  ULONG KeyLength;  /* algoKeylen; for GMAC the AES key followed by the salt */
  ULONG IcvLength;
  ULONG IvLength;      /* 8 for GMAC (RFC 4543 3.1), else 0 */
  ULONG GcmCipher;     /* GMAC: the index in SnCiphers of the AES-GCM it runs on */
} SN_AUTH_ALGORITHM;

static const SN_AUTH_ALGORITHM SnAuths[] = {
    {OFFLOAD_IPSEC_INTEGRITY_NONE, NULL, SnAuthNone, 0, 0, 0, 0},
    {OFFLOAD_IPSEC_INTEGRITY_MD5, "MD5", SnAuthHmac, 16, TRUNCATED_HASH_LEN, 0, 0},  /* RFC 2403 */
    {OFFLOAD_IPSEC_INTEGRITY_SHA, "SHA1", SnAuthHmac, 20, TRUNCATED_HASH_LEN, 0, 0}, /* RFC 2404 */
    {IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_256, "SHA256", SnAuthHmac, 32, 16, 0, 0},   /* RFC 4868 2.1.1 */
    {IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_128, NULL, SnAuthGmac, 16 + SN_SALT_LENGTH, 16, 8, 6}, /* RFC 4543 */
    {IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_192, NULL, SnAuthGmac, 24 + SN_SALT_LENGTH, 16, 8, 7},
    {IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_256, NULL, SnAuthGmac, 32 + SN_SALT_LENGTH, 16, 8, 8},
};

#define SN_CIPHER_DES_INDEX 1u
#define SN_CIPHER_AES_CBC_128_INDEX 3u

/* ---- Capabilities (NDIS_TASK_IPSEC plus the sendpath extension) ------------------------------ */
typedef struct _SN_CAPABILITIES {
  NDIS_TASK_IPSEC Task;
  SENDPATH_TASK_IPSEC_EXTENSION Extension;
} SN_CAPABILITIES;

/* ---- Security associations ---------------------------------------------------------------- */
typedef struct _SN_SECASSOC {
  OFFLOAD_OPERATION_E Operation;
  ULONG Spi;
  const SN_CIPHER_ALGORITHM *Cipher; /* ESP only; NULL for AH */
  const SN_AUTH_ALGORITHM *Auth;     /* SnAuths[0] when the element has no integrity of its own */
  BOOLEAN Esn;
  ULONG SequenceNumberHighOrder;
  EVP_CIPHER_CTX *CipherCtx; /* CBC or GCM with the key scheduled at ADD_SA */
  UCHAR CipherSalt[SN_SALT_LENGTH];
  EVP_MAC_CTX *HmacCtx;
  EVP_CIPHER_CTX *GmacCtx;
  UCHAR GmacSalt[SN_SALT_LENGTH];
} SN_SECASSOC;

typedef struct _SN_SA {
  BOOLEAN InUse;
  BOOLEAN Outbound;
  BOOLEAN TunnelSa; /* SrcTunnelAddr or DestTunnelAddr set: covers the tunnel portion [S14a] */
  BOOLEAN UdpEsp;   /* added by OID_TCP_TASK_IPSEC_ADD_UDPESP_SA: ESP behind UDP 4500 [S14e] */
  NDIS_HANDLE OffloadHandle;
  NDIS_HANDLE ParserEntry; /* inbound UDP-ESP: the parser entry it was added with [S15a] */
  ULONG NumSAs;
  LONG EspIndex; /* SecAssoc[] positions, -1 when absent */
  LONG AhIndex;
  SN_SECASSOC SecAssoc[2];
} SN_SA;

/* A UDP-ESP parser entry [S15a]: encapsulation type and port, for the receive side. Handles come
 * from the SA serial counter, so an entry handle is never reused and never names an SA. */
typedef struct _SN_PARSER_ENTRY {
  BOOLEAN InUse;
  NDIS_HANDLE Handle;
  OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_ENTRY Entry;
} SN_PARSER_ENTRY;

/* The crypto engine's algorithms, opened once when the driver loads and shared by every adapter
 * (as a Windows driver opens its algorithm providers in DriverEntry): initialising or resetting an
 * adapter then costs its SA table only. Fetched algorithms are immutable and reference counted, so
 * adapters on several threads share them safely. */
typedef struct _SN_DRIVER {
  OSSL_LIB_CTX *LibCtx; /* the NIC's own: the host's OpenSSL configuration stays untouched */
  OSSL_PROVIDER *DefaultProvider;
  OSSL_PROVIDER *LegacyProvider; /* NULL: no DES */
  EVP_CIPHER *Ciphers[SN_COUNT_OF(SnCiphers)];
  EVP_MAC *Hmac;
  NDIS_STATUS Status; /* of the one load: NDIS_STATUS_SUCCESS or why the driver cannot run */
} SN_DRIVER;

typedef struct _SN_ADAPTER {
  const SN_DRIVER *Driver;

  SN_CAPABILITIES Reported;
  SN_CAPABILITIES Enabled;
  BOOLEAN OffloadSet;
  ULONG EncapsulationLength; /* 0: NULL_Encapsulation, 14: IEEE_802_3_Encapsulation */

  SN_SA *SaTable;
  ULONG SaCapacity;
  ULONG LiveSas;
  ULONG NextSerial;
  SN_PARSER_ENTRY *ParserEntries; /* SaCapacity slots: an inbound SA holds at most one */

  BOOLEAN PendingExtensionValid; /* OID_SENDPATH_IPSEC_ADD_SA_EXTENSION for the next ADD_SA */
  SENDPATH_ADD_SA_EXTENSION PendingExtension;

  SENDPATH_IV_CALLBACK IvCallback;
  PVOID IvCallbackContext;
#ifdef SAMPLE_NIC_FAULT_CBC_IV_COUNTER
  ULONG IvCounter;
#endif
} SN_ADAPTER, *PSN_ADAPTER;

/* ---- Byte helpers ---------------------------------------------------------------------------- */
static ULONG SnLoadBe32(const UCHAR *p) {
  return (ULONG)p[0] << 24 | (ULONG)p[1] << 16 | (ULONG)p[2] << 8 | (ULONG)p[3];
}

static ULONG SnLoadBe16(const UCHAR *p) { return (ULONG)p[0] << 8 | (ULONG)p[1]; }

static VOID SnStoreBe32(PUCHAR p, ULONG v) {
  p[0] = (UCHAR)(v >> 24);
  p[1] = (UCHAR)(v >> 16);
  p[2] = (UCHAR)(v >> 8);
  p[3] = (UCHAR)v;
}

/* ---- NDIS_BUFFER chain cursor ---------------------------------------------------------------
 * Headers are read where they lie in the chain, across buffer boundaries (what
 * NdisCopyFromPacketToBuffer does for a real miniport). The cursor remembers the buffer it is in,
 * so reading forward through a packet walks the chain once. */
typedef struct _SN_CHAIN_CURSOR {
  PNDIS_BUFFER Head;
  PNDIS_BUFFER Buffer;  /* the buffer holding packet bytes [BufferStart, BufferStart + Length) */
  const UCHAR *Va;
  UINT Length;
  ULONG BufferStart;
  ULONG PacketLength;   /* TotalPacketLength from NdisGetFirstBufferFromPacket */
} SN_CHAIN_CURSOR;

static VOID SnCursorLoad(SN_CHAIN_CURSOR *Cursor, PNDIS_BUFFER Buffer) {
  PVOID va = NULL;
  UINT length = 0;
  if (Buffer != NULL) NdisQueryBufferSafe(Buffer, &va, &length, NormalPagePriority);
  Cursor->Buffer = Buffer;
  Cursor->Va = (const UCHAR *)va;
  Cursor->Length = va != NULL ? length : 0u;
}

static VOID SnCursorInit(SN_CHAIN_CURSOR *Cursor, PNDIS_PACKET Packet) {
  PNDIS_BUFFER first = NULL;
  PVOID va = NULL;
  UINT first_length = 0, total_length = 0;
  NdisGetFirstBufferFromPacketSafe(Packet, &first, &va, &first_length, &total_length, NormalPagePriority);
  Cursor->Head = first;
  Cursor->Buffer = first;
  Cursor->Va = (const UCHAR *)va;
  Cursor->Length = va != NULL ? first_length : 0u;
  Cursor->BufferStart = 0;
  Cursor->PacketLength = total_length;
}

/* Moves to the buffer holding packet byte Offset; FALSE when the chain ends first. */
static BOOLEAN SnCursorSeek(SN_CHAIN_CURSOR *Cursor, ULONG Offset) {
  if (Offset < Cursor->BufferStart) {
    Cursor->BufferStart = 0;
    SnCursorLoad(Cursor, Cursor->Head);
  }
  while (Cursor->Buffer != NULL && Offset - Cursor->BufferStart >= Cursor->Length) {
    PNDIS_BUFFER next = NULL;
    Cursor->BufferStart += Cursor->Length;
    NdisGetNextBuffer(Cursor->Buffer, &next);
    SnCursorLoad(Cursor, next);
  }
  return Cursor->Buffer != NULL;
}

/* Copies Count packet bytes from Offset into Out, whatever buffers they lie in. */
static BOOLEAN SnCursorRead(SN_CHAIN_CURSOR *Cursor, ULONG Offset, PUCHAR Out, ULONG Count) {
  if (Offset > Cursor->PacketLength || Count > Cursor->PacketLength - Offset) return FALSE;
  while (Count > 0) {
    ULONG within, take;
    if (!SnCursorSeek(Cursor, Offset)) return FALSE;
    within = Offset - Cursor->BufferStart;
    take = Cursor->Length - within;
    if (take > Count) take = Count;
    memcpy(Out, Cursor->Va + within, take);
    Out += take;
    Offset += take;
    Count -= take;
  }
  return TRUE;
}

static BOOLEAN SnCursorReadByte(SN_CHAIN_CURSOR *Cursor, ULONG Offset, PUCHAR Out) {
  return SnCursorRead(Cursor, Offset, Out, 1);
}

#ifdef SAMPLE_NIC_FAULT_ESP_HEADER_SPLIT
/* Packet offset where the buffer holding Offset ends. */
static ULONG SnCursorBufferEnd(SN_CHAIN_CURSOR *Cursor, ULONG Offset) {
  if (!SnCursorSeek(Cursor, Offset)) return Offset;
  return Cursor->BufferStart + Cursor->Length;
}
#endif

/* ---- IPv4 header --------------------------------------------------------------------------- */
typedef struct _SN_IPV4 {
  ULONG Offset;        /* packet offset of the header */
  ULONG HeaderLength;  /* IHL * 4 */
  ULONG TotalLength;
  UCHAR Protocol;
  BOOLEAN Fragment;    /* MF set or a non-zero fragment offset */
  BOOLEAN HasOptions;
  UCHAR Bytes[SN_IPV4_MAX_HEADER]; /* the header as the transport framed it */
} SN_IPV4;

/* Reads and checks the IPv4 header at Offset; the packet may not run past Limit. Any failure is a
 * framing error (INVALID_PACKET). */
static NDIS_STATUS SnParseIpv4(SN_CHAIN_CURSOR *Cursor, ULONG Offset, ULONG Limit, SN_IPV4 *Ip) {
  ULONG i;
  if (Offset > Limit || Limit - Offset < SN_IPV4_MIN_HEADER) return NDIS_STATUS_INVALID_PACKET;
  if (!SnCursorRead(Cursor, Offset, Ip->Bytes, SN_IPV4_MIN_HEADER)) return NDIS_STATUS_INVALID_PACKET;
  if ((Ip->Bytes[0] >> 4) != 4) return NDIS_STATUS_INVALID_PACKET;
  Ip->Offset = Offset;
  Ip->HeaderLength = (ULONG)(Ip->Bytes[0] & 0x0f) * 4u;
  if (Ip->HeaderLength < SN_IPV4_MIN_HEADER || Ip->HeaderLength > Limit - Offset) return NDIS_STATUS_INVALID_PACKET;
  Ip->TotalLength = SnLoadBe16(&Ip->Bytes[2]);
  if (Ip->TotalLength < Ip->HeaderLength || Ip->TotalLength > Limit - Offset) return NDIS_STATUS_INVALID_PACKET;
  if (!SnCursorRead(Cursor, Offset + SN_IPV4_MIN_HEADER, Ip->Bytes + SN_IPV4_MIN_HEADER,
                    Ip->HeaderLength - SN_IPV4_MIN_HEADER)) {
    return NDIS_STATUS_INVALID_PACKET;
  }
  Ip->Protocol = Ip->Bytes[9];
  /* RFC 791: flags in the top 3 bits of byte 6 (MF = 0x20), fragment offset in the other 13. */
  Ip->Fragment = (Ip->Bytes[6] & 0x20) != 0 || (SnLoadBe16(&Ip->Bytes[6]) & 0x1fffu) != 0;
  Ip->HasOptions = Ip->HeaderLength > SN_IPV4_MIN_HEADER;

  /* RFC 791 option format: EOL and NOP are one byte, everything else type, length, data. */
  for (i = SN_IPV4_MIN_HEADER; i < Ip->HeaderLength;) {
    const UCHAR type = Ip->Bytes[i];
    ULONG length;
    if (type == SN_OPTION_EOL) break;
    if (type == SN_OPTION_NOP) {
      ++i;
      continue;
    }
    if (i + 1 >= Ip->HeaderLength) return NDIS_STATUS_INVALID_PACKET;
    length = Ip->Bytes[i + 1];
    if (length < 2 || i + length > Ip->HeaderLength) return NDIS_STATUS_INVALID_PACKET;
    /* RFC 791 3.1: a source route is type, length, pointer and whole 4-byte addresses (length
     * 3 + 4n). A partial address names no final destination for the AH ICV (RFC 4302
     * 3.3.3.1.1.1): malformed, like any option that does not fit (reference_nic/README.md). */
    if ((type == SN_OPTION_LSRR || type == SN_OPTION_SSRR) && (length < 3 || (length - 3) % 4 != 0)) {
      return NDIS_STATUS_INVALID_PACKET;
    }
    i += length;
  }
  return NDIS_STATUS_SUCCESS;
}

/* RFC 4302 Appendix A.1: the options the AH ICV covers as they are. Every other option (the
 * mutable ones, and any the appendix does not list) is zeroed. */
static BOOLEAN SnOptionIsImmutable(UCHAR Type) {
#ifdef SAMPLE_NIC_FAULT_AH_COPIED_FLAG_AS_IMMUTABLE
  /* Bug: "an option routers copy into fragments does not change in transit": the copied flag
   * (RFC 791 3.1, the type's top bit) is taken for immutability, so LSRR, SSRR and Stream ID are
   * covered as they are. */
  return (Type & 0x80u) != 0 || Type == 0 || Type == 1;
#endif
#ifdef SAMPLE_NIC_FAULT_AH_ALL_OPTIONS_ZEROED
  /* Bug: the immutable list was never filled in; every option is zeroed for the ICV. */
  (void)Type;
  return FALSE;
#endif
  switch (Type) {
    case 0:   /* End of Options List */
    case 1:   /* No Operation */
    case 130: /* Security (RFC 1108) */
    case 133: /* Extended Security (RFC 1108) */
    case 134: /* Commercial Security */
    case 148: /* Router Alert (RFC 2113) */
    case 149: /* Sender Directed Multi-Destination Delivery (RFC 1770) */
#ifdef SAMPLE_NIC_FAULT_AH_MUTABLE_OPTION_KEPT
    /* Bug: Record Route and Timestamp look like plain data and were put in the immutable list;
     * routers rewrite both (RFC 4302 Appendix A.1: mutable, zeroed). */
    case 7:   /* Record Route */
    case 68:  /* Timestamp */
#endif
      return TRUE;
    default:
      return FALSE;
  }
}

/* The IPv4 header as the AH ICV sees it (RFC 4302 3.3.3.1.1): mutable fields zeroed, mutable
 * options zeroed, the destination replaced by the final one of a source route. */
static VOID SnAhHeaderView(const SN_IPV4 *Ip, PUCHAR View) {
  ULONG i;
  memcpy(View, Ip->Bytes, Ip->HeaderLength);
#ifndef SAMPLE_NIC_FAULT_AH_MUTABLE_FIELDS_NOT_ZEROED
  /* Without this block (FAULT_AH_MUTABLE_FIELDS_NOT_ZEROED) the view is built for the options
   * only: TOS, flags, fragment offset, TTL and checksum go into the ICV as framed. */
#if defined(SAMPLE_NIC_FAULT_AH_DSCP_NOT_ZEROED)
  View[1] &= 0xfcu;        /* Bug: only ECN is taken as mutable (RFC 3168); DSCP is kept */
#elif defined(SAMPLE_NIC_FAULT_AH_ECN_NOT_ZEROED)
  View[1] &= 0x03u;        /* Bug: only DSCP is taken as mutable (RFC 2474); ECN is kept */
#else
  View[1] = 0;             /* Type of Service */
#endif
#ifndef SAMPLE_NIC_FAULT_AH_FLAGS_OFFSET_NOT_ZEROED
  /* Without it (FAULT_AH_FLAGS_OFFSET_NOT_ZEROED): "this NIC refuses fragments, so flags and
   * offset never change" - but DF and the reserved bit may (RFC 4302 3.3.3.1.1.1). */
  View[6] = View[7] = 0;   /* Flags, Fragment Offset */
#endif
#ifndef SAMPLE_NIC_FAULT_AH_TTL_NOT_ZEROED
  View[8] = 0;             /* Time to Live */
#endif
#ifndef SAMPLE_NIC_FAULT_AH_CHECKSUM_NOT_ZEROED
  View[10] = View[11] = 0; /* Header Checksum */
#endif
#endif /* SAMPLE_NIC_FAULT_AH_MUTABLE_FIELDS_NOT_ZEROED */

  for (i = SN_IPV4_MIN_HEADER; i < Ip->HeaderLength;) {
    const UCHAR type = Ip->Bytes[i];
    ULONG length;
    if (type == SN_OPTION_EOL) break;
    if (type == SN_OPTION_NOP) {
      ++i;
      continue;
    }
    length = Ip->Bytes[i + 1];
#if defined(SAMPLE_NIC_FAULT_AH_SSRR_FINAL_IGNORED)
    /* Bug: the final-destination rule was written for LSRR only; an SSRR leaves the
     * destination as framed (RFC 4302 3.3.3.1.1.1 names both source routes). */
    if (type == SN_OPTION_LSRR) {
      const ULONG pointer = Ip->Bytes[i + 2];
      if (length >= 7 && pointer <= length) memcpy(View + 16, Ip->Bytes + i + length - 4, 4);
    }
#elif !defined(SAMPLE_NIC_FAULT_AH_SOURCE_ROUTE_IGNORED)
    if (type == SN_OPTION_LSRR || type == SN_OPTION_SSRR) {
      /* RFC 4302 3.3.3.1.1.1: the destination is "mutable but predictable": the ICV uses the
       * address the packet arrives with, the route's last address while the pointer is still
       * inside the route; once the route is used up the header already holds it. */
      const ULONG pointer = Ip->Bytes[i + 2];
      if (length >= 7 && pointer <= length) memcpy(View + 16, Ip->Bytes + i + length - 4, 4);
    }
#endif
    /* RFC 4302 3.3.3.1.1.2: a mutable option is zeroed whole, type and length included. */
    if (!SnOptionIsImmutable(type)) memset(View + i, 0, length);
    i += length;
  }
}

/* ---- Where one portion's IPsec headers are ------------------------------------------------ */
typedef struct _SN_PORTION {
  SN_SA *Sa;
  SN_IPV4 Ip;
  ULONG End;            /* Ip.Offset + total length: the end of what the portion covers */
  ULONG AhOffset;       /* 0 when the SA has no AH */
  ULONG AhLength;
  ULONG UdpOffset;      /* UDP-ESP: the UDP header in front of ESP (RFC 3948 2.1), else 0 */
  ULONG EspOffset;      /* 0 when the SA has no ESP */
  ULONG EspPayload;     /* first encrypted byte (after the IV) */
  ULONG EspIcv;         /* first ICV byte: End - ICV length */
  UCHAR NextHeader;     /* what the portion protects */
  ULONG PayloadOffset;  /* ... and where it is, without ESP trailer */
  ULONG PayloadEnd;
} SN_PORTION;

static SN_SECASSOC *SnEsp(SN_SA *Sa) { return Sa->EspIndex < 0 ? NULL : &Sa->SecAssoc[Sa->EspIndex]; }
static SN_SECASSOC *SnAh(SN_SA *Sa) { return Sa->AhIndex < 0 ? NULL : &Sa->SecAssoc[Sa->AhIndex]; }

/* ESP's IV belongs to its cipher, or with ENCR_NULL_AUTH_AES_GMAC to the GMAC (RFC 4543 3.1);
 * an AH IV only exists for AES-GMAC (RFC 4543 4). */
static ULONG SnIvLength(const SN_SECASSOC *Element) {
  const ULONG cipher_iv = Element->Cipher != NULL ? Element->Cipher->IvLength : 0u;
  return cipher_iv > Element->Auth->IvLength ? cipher_iv : Element->Auth->IvLength;
}

static ULONG SnIcvLength(const SN_SECASSOC *Element) {
  if (Element->Cipher != NULL && Element->Cipher->Mode == SnCipherGcm) return SN_GCM_TAG_LENGTH;
  return Element->Auth->IcvLength;
}

/* ESP with no ICV and no AH beside it: IPsec without authentication [S5]. */
static BOOLEAN SnUnauthenticated(SN_SA *Sa) {
  const SN_SECASSOC *esp = SnEsp(Sa);
  return SnAh(Sa) == NULL && esp != NULL && SnIcvLength(esp) == 0;
}

/* Finds the SA's AH and ESP headers behind Ip and checks them against the SA. Nothing is
 * computed yet: a refused packet must leave the NIC untouched. */
static NDIS_STATUS SnLocatePortion(SN_CHAIN_CURSOR *Cursor, SN_SA *Sa, const SN_IPV4 *Ip, SN_PORTION *Portion) {
  ULONG position = Ip->Offset + Ip->HeaderLength;
  UCHAR protocol = Ip->Protocol;
  SN_SECASSOC *ah = SnAh(Sa);
  SN_SECASSOC *esp = SnEsp(Sa);

  memset(Portion, 0, sizeof *Portion);
  Portion->Sa = Sa;
  Portion->Ip = *Ip;
  Portion->End = Ip->Offset + Ip->TotalLength;
  Portion->PayloadOffset = position;
  Portion->PayloadEnd = Portion->End;
  Portion->NextHeader = protocol;

  if (ah != NULL) {
    UCHAR header[SN_AH_FIXED_HEADER];
    ULONG length;
    if (protocol != SN_PROTOCOL_AH) return NDIS_STATUS_INVALID_PACKET;
    if (Portion->End - position < SN_AH_FIXED_HEADER) return NDIS_STATUS_INVALID_PACKET;
    if (!SnCursorRead(Cursor, position, header, sizeof header)) return NDIS_STATUS_INVALID_PACKET;
    /* RFC 4302 2.2: Payload Len is the AH length in 32-bit words, minus 2. */
    length = ((ULONG)header[1] + 2u) * 4u;
    if (length != SN_AH_FIXED_HEADER + SnIvLength(ah) + SnIcvLength(ah)) return NDIS_STATUS_INVALID_PACKET;
    if (length > Portion->End - position) return NDIS_STATUS_INVALID_PACKET;
    if (SnLoadBe32(&header[4]) != ah->Spi) return NDIS_STATUS_INVALID_PACKET;
    /* [S5] AH_ESP_COMBINED: [IP][AH][ESP][rest]. */
    if (esp != NULL && header[0] != SN_PROTOCOL_ESP) return NDIS_STATUS_INVALID_PACKET;
    Portion->AhOffset = position;
    Portion->AhLength = length;
    protocol = header[0];
    position += length;
    Portion->PayloadOffset = position;
    Portion->NextHeader = protocol;
  }
  if (Sa->UdpEsp) {
#ifdef SAMPLE_NIC_FAULT_UDPESP_ESP_AFTER_IP
    /* Bug: the parser was written for plain ESP and only taught that UDP is "another way to say
     * ESP": it looks for the ESP header right after the IP header, where the UDP header is
     * (RFC 3948 2.1: ESP follows the 8-byte UDP header). */
    if (protocol == SN_PROTOCOL_UDP) protocol = SN_PROTOCOL_ESP;
#else
    /* RFC 3948 2.1: [IP][UDP][ESP]. The UDP header goes out as the transport framed it; here it
     * is only checked against what this SA can carry (reference_nic/README.md, UDP-ESP rules). */
    UCHAR udp[SN_UDP_HEADER + 4];
    ULONG marker_length = 0;
    if (protocol != SN_PROTOCOL_UDP) return NDIS_STATUS_INVALID_PACKET;
    if (Portion->End - position < SN_UDP_HEADER) return NDIS_STATUS_INVALID_PACKET;
    if (Portion->End - position >= SN_UDP_HEADER + 4) marker_length = 4;
    if (!SnCursorRead(Cursor, position, udp, SN_UDP_HEADER + marker_length)) return NDIS_STATUS_INVALID_PACKET;
    /* RFC 3947 4: after the float the local IKE port is 4500; the destination may be a NAT's. */
    if (SnLoadBe16(&udp[0]) != SN_UDPESP_PORT) return NDIS_STATUS_INVALID_PACKET;
    if (SnLoadBe16(&udp[4]) != Portion->End - position) return NDIS_STATUS_INVALID_PACKET;
    /* RFC 3948 2.2: four zero bytes after the UDP header mark an IKE packet, not ESP. */
    if (marker_length != 0 && SnLoadBe32(&udp[SN_UDP_HEADER]) == 0) return NDIS_STATUS_INVALID_PACKET;
    Portion->UdpOffset = position;
    position += SN_UDP_HEADER;
    protocol = SN_PROTOCOL_ESP;
    Portion->PayloadOffset = position;
#endif
  }
  if (esp != NULL) {
    const ULONG iv_length = SnIvLength(esp);
    const ULONG icv_length = SnIcvLength(esp);
    UCHAR spi[4], pad_length;
    ULONG payload, encrypted;
    if (protocol != SN_PROTOCOL_ESP) return NDIS_STATUS_INVALID_PACKET;
#ifdef SAMPLE_NIC_FAULT_ESP_HEADER_SPLIT
    /* Bug: "the transport never cuts a header", so an ESP header (SPI, sequence number, IV)
     * that does not fit in what is left of this NDIS_BUFFER is taken from the next one. */
    if (SnCursorBufferEnd(Cursor, position) - position < SN_ESP_HEADER + iv_length &&
        SnCursorBufferEnd(Cursor, position) <= Portion->End) {
      position = SnCursorBufferEnd(Cursor, position);
    }
#endif
    if (Portion->End - position < SN_ESP_HEADER + iv_length) return NDIS_STATUS_INVALID_PACKET;
    if (!SnCursorRead(Cursor, position, spi, sizeof spi)) return NDIS_STATUS_INVALID_PACKET;
    if (SnLoadBe32(spi) != esp->Spi) return NDIS_STATUS_INVALID_PACKET;
    payload = position + SN_ESP_HEADER + iv_length;
    if (Portion->End - payload < icv_length + SN_ESP_TRAILER) return NDIS_STATUS_INVALID_PACKET;
    /* The transport gives no offsets [S5]: the ICV ends the packet, the encrypted range runs
     * from the IV to the ICV (not recomputed from the padding). */
    Portion->EspIcv = Portion->End - icv_length;
    encrypted = Portion->EspIcv - payload;
    /* RFC 4303 2.4: whole cipher blocks, ending on a 4-byte boundary. */
    if (encrypted % esp->Cipher->BlockSize != 0 || (iv_length + encrypted) % 4 != 0) {
      return NDIS_STATUS_INVALID_PACKET;
    }
    if (!SnCursorReadByte(Cursor, Portion->EspIcv - 2, &pad_length) ||
        !SnCursorReadByte(Cursor, Portion->EspIcv - 1, &Portion->NextHeader)) {
      return NDIS_STATUS_INVALID_PACKET;
    }
    if ((ULONG)pad_length + SN_ESP_TRAILER > encrypted) return NDIS_STATUS_INVALID_PACKET;
    Portion->EspOffset = position;
    Portion->EspPayload = payload;
    Portion->PayloadOffset = payload;
    Portion->PayloadEnd = Portion->EspIcv - SN_ESP_TRAILER - pad_length;
  }
  return NDIS_STATUS_SUCCESS;
}

/* ---- Crypto (OpenSSL 3 EVP) ---------------------------------------------------------------- */
typedef struct _SN_PIECE {
  const UCHAR *Data;
  ULONG Length;
} SN_PIECE;

static BOOLEAN SnFitsInt(ULONG n) { return n <= (ULONG)INT_MAX; }

/* AES-GCM with nonce = salt || IV (RFC 4106 4): authenticates the AAD pieces, encrypts Data in
 * place (Length 0 for GMAC) and writes the 16-byte tag. */
static BOOLEAN SnGcmSeal(EVP_CIPHER_CTX *Ctx, const UCHAR *Salt, const UCHAR *Iv, const SN_PIECE *Aad, ULONG AadCount,
                         PUCHAR Data, ULONG Length, PUCHAR Tag) {
  UCHAR nonce[SN_GCM_NONCE_LENGTH], final_block[16];
  int written = 0;
  ULONG i;
#if defined(SAMPLE_NIC_FAULT_GCM_NONCE_IV_SALT)
  /* Bug: the nonce register is filled IV first, salt after it (RFC 4106 4: salt || IV). */
  memcpy(nonce, Iv, SN_GCM_NONCE_LENGTH - SN_SALT_LENGTH);
  memcpy(nonce + SN_GCM_NONCE_LENGTH - SN_SALT_LENGTH, Salt, SN_SALT_LENGTH);
#elif defined(SAMPLE_NIC_FAULT_GCM_SALT_ZERO)
  /* Bug: the salt register is never loaded from the KEYMAT's last 4 bytes (RFC 4106 8.1). */
  (void)Salt;
  memset(nonce, 0, SN_SALT_LENGTH);
  memcpy(nonce + SN_SALT_LENGTH, Iv, SN_GCM_NONCE_LENGTH - SN_SALT_LENGTH);
#else
  memcpy(nonce, Salt, SN_SALT_LENGTH);
  memcpy(nonce + SN_SALT_LENGTH, Iv, SN_GCM_NONCE_LENGTH - SN_SALT_LENGTH);
#endif
  if (EVP_EncryptInit_ex2(Ctx, NULL, NULL, nonce, NULL) != 1) return FALSE;
  for (i = 0; i < AadCount; ++i) {
    if (Aad[i].Length == 0) continue;
    if (!SnFitsInt(Aad[i].Length) || EVP_EncryptUpdate(Ctx, NULL, &written, Aad[i].Data, (int)Aad[i].Length) != 1) {
      return FALSE;
    }
  }
  if (Length > 0 && (!SnFitsInt(Length) || EVP_EncryptUpdate(Ctx, Data, &written, Data, (int)Length) != 1)) {
    return FALSE;
  }
  return EVP_EncryptFinal_ex(Ctx, final_block, &written) == 1 &&
         EVP_CIPHER_CTX_ctrl(Ctx, EVP_CTRL_GCM_GET_TAG, SN_GCM_TAG_LENGTH, Tag) == 1;
}

/* CBC encryption in place; the transport has padded to whole blocks (RFC 4303 2.4). */
static BOOLEAN SnCbcEncrypt(EVP_CIPHER_CTX *Ctx, const UCHAR *Iv, PUCHAR Data, ULONG Length) {
  int written = 0;
  return SnFitsInt(Length) && EVP_EncryptInit_ex2(Ctx, NULL, NULL, Iv, NULL) == 1 &&
         EVP_EncryptUpdate(Ctx, Data, &written, Data, (int)Length) == 1 && (ULONG)written == Length;
}

/* The element's ICV over the concatenated pieces: HMAC truncated to the ICV length (RFC 2104 5),
 * or AES-GMAC with nonce salt || GmacIv (RFC 4543). */
static BOOLEAN SnComputeIcv(SN_SECASSOC *Element, const UCHAR *GmacIv, const SN_PIECE *Pieces, ULONG Count, PUCHAR Icv) {
  UCHAR mac[EVP_MAX_MD_SIZE];
  size_t mac_length = 0;
  ULONG i, icv_length = Element->Auth->IcvLength;
  if (Element->Auth->Mode == SnAuthGmac) {
    return SnGcmSeal(Element->GmacCtx, Element->GmacSalt, GmacIv, Pieces, Count, NULL, 0, Icv);
  }
  /* A NULL key restarts the HMAC with the key scheduled at ADD_SA. */
  if (EVP_MAC_init(Element->HmacCtx, NULL, 0, NULL) != 1) return FALSE;
  for (i = 0; i < Count; ++i) {
    if (Pieces[i].Length != 0 && EVP_MAC_update(Element->HmacCtx, Pieces[i].Data, Pieces[i].Length) != 1) return FALSE;
  }
  if (EVP_MAC_final(Element->HmacCtx, mac, &mac_length, sizeof mac) != 1) return FALSE;
#ifdef SAMPLE_NIC_FAULT_ICV_TRUNCATED_96
  /* Bug: every HMAC truncated to TRUNCATED_HASH_LEN, the only length NDIS 5.1 knew of. */
  icv_length = TRUNCATED_HASH_LEN;
#endif
  if (mac_length < icv_length) return FALSE;
  memcpy(Icv, mac, icv_length);
  return TRUE;
}

/* ---- Adapter: algorithms, capabilities ------------------------------------------------------ */
static const SN_CIPHER_ALGORITHM *SnFindCipher(ULONG Identifier) {
  ULONG i;
  for (i = 0; i < SN_COUNT_OF(SnCiphers); ++i) {
    if (SnCiphers[i].Identifier == Identifier) return &SnCiphers[i];
  }
  return NULL;
}

static const SN_AUTH_ALGORITHM *SnFindAuth(ULONG Identifier) {
  ULONG i;
  for (i = 0; i < SN_COUNT_OF(SnAuths); ++i) {
    if (SnAuths[i].Identifier == Identifier) return &SnAuths[i];
  }
  return NULL;
}

static ULONG SnCipherIndex(const SN_CIPHER_ALGORITHM *Cipher) { return (ULONG)(Cipher - SnCiphers); }

static BOOLEAN SnCipherCapable(const SN_CAPABILITIES *Caps, const SN_CIPHER_ALGORITHM *Cipher) {
  switch (Cipher->Identifier) {
    case OFFLOAD_IPSEC_CONF_NONE: return Caps->Task.V4ESP.NULL_ESP != 0;
    case OFFLOAD_IPSEC_CONF_DES: return Caps->Task.V4ESP.DES != 0;
    case OFFLOAD_IPSEC_CONF_3_DES: return Caps->Task.V4ESP.TRIPLE_DES != 0;
    default: return (Caps->Extension.EncryptionAlgorithms & Cipher->Identifier) != 0;
  }
}

/* The V4AH algorithm bits name the keyed integrity for AH and ESP ICVs alike [S11]. */
static BOOLEAN SnAuthCapable(const SN_CAPABILITIES *Caps, const SN_AUTH_ALGORITHM *Auth) {
  switch (Auth->Identifier) {
    case OFFLOAD_IPSEC_INTEGRITY_NONE: return TRUE;
    case OFFLOAD_IPSEC_INTEGRITY_MD5: return Caps->Task.V4AH.MD5 != 0;
    case OFFLOAD_IPSEC_INTEGRITY_SHA: return Caps->Task.V4AH.SHA_1 != 0;
    default: return (Caps->Extension.AuthenticationAlgorithms & Auth->Identifier) != 0;
  }
}

/* What an SA needs from a capability set: checked against what the NIC reports at ADD_SA, and
 * against what the transport enabled at send time (plus the protocol's Send bit). */
static BOOLEAN SnSaCapable(const SN_CAPABILITIES *Caps, SN_SA *Sa, BOOLEAN Sending) {
  ULONG i;
  for (i = 0; i < Sa->NumSAs; ++i) {
    const SN_SECASSOC *element = &Sa->SecAssoc[i];
    if (element->Operation == ENCRYPT) {
      if (Sending && Caps->Task.V4ESP.Send == 0) return FALSE;
      if (!SnCipherCapable(Caps, element->Cipher)) return FALSE;
      if ((Sa->TunnelSa ? Caps->Task.V4ESP.Tunnel : Caps->Task.V4ESP.Transport) == 0) return FALSE;
    } else {
      if (Sending && Caps->Task.V4AH.Send == 0) return FALSE;
      if ((Sa->TunnelSa ? Caps->Task.V4AH.Tunnel : Caps->Task.V4AH.Transport) == 0) return FALSE;
    }
    if (!SnAuthCapable(Caps, element->Auth)) return FALSE;
    if (element->Esn && (Caps->Extension.Flags & SENDPATH_EXT_ESN) == 0) return FALSE;
  }
  return Sa->NumSAs < 2 || Caps->Task.Supported.AH_ESP_COMBINED != 0;
}

static VOID SnFullCapabilities(const SN_ADAPTER *Adapter, SN_CAPABILITIES *Caps) {
  memset(Caps, 0, sizeof *Caps);
  Caps->Task.Supported.AH_ESP_COMBINED = 1;
  Caps->Task.Supported.TRANSPORT_TUNNEL_COMBINED = 1;
  Caps->Task.Supported.V4_OPTIONS = 1;
  /* The four UDP-ESP subtypes of the OTHER encapsulation; the IKE flags are reserved [S11b][S15e]. */
  Caps->Task.Supported.RESERVED = IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER | IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER |
                                  IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER | IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_OTHER;
  Caps->Task.V4AH.MD5 = 1;
  Caps->Task.V4AH.SHA_1 = 1;
  Caps->Task.V4AH.Transport = 1;
  Caps->Task.V4AH.Tunnel = 1;
  Caps->Task.V4AH.Send = 1;
  Caps->Task.V4ESP.DES = Adapter->Driver->Ciphers[SN_CIPHER_DES_INDEX] != NULL ? 1u : 0u;
  Caps->Task.V4ESP.TRIPLE_DES = 1;
  Caps->Task.V4ESP.NULL_ESP = 1;
  Caps->Task.V4ESP.Transport = 1;
  Caps->Task.V4ESP.Tunnel = 1;
  Caps->Task.V4ESP.Send = 1;
  Caps->Extension.Version = SENDPATH_EXTENSION_VERSION;
  Caps->Extension.AuthenticationAlgorithms =
      IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_256 | IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_128 |
      IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_192 | IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_256;
  Caps->Extension.EncryptionAlgorithms =
      IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128 | IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_192 |
      IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_256 | IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128 |
      IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_192 | IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_256;
  Caps->Extension.Flags = SENDPATH_EXT_ESN | SENDPATH_EXT_ENCRYPTION_ONLY_ESP | SENDPATH_EXT_KEYMAT_INTEGRITY_FIRST;
}

/* Every capability in Sub is also in Super. */
static BOOLEAN SnCapabilitiesWithin(const SN_CAPABILITIES *Sub, const SN_CAPABILITIES *Super) {
#define SN_WITHIN(field) (Sub->field == 0 || Super->field != 0)
  return SN_WITHIN(Task.Supported.AH_ESP_COMBINED) && SN_WITHIN(Task.Supported.TRANSPORT_TUNNEL_COMBINED) &&
         SN_WITHIN(Task.Supported.V4_OPTIONS) && (Sub->Task.Supported.RESERVED & ~Super->Task.Supported.RESERVED) == 0 &&
         SN_WITHIN(Task.V4AH.MD5) && SN_WITHIN(Task.V4AH.SHA_1) && SN_WITHIN(Task.V4AH.Transport) &&
         SN_WITHIN(Task.V4AH.Tunnel) && SN_WITHIN(Task.V4AH.Send) && SN_WITHIN(Task.V4AH.Receive) &&
         SN_WITHIN(Task.V4ESP.DES) && SN_WITHIN(Task.V4ESP.TRIPLE_DES) && SN_WITHIN(Task.V4ESP.NULL_ESP) &&
         SN_WITHIN(Task.V4ESP.Transport) && SN_WITHIN(Task.V4ESP.Tunnel) && SN_WITHIN(Task.V4ESP.Send) &&
         SN_WITHIN(Task.V4ESP.Receive) &&
         (Sub->Extension.AuthenticationAlgorithms & ~Super->Extension.AuthenticationAlgorithms) == 0 &&
         (Sub->Extension.EncryptionAlgorithms & ~Super->Extension.EncryptionAlgorithms) == 0 &&
         (Sub->Extension.Flags & ~Super->Extension.Flags) == 0;
#undef SN_WITHIN
}

/* ---- SA table ---------------------------------------------------------------------------- */
static VOID SnReleaseSecAssoc(SN_SECASSOC *Element) {
  EVP_CIPHER_CTX_free(Element->CipherCtx);
  EVP_CIPHER_CTX_free(Element->GmacCtx);
  EVP_MAC_CTX_free(Element->HmacCtx);
  OPENSSL_cleanse(Element, sizeof *Element);
}

static VOID SnReleaseSa(SN_SA *Sa) {
  ULONG i;
  for (i = 0; i < SN_COUNT_OF(Sa->SecAssoc); ++i) SnReleaseSecAssoc(&Sa->SecAssoc[i]);
  memset(Sa, 0, sizeof *Sa);
}

/* The live outbound SA named by Handle; FAILURE for a handle never issued, deleted or inbound
 * (the IPsec offload v2 rule [S21a]). */
static NDIS_STATUS SnResolveHandle(SN_ADAPTER *Adapter, NDIS_HANDLE Handle, SN_SA **Sa) {
  const uintptr_t value = (uintptr_t)Handle;
  const uintptr_t slot = value & SN_HANDLE_SLOT_MASK;
  SN_SA *entry;
  if (slot >= Adapter->SaCapacity) return NDIS_STATUS_FAILURE;
  entry = &Adapter->SaTable[slot];
#if defined(SAMPLE_NIC_FAULT_DELETED_HANDLE_STILL_WORKS)
  /* Bug: the lookup trusts the handle's tag and forgets the slot's InUse bit; DELETE_SA leaves
   * the keys in the slot until it is reused. */
  if (entry->OffloadHandle != Handle) return NDIS_STATUS_FAILURE;
#elif defined(SAMPLE_NIC_FAULT_DELETED_UDPESP_SA_STILL_USED)
  /* Bug: DELETE_UDPESP_SA was written from the parser-entry side: it frees the entry and the slot,
   * but the send descriptor of a UDP-ESP SA stays armed until the slot is reused ([S15d]: after
   * the delete the handle names no SA). */
  if ((!entry->InUse && !entry->UdpEsp) || entry->OffloadHandle != Handle) return NDIS_STATUS_FAILURE;
#else
  if (!entry->InUse || entry->OffloadHandle != Handle) return NDIS_STATUS_FAILURE;
#endif
#ifndef SAMPLE_NIC_FAULT_INBOUND_HANDLE_ACCEPTED
  if (!entry->Outbound) return NDIS_STATUS_FAILURE;
#endif
  *Sa = entry;
  return NDIS_STATUS_SUCCESS;
}

/* Prepares an element's key schedules once, at ADD_SA, so a send only re-initialises them. */
static NDIS_STATUS SnScheduleKeys(SN_ADAPTER *Adapter, SN_SECASSOC *Element, const UCHAR *ConfKey, const UCHAR *AuthKey) {
  if (Element->Cipher != NULL && Element->Cipher->Mode != SnCipherNull) {
    const EVP_CIPHER *cipher = Adapter->Driver->Ciphers[SnCipherIndex(Element->Cipher)];
    ULONG key_length = Element->Cipher->KeyLength;
#ifdef SAMPLE_NIC_FAULT_DES3_KEY_ORDER
    /* Bug: the 3DES key registers are loaded K3, K2, K1 (RFC 2451 2.1 / SP 800-67: K1 is the
     * first 8 bytes of the KEYMAT and encrypts first). */
    UCHAR reordered[24];
    if (Element->Cipher->Identifier == OFFLOAD_IPSEC_CONF_3_DES) {
      memcpy(reordered, ConfKey + 16, 8);
      memcpy(reordered + 8, ConfKey + 8, 8);
      memcpy(reordered + 16, ConfKey, 8);
      ConfKey = reordered;
    }
#endif
#ifdef SAMPLE_NIC_FAULT_AES_256_KEY_TRUNCATED
    /* Bug: the CBC engine's key register is 128 bits wide; AES-256-CBC runs as AES-128 on the
     * first 16 bytes of the key (RFC 3602 2.1: the key is 256 bits). */
    if (Element->Cipher->Identifier == IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_256) {
      cipher = Adapter->Driver->Ciphers[SN_CIPHER_AES_CBC_128_INDEX];
      key_length = 16;
    }
#endif
    if (cipher == NULL) return NDIS_STATUS_NOT_SUPPORTED; /* DES without the legacy provider */
    if (Element->Cipher->Mode == SnCipherGcm) {
      key_length -= SN_SALT_LENGTH;
      memcpy(Element->CipherSalt, ConfKey + key_length, SN_SALT_LENGTH);
    }
    Element->CipherCtx = EVP_CIPHER_CTX_new();
    if (Element->CipherCtx == NULL || (ULONG)EVP_CIPHER_get_key_length(cipher) != key_length ||
        EVP_EncryptInit_ex2(Element->CipherCtx, cipher, ConfKey, NULL, NULL) != 1) {
      return NDIS_STATUS_FAILURE;
    }
    /* The transport has padded the payload already: no cipher padding on top. */
    EVP_CIPHER_CTX_set_padding(Element->CipherCtx, 0);
  }
  if (Element->Auth->Mode == SnAuthHmac) {
    char digest[16];
    OSSL_PARAM params[2];
    strncpy(digest, Element->Auth->EvpName, sizeof digest - 1);
    digest[sizeof digest - 1] = '\0';
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    Element->HmacCtx = EVP_MAC_CTX_new(Adapter->Driver->Hmac);
    if (Element->HmacCtx == NULL || EVP_MAC_init(Element->HmacCtx, AuthKey, Element->Auth->KeyLength, params) != 1) {
      return NDIS_STATUS_FAILURE;
    }
  } else if (Element->Auth->Mode == SnAuthGmac) {
    const EVP_CIPHER *gcm = Adapter->Driver->Ciphers[Element->Auth->GcmCipher];
    const ULONG key_length = Element->Auth->KeyLength - SN_SALT_LENGTH;
    memcpy(Element->GmacSalt, AuthKey + key_length, SN_SALT_LENGTH);
    Element->GmacCtx = EVP_CIPHER_CTX_new();
    if (gcm == NULL || Element->GmacCtx == NULL || EVP_EncryptInit_ex2(Element->GmacCtx, gcm, AuthKey, NULL, NULL) != 1) {
      return NDIS_STATUS_FAILURE;
    }
  }
  return NDIS_STATUS_SUCCESS;
}

/* ---- OID_TCP_TASK_OFFLOAD ------------------------------------------------------------------- */
#define SN_ALIGN8(n) (((n) + 7u) & ~(ULONG)7u)
#define SN_TASK_ENTRY_HEADER ((ULONG)offsetof(NDIS_TASK_OFFLOAD, TaskBuffer))

static ULONG SnTaskOffloadAnswerLength(VOID) {
  return SN_ALIGN8((ULONG)sizeof(NDIS_TASK_OFFLOAD_HEADER)) + SN_ALIGN8(SN_TASK_ENTRY_HEADER + (ULONG)sizeof(NDIS_TASK_IPSEC)) +
         SN_ALIGN8(SN_TASK_ENTRY_HEADER + (ULONG)sizeof(SENDPATH_TASK_IPSEC_EXTENSION));
}

static VOID SnPutTask(PUCHAR At, ULONG Task, ULONG OffsetNextTask, const VOID *TaskBuffer, ULONG TaskBufferLength) {
  NDIS_TASK_OFFLOAD entry;
  memset(&entry, 0, sizeof entry);
  entry.Version = NDIS_TASK_OFFLOAD_VERSION;
  entry.Size = (ULONG)sizeof(NDIS_TASK_OFFLOAD);
  entry.Task = (NDIS_TASK)Task;
  entry.OffsetNextTask = OffsetNextTask;
  entry.TaskBufferLength = TaskBufferLength;
  memcpy(At, &entry, SN_TASK_ENTRY_HEADER);
  memcpy(At + SN_TASK_ENTRY_HEADER, TaskBuffer, TaskBufferLength);
}

/* Query [S16b]: the transport's header comes back followed by the IpSecNdisTask entry and the
 * sendpath extension entry. */
static NDIS_STATUS SnQueryTaskOffload(SN_ADAPTER *Adapter, PVOID Buffer, ULONG Length, PULONG BytesWritten, PULONG BytesNeeded) {
  NDIS_TASK_OFFLOAD_HEADER header;
  const ULONG first = SN_ALIGN8((ULONG)sizeof header);
  const ULONG ipsec_entry = SN_ALIGN8(SN_TASK_ENTRY_HEADER + (ULONG)sizeof(NDIS_TASK_IPSEC));
  PUCHAR out = (PUCHAR)Buffer;
  *BytesNeeded = SnTaskOffloadAnswerLength();
  if (Buffer == NULL || Length < *BytesNeeded) return NDIS_STATUS_BUFFER_TOO_SHORT;
  memcpy(&header, Buffer, sizeof header);
  if (header.Version != NDIS_TASK_OFFLOAD_VERSION) return NDIS_STATUS_NOT_SUPPORTED;
  memset(out, 0, *BytesNeeded);
  header.Size = (ULONG)sizeof header;
  header.OffsetFirstTask = first;
  memcpy(out, &header, sizeof header);
  SnPutTask(out + first, IpSecNdisTask, ipsec_entry, &Adapter->Reported.Task, (ULONG)sizeof(NDIS_TASK_IPSEC));
  SnPutTask(out + first + ipsec_entry, SENDPATH_NDIS_TASK_IPSEC_EXTENSION, 0, &Adapter->Reported.Extension,
            (ULONG)sizeof(SENDPATH_TASK_IPSEC_EXTENSION));
  *BytesWritten = *BytesNeeded;
  return NDIS_STATUS_SUCCESS;
}

/* Set [S16c]: one set enables everything; later sets fail. OffsetFirstTask 0 disables all. */
static NDIS_STATUS SnSetTaskOffload(SN_ADAPTER *Adapter, const VOID *Buffer, ULONG Length, PULONG BytesRead, PULONG BytesNeeded) {
  NDIS_TASK_OFFLOAD_HEADER header;
  SN_CAPABILITIES enabled;
  ULONG at, entries = 0, encapsulation_length;
  const UCHAR *in = (const UCHAR *)Buffer;
#ifndef SAMPLE_NIC_FAULT_SECOND_SET_ACCEPTED
  if (Adapter->OffloadSet) return NDIS_STATUS_FAILURE;
#endif
  if (Buffer == NULL || Length < sizeof header) {
    *BytesNeeded = (ULONG)sizeof header;
    return NDIS_STATUS_INVALID_LENGTH;
  }
  memcpy(&header, Buffer, sizeof header);
  if (header.Version != NDIS_TASK_OFFLOAD_VERSION) return NDIS_STATUS_INVALID_DATA;
  switch (header.EncapsulationFormat.Encapsulation) {
    case NULL_Encapsulation:
      encapsulation_length = 0;
      break;
    case IEEE_802_3_Encapsulation:
      if (header.EncapsulationFormat.Flags.FixedHeaderSize &&
          header.EncapsulationFormat.EncapsulationHeaderSize != SN_ETHERNET_HEADER) {
        return NDIS_STATUS_NOT_SUPPORTED;
      }
      encapsulation_length = SN_ETHERNET_HEADER;
      break;
    default:
      return NDIS_STATUS_NOT_SUPPORTED;
  }
  memset(&enabled, 0, sizeof enabled);
  for (at = header.OffsetFirstTask; at != 0;) {
    NDIS_TASK_OFFLOAD entry;
    if (++entries > 16 || at > Length || Length - at < SN_TASK_ENTRY_HEADER) return NDIS_STATUS_INVALID_DATA;
    memcpy(&entry, in + at, SN_TASK_ENTRY_HEADER);
    if (entry.TaskBufferLength > Length - at - SN_TASK_ENTRY_HEADER) return NDIS_STATUS_INVALID_DATA;
    if ((ULONG)entry.Task == (ULONG)IpSecNdisTask) {
      if (entry.TaskBufferLength < sizeof enabled.Task) return NDIS_STATUS_INVALID_DATA;
      memcpy(&enabled.Task, in + at + SN_TASK_ENTRY_HEADER, sizeof enabled.Task);
    } else if ((ULONG)entry.Task == SENDPATH_NDIS_TASK_IPSEC_EXTENSION) {
      if (entry.TaskBufferLength < sizeof enabled.Extension) return NDIS_STATUS_INVALID_DATA;
      memcpy(&enabled.Extension, in + at + SN_TASK_ENTRY_HEADER, sizeof enabled.Extension);
    } /* checksum and LSO entries are not this NIC's business */
    if (entry.OffsetNextTask == 0) break;
    if (entry.OffsetNextTask > Length - at) return NDIS_STATUS_INVALID_DATA;
    at += entry.OffsetNextTask;
  }
  if (!SnCapabilitiesWithin(&enabled, &Adapter->Reported)) return NDIS_STATUS_NOT_SUPPORTED;
  Adapter->Enabled = enabled;
#ifdef SAMPLE_NIC_FAULT_ETHERNET_HEADER_IGNORED
  /* Bug: the EncapsulationFormat is read but never stored; IP is assumed at offset 0. */
  (void)encapsulation_length;
#else
  Adapter->EncapsulationLength = encapsulation_length;
#endif
  Adapter->OffloadSet = TRUE;
  *BytesRead = Length;
  return NDIS_STATUS_SUCCESS;
}

/* ---- OID_TCP_TASK_IPSEC_ADD_SA / DELETE_SA and the UDP-ESP pair ----------------------------- */

/* Checks an ADD_SA request - or the fields an ADD_UDPESP_SA request shares with it [S14e] - and
 * schedules its keys into *Sa, with the table slot it will take in *Slot. Nothing is committed:
 * a refused request leaves the adapter as it was, and Sa holds nothing to release. */
static NDIS_STATUS SnPrepareSa(SN_ADAPTER *Adapter, const OFFLOAD_IPSEC_ADD_SA *Request, const UCHAR *KeyMat,
                               const SENDPATH_ADD_SA_EXTENSION *Extension, BOOLEAN UdpEsp, SN_SA *Sa, PULONG Slot) {
  const OFFLOAD_IPSEC_ADD_SA request = *Request;
  const SENDPATH_ADD_SA_EXTENSION extension = Extension != NULL ? *Extension : Adapter->PendingExtension;
  const BOOLEAN has_extension = Extension != NULL;
  const UCHAR *key_mat = KeyMat, *conf_keys[2] = {NULL, NULL}, *auth_keys[2] = {NULL, NULL};
  BOOLEAN integrity_first;
  ULONG i, key_offset = 0, slot;
  SN_SA sa;
  NDIS_STATUS status;

  if (request.Flags != OFFLOAD_INBOUND_SA && request.Flags != OFFLOAD_OUTBOUND_SA) return NDIS_STATUS_INVALID_DATA;
  if (request.NumSAs < 1 || request.NumSAs > 2) return NDIS_STATUS_INVALID_DATA;
  /* KeyMat order: confidentiality key first [S14a] unless the extension says integrity first
   * [S14c]. */
  integrity_first = has_extension && extension.KeyOrder == SENDPATH_KEYMAT_INTEGRITY_FIRST;
  if (has_extension && extension.KeyOrder != SENDPATH_KEYMAT_CONF_FIRST && !integrity_first) return NDIS_STATUS_NOT_SUPPORTED;
#ifdef SAMPLE_NIC_FAULT_KEYMAT_ORDER_SWAPPED
  /* Bug: the driver follows the OFFLOAD_ALGO_INFO page's order whatever the transport says. */
  integrity_first = TRUE;
#endif

  memset(&sa, 0, sizeof sa);
  sa.Outbound = request.Flags == OFFLOAD_OUTBOUND_SA;
  sa.TunnelSa = request.SrcTunnelAddr != 0 || request.DestTunnelAddr != 0;
  sa.NumSAs = (ULONG)request.NumSAs;
  sa.EspIndex = sa.AhIndex = -1;

  for (i = 0; i < sa.NumSAs; ++i) {
    const OFFLOAD_SECURITY_ASSOCIATION *in = &request.SecAssoc[i];
    SN_SECASSOC *element = &sa.SecAssoc[i];
    const SN_CIPHER_ALGORITHM *cipher = NULL;
    const SN_AUTH_ALGORITHM *auth;
    ULONG conf_key_length, auth_key_length;
    if (in->Operation != AUTHENTICATE && in->Operation != ENCRYPT) return NDIS_STATUS_INVALID_DATA;
    element->Operation = in->Operation;
    element->Spi = in->SPI;
    if (in->Operation == AUTHENTICATE) {
      /* [S7] an AH entry has an integrity algorithm and an all-zero ConfAlgo. */
      if (in->ConfAlgo.algoIdentifier != 0 || in->ConfAlgo.algoKeylen != 0 || in->ConfAlgo.algoRounds != 0) {
        return NDIS_STATUS_INVALID_DATA;
      }
      if (in->IntegrityAlgo.algoIdentifier == OFFLOAD_IPSEC_INTEGRITY_NONE) return NDIS_STATUS_INVALID_DATA;
    } else {
      cipher = SnFindCipher(in->ConfAlgo.algoIdentifier);
      if (cipher == NULL) return NDIS_STATUS_INVALID_DATA;
    }
    auth = SnFindAuth(in->IntegrityAlgo.algoIdentifier);
    if (auth == NULL) return NDIS_STATUS_INVALID_DATA;
    auth_key_length = auth->KeyLength;
    if (cipher != NULL && cipher->Mode == SnCipherGcm) {
      /* A combined mode: the GCM key authenticates; the integrity slot is empty or names the
       * GMAC of the same key size, without a key of its own (IPsec offload v2 style). */
      if (auth->Mode != SnAuthNone && (auth->Mode != SnAuthGmac || auth->KeyLength != cipher->KeyLength)) {
        return NDIS_STATUS_INVALID_DATA;
      }
      auth_key_length = 0;
    } else if (cipher != NULL && auth->Mode == SnAuthGmac && cipher->Mode != SnCipherNull) {
      return NDIS_STATUS_INVALID_DATA; /* RFC 4543 3: AES-GMAC ESP has no encryption */
    }
    if (cipher != NULL && cipher->Mode == SnCipherNull && auth->Mode == SnAuthNone) return NDIS_STATUS_INVALID_DATA;
    conf_key_length = cipher != NULL ? cipher->KeyLength : 0u;
    if (in->Operation == ENCRYPT && in->ConfAlgo.algoKeylen != conf_key_length) return NDIS_STATUS_INVALID_DATA;
    if (in->IntegrityAlgo.algoKeylen != auth_key_length) return NDIS_STATUS_INVALID_DATA;
    element->Cipher = cipher;
    element->Auth = cipher != NULL && cipher->Mode == SnCipherGcm ? &SnAuths[0] : auth;
    /* Each element's keys follow the previous element's; both orders are contiguous. */
    if (key_offset + conf_key_length + auth_key_length <= request.KeyLen) {
      conf_keys[i] = key_mat + key_offset + (integrity_first ? auth_key_length : 0u);
      auth_keys[i] = key_mat + key_offset + (integrity_first ? 0u : conf_key_length);
    }
    key_offset += conf_key_length + auth_key_length;
    if (has_extension && (extension.SaFlags[i] & IPSEC_OFFLOAD_V2_ESN_SA) != 0) {
      element->Esn = TRUE;
      element->SequenceNumberHighOrder = extension.SequenceNumberHighOrder[i];
    }
  }
  if (key_offset != request.KeyLen) return NDIS_STATUS_INVALID_DATA;
  /* [S7] "Only one combination ... is supported: encryption/decryption (ESP) followed by
   * authentication (AH)." */
  if (sa.NumSAs == 2 && !(sa.SecAssoc[0].Operation == ENCRYPT && sa.SecAssoc[1].Operation == AUTHENTICATE)) {
    return NDIS_STATUS_NOT_SUPPORTED;
  }
  for (i = 0; i < sa.NumSAs; ++i) {
    if (sa.SecAssoc[i].Operation == ENCRYPT) sa.EspIndex = (LONG)i;
    else sa.AhIndex = (LONG)i;
  }
  sa.UdpEsp = UdpEsp;
  for (i = 0; UdpEsp && i < sa.NumSAs; ++i) {
    /* RFC 3948 encapsulates ESP only: AH cannot sit behind a UDP header. */
    if (sa.SecAssoc[i].Operation != ENCRYPT) return NDIS_STATUS_NOT_SUPPORTED;
    /* RFC 3948 2.2: SPI 0 would read as the non-ESP marker of an IKE packet. */
    if (sa.SecAssoc[i].Spi == 0) return NDIS_STATUS_INVALID_DATA;
  }
  if (!SnSaCapable(&Adapter->Reported, &sa, FALSE)) return NDIS_STATUS_NOT_SUPPORTED;
  /* [S15e] a UDP-ESP SA needs a reported subtype it can take part in: a transport SA alone or
   * over a plain tunnel, a tunnel SA alone or under a plain transport SA. */
  if (UdpEsp && (Adapter->Reported.Task.Supported.RESERVED &
                 (sa.TunnelSa ? (IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER | IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER)
                              : (IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER | IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_OTHER))) == 0) {
    return NDIS_STATUS_NOT_SUPPORTED;
  }
  /* [S5] IPsec without authentication is not permitted, unless the transport enabled the
   * encryption-only extension. */
  if (SnUnauthenticated(&sa) && (Adapter->Enabled.Extension.Flags & SENDPATH_EXT_ENCRYPTION_ONLY_ESP) == 0) {
    return NDIS_STATUS_NOT_SUPPORTED;
  }

  if (Adapter->LiveSas >= Adapter->SaCapacity) return NDIS_STATUS_RESOURCES;
  for (slot = 0; slot < Adapter->SaCapacity; ++slot) {
#ifdef SAMPLE_NIC_FAULT_SA_SLOTS_NEVER_RECLAIMED
    /* Bug: a slot that ever held an SA is never handed out again. */
    if (!Adapter->SaTable[slot].InUse && Adapter->SaTable[slot].OffloadHandle == NULL) break;
#else
    if (!Adapter->SaTable[slot].InUse) break;
#endif
  }
  if (slot == Adapter->SaCapacity) return NDIS_STATUS_RESOURCES;

  for (i = 0; i < sa.NumSAs; ++i) {
    status = SnScheduleKeys(Adapter, &sa.SecAssoc[i], conf_keys[i], auth_keys[i]);
    if (status != NDIS_STATUS_SUCCESS) {
      SnReleaseSa(&sa);
      return status;
    }
  }
  *Sa = sa;
  *Slot = slot;
  return NDIS_STATUS_SUCCESS;
}

/* Handles: serial << SN_HANDLE_SLOT_BITS | slot, one serial counter for SAs and parser entries. */
static NDIS_HANDLE SnNextHandle(SN_ADAPTER *Adapter, ULONG Slot) {
  return (NDIS_HANDLE)((uintptr_t)Adapter->NextSerial++ << SN_HANDLE_SLOT_BITS | Slot);
}

/* Puts a prepared SA into its slot and returns its OffloadHandle. */
static NDIS_HANDLE SnCommitSa(SN_ADAPTER *Adapter, SN_SA *Sa, ULONG Slot) {
  const NDIS_HANDLE handle = SnNextHandle(Adapter, Slot);
  Sa->InUse = TRUE;
  Sa->OffloadHandle = handle;
  SnReleaseSa(&Adapter->SaTable[Slot]); /* the keys a deleted SA left behind */
  Adapter->SaTable[Slot] = *Sa;
  ++Adapter->LiveSas;
  return handle;
}

static NDIS_STATUS SnAddSa(SN_ADAPTER *Adapter, PVOID Buffer, ULONG Length, PULONG BytesRead, PULONG BytesNeeded) {
  const ULONG header_length = (ULONG)offsetof(OFFLOAD_IPSEC_ADD_SA, KeyMat);
  OFFLOAD_IPSEC_ADD_SA request;
  const SENDPATH_ADD_SA_EXTENSION extension = Adapter->PendingExtension;
  const BOOLEAN has_extension = Adapter->PendingExtensionValid;
  ULONG slot = 0;
  SN_SA sa;
  NDIS_STATUS status;
  NDIS_HANDLE handle;

  /* The extension applies to this one ADD_SA, whatever becomes of it. */
  Adapter->PendingExtensionValid = FALSE;
  if (Buffer == NULL || Length < header_length) {
    *BytesNeeded = header_length;
    return NDIS_STATUS_INVALID_LENGTH;
  }
  memcpy(&request, Buffer, header_length);
  if (Length - header_length < request.KeyLen) {
    *BytesNeeded = header_length + request.KeyLen;
    return NDIS_STATUS_INVALID_LENGTH;
  }
  status = SnPrepareSa(Adapter, &request, (const UCHAR *)Buffer + header_length, has_extension ? &extension : NULL,
                       FALSE, &sa, &slot);
  if (status != NDIS_STATUS_SUCCESS) return status;
  handle = SnCommitSa(Adapter, &sa, slot);
  memcpy((PUCHAR)Buffer + offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle), &handle, sizeof handle);
  *BytesRead = header_length + request.KeyLen;
  return NDIS_STATUS_SUCCESS;
}

/* The live parser entry named by Handle, or NULL. */
static SN_PARSER_ENTRY *SnFindParserEntry(SN_ADAPTER *Adapter, NDIS_HANDLE Handle) {
  const uintptr_t slot = (uintptr_t)Handle & SN_HANDLE_SLOT_MASK;
  SN_PARSER_ENTRY *entry;
  if (Handle == NULL || slot >= Adapter->SaCapacity) return NULL;
  entry = &Adapter->ParserEntries[slot];
  return entry->InUse && entry->Handle == Handle ? entry : NULL;
}

/* OID_TCP_TASK_IPSEC_ADD_UDPESP_SA [S14e][S15a]: an ADD_SA with a parser entry. For an inbound SA
 * a NULL EncapTypeEntryOffldHandle creates the entry (the transport looked in its own list
 * first) and a handle must name a live one; an outbound SA ignores both entry fields. */
static NDIS_STATUS SnAddUdpEspSa(SN_ADAPTER *Adapter, PVOID Buffer, ULONG Length, PULONG BytesRead, PULONG BytesNeeded) {
  const ULONG header_length = (ULONG)offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, KeyMat);
  OFFLOAD_IPSEC_ADD_UDPESP_SA request;
  OFFLOAD_IPSEC_ADD_SA common;
  const SENDPATH_ADD_SA_EXTENSION extension = Adapter->PendingExtension;
  const BOOLEAN has_extension = Adapter->PendingExtensionValid;
  BOOLEAN create_entry = FALSE;
  ULONG slot = 0, entry_slot = 0;
  SN_SA sa;
  NDIS_STATUS status;
  NDIS_HANDLE handle;

  Adapter->PendingExtensionValid = FALSE;
  if (Buffer == NULL || Length < header_length) {
    *BytesNeeded = header_length;
    return NDIS_STATUS_INVALID_LENGTH;
  }
  memcpy(&request, Buffer, header_length);
  if (Length - header_length < request.KeyLen) {
    *BytesNeeded = header_length + request.KeyLen;
    return NDIS_STATUS_INVALID_LENGTH;
  }
  /* [S14e] "almost identical to OFFLOAD_IPSEC_ADD_SA": the shared fields are checked alike. */
  memset(&common, 0, sizeof common);
  common.SrcAddr = request.SrcAddr;
  common.SrcMask = request.SrcMask;
  common.DestAddr = request.DstAddr;
  common.DestMask = request.DstMask;
  common.Protocol = request.Protocol;
  common.SrcPort = request.SrcPort;
  common.DestPort = request.DstPort;
  common.SrcTunnelAddr = request.SrcTunnelAddr;
  common.DestTunnelAddr = request.DstTunnelAddr;
  common.Flags = request.Flags;
  common.NumSAs = request.NumSAs;
  memcpy(common.SecAssoc, request.SecAssoc, sizeof common.SecAssoc);
  common.KeyLen = request.KeyLen;
  status = SnPrepareSa(Adapter, &common, (const UCHAR *)Buffer + header_length, has_extension ? &extension : NULL, TRUE,
                       &sa, &slot);
  if (status != NDIS_STATUS_SUCCESS) return status;

  /* [S15a] only the OTHER encapsulation is supported; IKE is reserved. */
  if (request.EncapTypeEntry.UdpEncapType != OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER) {
    status = NDIS_STATUS_NOT_SUPPORTED;
  } else if (!sa.Outbound) {
    if (request.EncapTypeEntry.DstEncapPort != SN_UDPESP_PORT) {
      status = NDIS_STATUS_NOT_SUPPORTED; /* "should always specify port 4500" [S15a] */
#ifdef SAMPLE_NIC_FAULT_PARSER_ENTRY_IGNORED
    } else {
      /* Bug: the entry handle the transport passes is never looked up; every inbound add gets an
       * entry of its own ([S15a]: a non-NULL handle names an entry the miniport holds). */
      create_entry = TRUE;
#else
    } else if (request.EncapTypeEntryOffldHandle == NULL) {
      create_entry = TRUE;
    } else if (SnFindParserEntry(Adapter, request.EncapTypeEntryOffldHandle) != NULL) {
      sa.ParserEntry = request.EncapTypeEntryOffldHandle;
    } else {
      status = NDIS_STATUS_FAILURE;
#endif
    }
  }
  if (status == NDIS_STATUS_SUCCESS && create_entry) {
    while (entry_slot < Adapter->SaCapacity && Adapter->ParserEntries[entry_slot].InUse) ++entry_slot;
    if (entry_slot == Adapter->SaCapacity) status = NDIS_STATUS_RESOURCES;
  }
  if (status != NDIS_STATUS_SUCCESS) {
    SnReleaseSa(&sa);
    return status;
  }
  /* Everything checked: from here the request succeeds, so a refusal above added nothing. */
  if (create_entry) {
    SN_PARSER_ENTRY *entry = &Adapter->ParserEntries[entry_slot];
    entry->InUse = TRUE;
    entry->Handle = SnNextHandle(Adapter, entry_slot);
    entry->Entry = request.EncapTypeEntry;
    sa.ParserEntry = entry->Handle;
    memcpy((PUCHAR)Buffer + offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, EncapTypeEntryOffldHandle), &entry->Handle,
           sizeof entry->Handle);
  }
  handle = SnCommitSa(Adapter, &sa, slot);
  memcpy((PUCHAR)Buffer + offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, OffloadHandle), &handle, sizeof handle);
  *BytesRead = header_length + request.KeyLen;
  return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS SnDeleteSa(SN_ADAPTER *Adapter, const VOID *Buffer, ULONG Length, PULONG BytesRead, PULONG BytesNeeded) {
  OFFLOAD_IPSEC_DELETE_SA request;
  uintptr_t slot;
  SN_SA *entry;
  if (Buffer == NULL || Length < sizeof request) {
    *BytesNeeded = (ULONG)sizeof request;
    return NDIS_STATUS_INVALID_LENGTH;
  }
  memcpy(&request, Buffer, sizeof request);
  slot = (uintptr_t)request.OffloadHandle & SN_HANDLE_SLOT_MASK;
  if (slot >= Adapter->SaCapacity) return NDIS_STATUS_FAILURE;
  entry = &Adapter->SaTable[slot];
  if (!entry->InUse || entry->OffloadHandle != request.OffloadHandle) return NDIS_STATUS_FAILURE;
  /* A UDP-ESP SA leaves through DELETE_UDPESP_SA, which also names its parser entry [S15d]. */
  if (entry->UdpEsp) return NDIS_STATUS_FAILURE;
  /* The slot is free from now on; its key schedules go when it is reused or the NIC halts. */
  entry->InUse = FALSE;
  --Adapter->LiveSas;
  *BytesRead = (ULONG)sizeof request;
  return NDIS_STATUS_SUCCESS;
}

/* OID_TCP_TASK_IPSEC_DELETE_UDPESP_SA [S15d]: the SA and, when the entry handle is non-NULL, that
 * parser entry - both or neither. The transport reference-counts entries; an SA that still
 * shares a deleted entry keeps sending (parsing is a receive matter). */
static NDIS_STATUS SnDeleteUdpEspSa(SN_ADAPTER *Adapter, const VOID *Buffer, ULONG Length, PULONG BytesRead,
                                    PULONG BytesNeeded) {
  OFFLOAD_IPSEC_DELETE_UDPESP_SA request;
  uintptr_t slot;
  SN_SA *entry;
  SN_PARSER_ENTRY *parser = NULL;
  if (Buffer == NULL || Length < sizeof request) {
    *BytesNeeded = (ULONG)sizeof request;
    return NDIS_STATUS_INVALID_LENGTH;
  }
  memcpy(&request, Buffer, sizeof request);
  slot = (uintptr_t)request.OffloadHandle & SN_HANDLE_SLOT_MASK;
  if (slot >= Adapter->SaCapacity) return NDIS_STATUS_FAILURE;
  entry = &Adapter->SaTable[slot];
  if (!entry->InUse || entry->OffloadHandle != request.OffloadHandle || !entry->UdpEsp) return NDIS_STATUS_FAILURE;
  if (request.EncapTypeEntryOffldHandle != NULL) {
    parser = SnFindParserEntry(Adapter, request.EncapTypeEntryOffldHandle);
    if (parser == NULL) return NDIS_STATUS_FAILURE;
  }
  entry->InUse = FALSE;
  --Adapter->LiveSas;
  if (parser != NULL) memset(parser, 0, sizeof *parser);
  *BytesRead = (ULONG)sizeof request;
  return NDIS_STATUS_SUCCESS;
}

/* ---- Send ----------------------------------------------------------------------------------- */

/* The IV for element Index of Sa: from the host's IV source when it has one for this send,
 * else from the NIC's own generator. */
static BOOLEAN SnDrawIv(SN_ADAPTER *Adapter, SN_SA *Sa, ULONG Index, PUCHAR Iv, ULONG Length) {
#ifdef SAMPLE_NIC_FAULT_SAME_IV_EVERY_PACKET
  /* Bug: the IV register is cleared at reset and never advanced; the host IV hook is never
   * consulted. Every packet gets the same IV. */
  (void)Adapter;
  (void)Sa;
  (void)Index;
  memset(Iv, 0, Length);
  return TRUE;
#else
  if (Adapter->IvCallback != NULL &&
      Adapter->IvCallback(Adapter->IvCallbackContext, Sa->OffloadHandle, Index, Iv, Length) != FALSE) {
    return TRUE;
  }
#ifdef SAMPLE_NIC_FAULT_CBC_IV_COUNTER
  /* Bug: "an IV only has to be unique": CBC IVs come from a counter that starts at reset
   * (RFC 3602 2.3, RFC 2405 5: a CBC IV must be unpredictable). GCM/GMAC keep the DRBG. */
  if (Sa->SecAssoc[Index].Cipher != NULL && Sa->SecAssoc[Index].Cipher->Mode == SnCipherCbc) {
    ULONG i;
    ++Adapter->IvCounter;
    memset(Iv, 0, Length);
    for (i = 0; i < 4 && i < Length; ++i) Iv[Length - 1 - i] = (UCHAR)(Adapter->IvCounter >> (8 * i));
    return TRUE;
  }
#endif
  return SnFitsInt(Length) && RAND_bytes_ex(Adapter->Driver->LibCtx, Iv, Length, 0) == 1;
#endif
}

/* ESP of one portion: IV, encryption and ICV in place (RFC 4303 3.3.2 - 3.3.4). */
static NDIS_STATUS SnProcessEsp(SN_ADAPTER *Adapter, const SN_PORTION *Portion, PUCHAR Frame) {
  SN_SA *sa = Portion->Sa;
  SN_SECASSOC *esp = SnEsp(sa);
  const ULONG iv_length = SnIvLength(esp);
  UCHAR sequence_high[4];
  PUCHAR iv = Frame + Portion->EspOffset + SN_ESP_HEADER;
#ifdef SAMPLE_NIC_FAULT_IV_NOT_WRITTEN
  /* Bug: the IV goes to the crypto engine's descriptor only; the packet keeps the IV field the
   * transport framed. */
  UCHAR iv_register[SN_MAX_IV_LENGTH];
  iv = iv_register;
#endif
  PUCHAR encrypted = Frame + Portion->EspPayload;
  const ULONG encrypted_length = Portion->EspIcv - Portion->EspPayload;
  PUCHAR icv = Frame + Portion->EspIcv;
  /* RFC 4303 2.2.1: with ESN the high 32 bits take part in the ICV but are not sent. */
  ULONG high_length = esp->Esn ? 4u : 0u;
  SnStoreBe32(sequence_high, esp->SequenceNumberHighOrder);
#ifdef SAMPLE_NIC_FAULT_ESN_HIGH_BITS_DROPPED
  /* Bug: the ICV engine only knows 32-bit sequence numbers. */
  high_length = 0;
#endif
#ifdef SAMPLE_NIC_FAULT_PADDING_REWRITTEN
  /* Bug: the engine pads on its own and writes zeros over the padding the transport framed
   * (RFC 4303 2.4: the sender's padding is 1, 2, 3, ...; the NIC changes nothing else [S5]). */
  memset(Frame + Portion->PayloadEnd, 0, Portion->EspIcv - SN_ESP_TRAILER - Portion->PayloadEnd);
#endif
  if (iv_length != 0 && !SnDrawIv(Adapter, sa, (ULONG)sa->EspIndex, iv, iv_length)) return NDIS_STATUS_FAILURE;
  if (esp->Cipher->Mode == SnCipherGcm) {
    /* RFC 4106 5: AAD = SPI || Sequence Number, with ESN SPI || high || low. */
    SN_PIECE aad[3];
    ULONG sealed_length = encrypted_length;
    aad[0].Data = Frame + Portion->EspOffset;
    aad[0].Length = 4;
#ifdef SAMPLE_NIC_FAULT_GCM_AAD_WITHOUT_SPI
    /* Bug: the SPI is left out of the AAD. */
    aad[0].Length = 0;
#endif
    aad[1].Data = sequence_high;
    aad[1].Length = high_length;
    aad[2].Data = Frame + Portion->EspOffset + 4;
    aad[2].Length = 4;
#ifdef SAMPLE_NIC_FAULT_GCM_AAD_WITHOUT_SEQUENCE
    /* Bug: the AAD descriptor holds the SPI alone; the sequence number is left out. */
    aad[1].Length = aad[2].Length = 0;
#endif
#ifdef SAMPLE_NIC_FAULT_TRAILER_IN_CLEAR
    /* Bug: the GCM length is the payload's, from the IP total length less the trailer: padding,
     * Pad Length and Next Header go out in the clear and unauthenticated (RFC 4303 2.4, RFC
     * 4106 3: the trailer is encrypted with the payload). */
    sealed_length = Portion->PayloadEnd - Portion->EspPayload;
#endif
    if (!SnGcmSeal(esp->CipherCtx, esp->CipherSalt, iv, aad, 3, encrypted, sealed_length, icv)) return NDIS_STATUS_FAILURE;
    return NDIS_STATUS_SUCCESS;
  }
#ifdef SAMPLE_NIC_FAULT_ESP_ICV_OVER_PLAINTEXT
  /* Bug: the MAC engine runs ahead of the cipher and sees the plaintext. */
  if (esp->Auth->Mode == SnAuthHmac) {
    SN_PIECE covered[2];
    covered[0].Data = Frame + Portion->EspOffset;
    covered[0].Length = Portion->EspIcv - Portion->EspOffset;
    covered[1].Data = sequence_high;
    covered[1].Length = high_length;
    if (!SnComputeIcv(esp, NULL, covered, 2, icv)) return NDIS_STATUS_FAILURE;
  }
#endif
  if (esp->Cipher->Mode == SnCipherCbc) {
    const UCHAR *chaining = iv;
#ifdef SAMPLE_NIC_FAULT_IV_NOT_LOADED
    /* Bug: the IV is written into the packet but never loaded into the CBC engine, which chains
     * from its reset value, zero (RFC 3602 2.3: the IV in the packet is the one used). */
    static const UCHAR zero_iv[SN_MAX_IV_LENGTH] = {0};
    chaining = zero_iv;
#endif
    if (!SnCbcEncrypt(esp->CipherCtx, chaining, encrypted, encrypted_length)) return NDIS_STATUS_FAILURE;
  }
  if (esp->Auth->Mode == SnAuthGmac) {
#ifdef SAMPLE_NIC_FAULT_GMAC_AS_GCM
    /* Bug: ENCR_NULL_AUTH_AES_GMAC is sent down the AES-GCM path: the payload is encrypted and
     * only SPI || sequence number are AAD (RFC 4543 3: GMAC encrypts nothing; the whole ESP
     * header, IV and payload are AAD). */
    SN_PIECE aad[3];
    aad[0].Data = Frame + Portion->EspOffset;
    aad[0].Length = 4;
    aad[1].Data = sequence_high;
    aad[1].Length = high_length;
    aad[2].Data = Frame + Portion->EspOffset + 4;
    aad[2].Length = 4;
    if (!SnGcmSeal(esp->GmacCtx, esp->GmacSalt, iv, aad, 3, encrypted, encrypted_length, icv)) return NDIS_STATUS_FAILURE;
#else
    /* RFC 4543 3.3: AAD = SPI || Sequence Number (ESN: high || low) || IV || payload ...
     * next header; nothing is encrypted. */
    SN_PIECE aad[5];
    aad[0].Data = Frame + Portion->EspOffset;
    aad[0].Length = 4;
    aad[1].Data = sequence_high;
    aad[1].Length = high_length;
    aad[2].Data = Frame + Portion->EspOffset + 4;
    aad[2].Length = 4;
    aad[3].Data = iv;
    aad[3].Length = iv_length;
    aad[4].Data = encrypted;
    aad[4].Length = encrypted_length;
    if (!SnComputeIcv(esp, iv, aad, 5, icv)) return NDIS_STATUS_FAILURE;
#endif
  } else if (esp->Auth->Mode == SnAuthHmac) {
#ifndef SAMPLE_NIC_FAULT_ESP_ICV_OVER_PLAINTEXT
    /* RFC 4303 2.8: the ICV covers ESP header, IV and ciphertext; with ESN the high bits
     * follow (RFC 4303 2.2.1). */
    SN_PIECE covered[3];
    covered[0].Data = Frame + Portion->EspOffset;
    covered[0].Length = Portion->EspIcv - Portion->EspOffset;
    covered[1].Data = sequence_high;
    covered[1].Length = high_length;
    covered[2].Data = NULL;
    covered[2].Length = 0;
#if defined(SAMPLE_NIC_FAULT_ESP_ICV_WITHOUT_HEADER)
    /* Bug: the MAC starts where the cipher starts reading, at the IV: SPI and sequence number
     * are not covered. */
    covered[0].Data += SN_ESP_HEADER;
    covered[0].Length -= SN_ESP_HEADER;
#elif defined(SAMPLE_NIC_FAULT_ESP_ICV_WITHOUT_IV)
    /* Bug: the MAC is fed the ESP header and then the cipher's output, which starts after the
     * IV: the IV is not covered. */
    covered[0].Length = SN_ESP_HEADER;
    covered[2] = covered[1];
    covered[1].Data = encrypted;
    covered[1].Length = encrypted_length;
#elif defined(SAMPLE_NIC_FAULT_ESP_ICV_COVERAGE_SHORT)
    /* Bug: the MAC length is the length from the IV on (the cipher's), started at the ESP
     * header: the last 8 bytes before the ICV are not covered. */
    covered[0].Length -= SN_ESP_HEADER;
#endif
    if (!SnComputeIcv(esp, NULL, covered, 3, icv)) return NDIS_STATUS_FAILURE;
#endif
  }
  return NDIS_STATUS_SUCCESS;
}

/* AH of one portion: the ICV over the header view, AH and the rest (RFC 4302 3.3.3). */
static NDIS_STATUS SnProcessAh(SN_ADAPTER *Adapter, const SN_PORTION *Portion, PUCHAR Frame) {
  static const UCHAR zeros[SN_MAX_ICV_LENGTH] = {0};
  SN_SA *sa = Portion->Sa;
  SN_SECASSOC *ah = SnAh(sa);
  const ULONG iv_length = SnIvLength(ah);
  const ULONG icv_length = SnIcvLength(ah);
  const ULONG after_ah = Portion->AhOffset + Portion->AhLength;
  PUCHAR iv = Frame + Portion->AhOffset + SN_AH_FIXED_HEADER;
  UCHAR header_view[SN_IPV4_MAX_HEADER], sequence_high[4];
  SN_PIECE covered[6];
  ULONG high_length = ah->Esn ? 4u : 0u;
  SnStoreBe32(sequence_high, ah->SequenceNumberHighOrder);
#ifdef SAMPLE_NIC_FAULT_ESN_HIGH_BITS_DROPPED
  high_length = 0;
#endif
  if (iv_length != 0 && !SnDrawIv(Adapter, sa, (ULONG)sa->AhIndex, iv, iv_length)) return NDIS_STATUS_FAILURE;
  SnAhHeaderView(&Portion->Ip, header_view);
  /* RFC 4302 3.3.3: the IPv4 header as AH sees it, AH with a zero ICV (the GMAC IV included,
   * RFC 4543 4), the rest of the packet, then with ESN the implicit high bits (RFC 4302
   * 2.5.1). */
  covered[0].Data = header_view;
  covered[0].Length = Portion->Ip.HeaderLength;
#ifdef SAMPLE_NIC_FAULT_AH_IHL_IGNORED
  /* Bug: the header descriptor has a fixed length of 20 bytes (IHL is not read): the IPv4
   * options are left out of the ICV, immutable ones included (RFC 4302 3.3.3.1.1.2). */
  covered[0].Length = SN_IPV4_MIN_HEADER;
#endif
  covered[1].Data = Frame + Portion->AhOffset;
  covered[1].Length = SN_AH_FIXED_HEADER + iv_length;
  covered[2].Data = zeros;
  covered[2].Length = icv_length;
  covered[3].Data = Frame + after_ah;
  covered[3].Length = Portion->End - after_ah;
  covered[4].Data = sequence_high;
  covered[4].Length = high_length;
  covered[5].Data = NULL;
  covered[5].Length = 0;
#ifdef SAMPLE_NIC_FAULT_AH_INNER_HEADER_ZEROED
  /* Bug: in tunnel mode the header view is applied to the inner IPv4 header too; it is payload
   * to the outer AH and covered as it is (RFC 4302 3.3.3.1: only the outer header's mutable
   * fields are zeroed). */
  UCHAR inner_view[SN_IPV4_MAX_HEADER];
  if (Portion->NextHeader == SN_PROTOCOL_IPV4 && Portion->End - after_ah >= SN_IPV4_MIN_HEADER) {
    const ULONG inner_length = (ULONG)(Frame[after_ah] & 0x0f) * 4u;
    if (inner_length >= SN_IPV4_MIN_HEADER && inner_length <= Portion->End - after_ah) {
      memcpy(inner_view, Frame + after_ah, inner_length);
      inner_view[1] = 0;
      inner_view[6] = inner_view[7] = inner_view[8] = 0;
      inner_view[10] = inner_view[11] = 0;
      covered[5] = covered[4];
      covered[4].Data = Frame + after_ah + inner_length;
      covered[4].Length = Portion->End - after_ah - inner_length;
      covered[3].Data = inner_view;
      covered[3].Length = inner_length;
    }
  }
#endif
  if (!SnComputeIcv(ah, iv, covered, 6, Frame + Portion->AhOffset + SN_AH_FIXED_HEADER + iv_length)) {
    return NDIS_STATUS_FAILURE;
  }
  return NDIS_STATUS_SUCCESS;
}

#ifdef SAMPLE_NIC_FAULT_UDP_CHECKSUM_RECOMPUTED
/* The UDP checksum of the portion's UDP header over the finished datagram (RFC 768): the
 * pseudo-header (source, destination, zero, protocol, UDP length), header and data. */
static VOID SnUdpChecksum(const SN_PORTION *Portion, PUCHAR Frame) {
  PUCHAR udp = Frame + Portion->UdpOffset;
  const ULONG length = Portion->End - Portion->UdpOffset;
  ULONG sum = SN_PROTOCOL_UDP + SnLoadBe16(&udp[4]), i;
  for (i = 12; i < 20; i += 2) sum += SnLoadBe16(&Portion->Ip.Bytes[i]);
  udp[6] = udp[7] = 0;
  for (i = 0; i + 1 < length; i += 2) sum += SnLoadBe16(&udp[i]);
  if ((length & 1u) != 0) sum += (ULONG)udp[length - 1] << 8;
  while ((sum >> 16) != 0) sum = (sum & 0xffffu) + (sum >> 16);
  sum = ~sum & 0xffffu;
  if (sum == 0) sum = 0xffffu; /* RFC 768: a computed zero is sent as all ones */
  udp[6] = (UCHAR)(sum >> 8);
  udp[7] = (UCHAR)sum;
}
#endif

/* Runs one portion's SA over the gathered frame: ESP first, then AH [S7]. The UDP header of a
 * UDP-ESP portion is left as the transport framed it (RFC 3948 2.1, 3.1). */
static NDIS_STATUS SnProcessPortion(SN_ADAPTER *Adapter, const SN_PORTION *Portion, PUCHAR Frame) {
  NDIS_STATUS status = NDIS_STATUS_SUCCESS;
#ifdef SAMPLE_NIC_FAULT_UDP_CHECKSUM_RECOMPUTED
  /* Bug: the checksum engine treats the UDP-ESP packet as any UDP datagram and fills in the UDP
   * checksum over the ciphertext (RFC 3948 3.1: the sender's checksum stays as framed, zero). */
  if (Portion->UdpOffset != 0 && SnEsp(Portion->Sa) != NULL) {
    status = SnProcessEsp(Adapter, Portion, Frame);
    if (status == NDIS_STATUS_SUCCESS) SnUdpChecksum(Portion, Frame);
    return status;
  }
#endif
#ifdef SAMPLE_NIC_FAULT_UDP_LENGTH_REWRITTEN
  /* Bug: the UDP Length is rewritten as the length of what it carries, the ESP packet, without
   * the 8 bytes of the UDP header itself (RFC 768: the length counts header and data). */
  if (Portion->UdpOffset != 0 && SnEsp(Portion->Sa) != NULL) {
    const ULONG udp_length = Portion->End - Portion->UdpOffset - SN_UDP_HEADER;
    status = SnProcessEsp(Adapter, Portion, Frame);
    Frame[Portion->UdpOffset + 4] = (UCHAR)(udp_length >> 8);
    Frame[Portion->UdpOffset + 5] = (UCHAR)udp_length;
    return status;
  }
#endif
#ifdef SAMPLE_NIC_FAULT_AH_BEFORE_ESP
  /* Bug: the bundle's elements run in header order, AH first: the AH ICV covers the ESP
   * payload before it is encrypted ([S7]: ESP, then AH over the ESP packet). */
  if (SnAh(Portion->Sa) != NULL) status = SnProcessAh(Adapter, Portion, Frame);
  if (status == NDIS_STATUS_SUCCESS && SnEsp(Portion->Sa) != NULL) status = SnProcessEsp(Adapter, Portion, Frame);
#else
  if (SnEsp(Portion->Sa) != NULL) status = SnProcessEsp(Adapter, Portion, Frame);
  if (status == NDIS_STATUS_SUCCESS && SnAh(Portion->Sa) != NULL) status = SnProcessAh(Adapter, Portion, Frame);
#endif
  return status;
}

/* DMA: the whole chain into the transmit buffer. */
static NDIS_STATUS SnGather(SN_CHAIN_CURSOR *Cursor, PUCHAR Wire, ULONG WireSize, PULONG WireLength) {
  if (Cursor->PacketLength > WireSize) return NDIS_STATUS_BUFFER_TOO_SHORT;
  if (!SnCursorRead(Cursor, 0, Wire, Cursor->PacketLength)) return NDIS_STATUS_INVALID_PACKET;
  *WireLength = Cursor->PacketLength;
  return NDIS_STATUS_SUCCESS;
}

#ifdef SAMPLE_NIC_FAULT_WRONG_SA
/* The first live outbound SA of the table with the same elements and algorithms as Sa. */
static SN_SA *SnFirstAlike(SN_ADAPTER *Adapter, SN_SA *Sa) {
  ULONG slot, i;
  for (slot = 0; slot < Adapter->SaCapacity; ++slot) {
    SN_SA *entry = &Adapter->SaTable[slot];
    BOOLEAN alike = entry->InUse && entry->Outbound && entry->TunnelSa == Sa->TunnelSa && entry->NumSAs == Sa->NumSAs;
    for (i = 0; alike && i < Sa->NumSAs; ++i) {
      alike = entry->SecAssoc[i].Operation == Sa->SecAssoc[i].Operation &&
              entry->SecAssoc[i].Cipher == Sa->SecAssoc[i].Cipher && entry->SecAssoc[i].Auth == Sa->SecAssoc[i].Auth &&
              entry->SecAssoc[i].Esn == Sa->SecAssoc[i].Esn;
    }
    if (alike) return entry;
  }
  return Sa;
}
#endif

#ifdef SAMPLE_NIC_FAULT_HANDLES_SWAPPED
/* The same AH/ESP elements with the same IV, ICV and block lengths: one's offsets fit the other. */
static BOOLEAN SnSameLayout(SN_SA *A, SN_SA *B) {
  SN_SECASSOC *esp_a = SnEsp(A), *esp_b = SnEsp(B), *ah_a = SnAh(A), *ah_b = SnAh(B);
  if ((esp_a == NULL) != (esp_b == NULL) || (ah_a == NULL) != (ah_b == NULL)) return FALSE;
  if (esp_a != NULL && (SnIvLength(esp_a) != SnIvLength(esp_b) || SnIcvLength(esp_a) != SnIcvLength(esp_b) ||
                        esp_a->Cipher->BlockSize != esp_b->Cipher->BlockSize)) {
    return FALSE;
  }
  return ah_a == NULL || (SnIvLength(ah_a) == SnIvLength(ah_b) && SnIcvLength(ah_a) == SnIcvLength(ah_b));
}
#endif

static NDIS_STATUS SnMiniportSend(NDIS_HANDLE MiniportAdapterContext, PNDIS_PACKET Packet, PUCHAR Wire, ULONG WireSize,
                                  PULONG WireLength) {
  SN_ADAPTER *adapter = (SN_ADAPTER *)MiniportAdapterContext;
  SN_CHAIN_CURSOR cursor;
  PNDIS_IPSEC_PACKET_INFO info;
  NDIS_HANDLE offload_handle, next_handle;
  SN_SA *first = NULL, *tunnel = NULL;
  SN_IPV4 outer, inner;
  SN_PORTION outer_portion, inner_portion;
  ULONG l3, length = 0;
  UCHAR ethertype[2];
  NDIS_STATUS status;

  *WireLength = 0;
  SnCursorInit(&cursor, Packet);
  if (cursor.PacketLength > WireSize) return NDIS_STATUS_BUFFER_TOO_SHORT;

  /* The slot holds a pointer to the NDIS_IPSEC_PACKET_INFO, or NULL [S13]. */
  info = (PNDIS_IPSEC_PACKET_INFO)NDIS_PER_PACKET_INFO_FROM_PACKET(Packet, IpSecPacketInfo);
  offload_handle = info != NULL ? info->Transmit.OffloadHandle : NULL;
  next_handle = info != NULL ? info->Transmit.NextOffloadHandle : NULL;
  if (offload_handle == NULL) {
    /* [S21a] a zero handle means no IPsec offload for this packet. */
    if (next_handle != NULL) return NDIS_STATUS_INVALID_PACKET;
    status = SnGather(&cursor, Wire, WireSize, &length);
    if (status == NDIS_STATUS_SUCCESS) *WireLength = length;
    return status;
  }
  if (!adapter->OffloadSet) return NDIS_STATUS_NOT_SUPPORTED;

  status = SnResolveHandle(adapter, offload_handle, &first);
#ifdef SAMPLE_NIC_FAULT_UNKNOWN_HANDLE_SENT_CLEAR
  /* Bug: a handle the NIC cannot resolve is treated as "no offload" and the frame goes out as it
   * came, in the clear. */
  if (status != NDIS_STATUS_SUCCESS) {
    status = SnGather(&cursor, Wire, WireSize, &length);
    if (status == NDIS_STATUS_SUCCESS) *WireLength = length;
    return status;
  }
#endif
  if (status != NDIS_STATUS_SUCCESS) return status;
  if (next_handle != NULL) {
    status = SnResolveHandle(adapter, next_handle, &tunnel);
    if (status != NDIS_STATUS_SUCCESS) return status;
    /* [S12] OffloadHandle: the transport SA; NextOffloadHandle: the tunnel SA. */
    if (!tunnel->TunnelSa || first->TunnelSa) return NDIS_STATUS_FAILURE;
    if (adapter->Enabled.Task.Supported.TRANSPORT_TUNNEL_COMBINED == 0) return NDIS_STATUS_NOT_SUPPORTED;
  }
  if (first->UdpEsp || (tunnel != NULL && tunnel->UdpEsp)) {
    /* [S15b] the handles make the UDP-ESP subtype, and the set must have enabled it [S15e]. */
    ULONG subtype;
    if (tunnel == NULL) {
      subtype = first->TunnelSa ? IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER : IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER;
    } else if (first->UdpEsp && tunnel->UdpEsp) {
      return NDIS_STATUS_NOT_SUPPORTED; /* UDP transport over a UDP tunnel: "not supported" [S15b] */
    } else {
      subtype = tunnel->UdpEsp ? IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER : IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_OTHER;
    }
#ifdef SAMPLE_NIC_FAULT_UDPESP_SUBTYPE_NOT_GATED
    /* Bug: the subtype flags are reported and accepted by the set but never looked at again:
     * every UDP-ESP send is offloaded, enabled or not ([S15e], [S11]: only what the set enabled). */
    (void)subtype;
#else
    if ((adapter->Enabled.Task.Supported.RESERVED & subtype) == 0) return NDIS_STATUS_NOT_SUPPORTED;
#endif
  }
  if (!SnSaCapable(&adapter->Enabled, first, TRUE)) return NDIS_STATUS_NOT_SUPPORTED;
  if (tunnel != NULL && !SnSaCapable(&adapter->Enabled, tunnel, TRUE)) return NDIS_STATUS_NOT_SUPPORTED;
  if ((adapter->Enabled.Extension.Flags & SENDPATH_EXT_ENCRYPTION_ONLY_ESP) == 0 &&
      (SnUnauthenticated(first) || (tunnel != NULL && SnUnauthenticated(tunnel)))) {
    return NDIS_STATUS_NOT_SUPPORTED;
  }

  /* Framing: the EncapsulationFormat of the set says where the IPv4 header starts. */
  l3 = adapter->EncapsulationLength;
  if (l3 != 0) {
    if (cursor.PacketLength < l3) return NDIS_STATUS_INVALID_PACKET;
    if (!SnCursorRead(&cursor, 12, ethertype, 2) || SnLoadBe16(ethertype) != SN_ETHERTYPE_IPV4) {
      return NDIS_STATUS_INVALID_PACKET;
    }
  }
  status = SnParseIpv4(&cursor, l3, cursor.PacketLength, &outer);
  if (status != NDIS_STATUS_SUCCESS) return status;
#ifndef SAMPLE_NIC_FAULT_FRAGMENTS_OFFLOADED
  if (outer.Fragment) return NDIS_STATUS_NOT_SUPPORTED; /* [S5] */
#endif
#ifndef SAMPLE_NIC_FAULT_OPTIONS_NOT_ENABLED_ACCEPTED
  if (outer.HasOptions && adapter->Enabled.Task.Supported.V4_OPTIONS == 0) return NDIS_STATUS_NOT_SUPPORTED;
#endif
#ifdef SAMPLE_NIC_FAULT_OPTIONS_ALWAYS_REFUSED
  /* Bug: the V4_OPTIONS path was never finished: a packet with IPv4 options is refused though
   * the NIC reports V4_OPTIONS and the transport enabled it ([S11]). */
  if (outer.HasOptions) return NDIS_STATUS_NOT_SUPPORTED;
#endif

  /* The outer header belongs to the tunnel SA when there is one, else to OffloadHandle's SA. */
  status = SnLocatePortion(&cursor, tunnel != NULL ? tunnel : first, &outer, &outer_portion);
  if (status != NDIS_STATUS_SUCCESS) return status;
  if (tunnel != NULL) {
    if (outer_portion.NextHeader != SN_PROTOCOL_IPV4) return NDIS_STATUS_INVALID_PACKET;
    status = SnParseIpv4(&cursor, outer_portion.PayloadOffset, outer_portion.PayloadEnd, &inner);
    if (status != NDIS_STATUS_SUCCESS) return status;
#ifndef SAMPLE_NIC_FAULT_FRAGMENTS_OFFLOADED
    if (inner.Fragment) return NDIS_STATUS_NOT_SUPPORTED;
#endif
#ifndef SAMPLE_NIC_FAULT_OPTIONS_NOT_ENABLED_ACCEPTED
    if (inner.HasOptions && adapter->Enabled.Task.Supported.V4_OPTIONS == 0) return NDIS_STATUS_NOT_SUPPORTED;
#endif
#ifdef SAMPLE_NIC_FAULT_OPTIONS_ALWAYS_REFUSED
    if (inner.HasOptions) return NDIS_STATUS_NOT_SUPPORTED;
#endif
    status = SnLocatePortion(&cursor, first, &inner, &inner_portion);
    if (status != NDIS_STATUS_SUCCESS) return status;
  }

  /* Everything checked: gather and transform. */
  status = SnGather(&cursor, Wire, WireSize, &length);
  if (status != NDIS_STATUS_SUCCESS) return status;
#ifdef SAMPLE_NIC_FAULT_WRONG_SA
  /* Bug: the key contexts are cached per algorithm suite, filled by the first SA that used it:
   * a later SA with the same algorithms is run with the first one's keys ([S12]: the handle
   * names the SA whose keys are used). */
  outer_portion.Sa = SnFirstAlike(adapter, outer_portion.Sa);
  if (tunnel != NULL) inner_portion.Sa = SnFirstAlike(adapter, inner_portion.Sa);
#endif
#ifdef SAMPLE_NIC_FAULT_HANDLES_SWAPPED
  /* Bug: the descriptor builder takes OffloadHandle for the outer (tunnel) portion and
   * NextOffloadHandle for the inner one ([S12]: OffloadHandle is the transport SA). The parser
   * used the right SAs, so only when both SAs have the same layout does a frame go out. */
  if (tunnel != NULL) {
    if (!SnSameLayout(outer_portion.Sa, inner_portion.Sa)) return NDIS_STATUS_INVALID_PACKET;
    outer_portion.Sa = first;
    inner_portion.Sa = tunnel;
  }
#endif
#ifdef SAMPLE_NIC_FAULT_NEXT_HANDLE_IGNORED
  /* Bug: NextOffloadHandle only steers the parser past the tunnel headers; the crypto engine is
   * programmed with OffloadHandle's SA alone, so the tunnel portion leaves with its IV and ICV
   * fields as framed ([S12]: NextOffloadHandle's SA protects the tunnel portion). */
  if (tunnel != NULL) {
    status = SnProcessPortion(adapter, &inner_portion, Wire);
    if (status != NDIS_STATUS_SUCCESS) return status;
    *WireLength = length;
    return NDIS_STATUS_SUCCESS;
  }
#endif
#ifdef SAMPLE_NIC_FAULT_TUNNEL_BEFORE_TRANSPORT
  /* Bug: the outer (tunnel) portion is processed first, the inner one after it. */
  status = SnProcessPortion(adapter, &outer_portion, Wire);
  if (status == NDIS_STATUS_SUCCESS && tunnel != NULL) status = SnProcessPortion(adapter, &inner_portion, Wire);
#else
  /* [S1] the transport portion first, then the tunnel portion over it. */
  status = tunnel != NULL ? SnProcessPortion(adapter, &inner_portion, Wire) : NDIS_STATUS_SUCCESS;
  if (status == NDIS_STATUS_SUCCESS) status = SnProcessPortion(adapter, &outer_portion, Wire);
#endif
  if (status != NDIS_STATUS_SUCCESS) return status;
  *WireLength = length;
  return NDIS_STATUS_SUCCESS;
}

/* ---- Driver load and unload ------------------------------------------------------------------ */
static SN_DRIVER SnDriver;
static pthread_once_t SnDriverOnce = PTHREAD_ONCE_INIT;

/* The library's unload (dlclose or process exit) is the driver's: its algorithms go with it. */
__attribute__((destructor)) static VOID SnUnloadDriver(VOID) {
  ULONG i;
  for (i = 0; i < SN_COUNT_OF(SnDriver.Ciphers); ++i) EVP_CIPHER_free(SnDriver.Ciphers[i]);
  EVP_MAC_free(SnDriver.Hmac);
  if (SnDriver.LegacyProvider != NULL) OSSL_PROVIDER_unload(SnDriver.LegacyProvider);
  if (SnDriver.DefaultProvider != NULL) OSSL_PROVIDER_unload(SnDriver.DefaultProvider);
  OSSL_LIB_CTX_free(SnDriver.LibCtx);
  memset(&SnDriver, 0, sizeof SnDriver);
}

static VOID SnLoadDriver(VOID) {
  ULONG i;
  SnDriver.LibCtx = OSSL_LIB_CTX_new();
  if (SnDriver.LibCtx == NULL) {
    SnDriver.Status = NDIS_STATUS_RESOURCES;
    return;
  }
  SnDriver.DefaultProvider = OSSL_PROVIDER_load(SnDriver.LibCtx, "default");
  SnDriver.LegacyProvider = OSSL_PROVIDER_load(SnDriver.LibCtx, "legacy");
  SnDriver.Hmac = EVP_MAC_fetch(SnDriver.LibCtx, "HMAC", NULL);
  SnDriver.Status = SnDriver.DefaultProvider != NULL && SnDriver.Hmac != NULL ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
  for (i = 0; i < SN_COUNT_OF(SnCiphers); ++i) {
    if (SnCiphers[i].EvpName != NULL) SnDriver.Ciphers[i] = EVP_CIPHER_fetch(SnDriver.LibCtx, SnCiphers[i].EvpName, NULL);
    if (SnDriver.Ciphers[i] == NULL && SnCiphers[i].Mode != SnCipherNull && i != SN_CIPHER_DES_INDEX) {
      SnDriver.Status = NDIS_STATUS_FAILURE;
    }
  }
}

/* ---- Miniport entry points ------------------------------------------------------------------- */
static VOID SnHalt(NDIS_HANDLE MiniportAdapterContext) {
  SN_ADAPTER *adapter = (SN_ADAPTER *)MiniportAdapterContext;
  ULONG i;
  if (adapter == NULL) return;
  if (adapter->SaTable != NULL) {
    for (i = 0; i < adapter->SaCapacity; ++i) SnReleaseSa(&adapter->SaTable[i]);
    free(adapter->SaTable);
  }
  free(adapter->ParserEntries);
  free(adapter);
}

/* "sa_capacity=N" and nothing else. */
static NDIS_STATUS SnParseOptions(const char *Options, ULONG *SaCapacity) {
  const char *p = Options != NULL ? Options : "";
  static const char key[] = "sa_capacity=";
  while (*p != '\0') {
    const char *end = strchr(p, ',');
    const size_t length = end != NULL ? (size_t)(end - p) : strlen(p);
    if (length >= sizeof key - 1 && strncmp(p, key, sizeof key - 1) == 0) {
      unsigned long value = 0;
      size_t i;
      if (length == sizeof key - 1) return NDIS_STATUS_INVALID_DATA;
      for (i = sizeof key - 1; i < length; ++i) {
        if (p[i] < '0' || p[i] > '9' || value > SN_MAX_SA_CAPACITY) return NDIS_STATUS_INVALID_DATA;
        value = value * 10u + (unsigned long)(p[i] - '0');
      }
      if (value == 0 || value > SN_MAX_SA_CAPACITY) return NDIS_STATUS_INVALID_DATA;
      *SaCapacity = (ULONG)value;
    } else if (length != 0) {
      return NDIS_STATUS_NOT_SUPPORTED;
    }
    p += length;
    if (*p == ',') ++p;
  }
  return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS SnInitialize(const char *Options, NDIS_HANDLE *MiniportAdapterContext) {
  SN_ADAPTER *adapter;
  ULONG capacity = SN_DEFAULT_SA_CAPACITY;
  NDIS_STATUS status;
  *MiniportAdapterContext = NULL;
  status = SnParseOptions(Options, &capacity);
  if (status != NDIS_STATUS_SUCCESS) return status;
  if (pthread_once(&SnDriverOnce, SnLoadDriver) != 0) return NDIS_STATUS_FAILURE;
  if (SnDriver.Status != NDIS_STATUS_SUCCESS) return SnDriver.Status;
  adapter = (SN_ADAPTER *)calloc(1, sizeof *adapter);
  if (adapter == NULL) return NDIS_STATUS_RESOURCES;
  adapter->Driver = &SnDriver;
  adapter->SaCapacity = capacity;
  adapter->NextSerial = 1;
  adapter->SaTable = (SN_SA *)calloc(capacity, sizeof(SN_SA));
  adapter->ParserEntries = (SN_PARSER_ENTRY *)calloc(capacity, sizeof(SN_PARSER_ENTRY));
  if (adapter->SaTable == NULL || adapter->ParserEntries == NULL) {
    SnHalt(adapter);
    return NDIS_STATUS_RESOURCES;
  }
  SnFullCapabilities(adapter, &adapter->Reported);
  *MiniportAdapterContext = adapter;
  return NDIS_STATUS_SUCCESS;
}

static NDIS_STATUS SnQueryInformation(NDIS_HANDLE MiniportAdapterContext, NDIS_OID Oid, PVOID InformationBuffer,
                                      ULONG InformationBufferLength, PULONG BytesWritten, PULONG BytesNeeded) {
  SN_ADAPTER *adapter = (SN_ADAPTER *)MiniportAdapterContext;
  *BytesWritten = 0;
  *BytesNeeded = 0;
  if (Oid == OID_TCP_TASK_OFFLOAD) {
    return SnQueryTaskOffload(adapter, InformationBuffer, InformationBufferLength, BytesWritten, BytesNeeded);
  }
  return NDIS_STATUS_INVALID_OID;
}

static NDIS_STATUS SnSetInformation(NDIS_HANDLE MiniportAdapterContext, NDIS_OID Oid, PVOID InformationBuffer,
                                    ULONG InformationBufferLength, PULONG BytesRead, PULONG BytesNeeded) {
  SN_ADAPTER *adapter = (SN_ADAPTER *)MiniportAdapterContext;
  *BytesRead = 0;
  *BytesNeeded = 0;
  switch (Oid) {
    case OID_TCP_TASK_OFFLOAD:
      return SnSetTaskOffload(adapter, InformationBuffer, InformationBufferLength, BytesRead, BytesNeeded);
    case OID_TCP_TASK_IPSEC_ADD_SA:
      return SnAddSa(adapter, InformationBuffer, InformationBufferLength, BytesRead, BytesNeeded);
    case OID_TCP_TASK_IPSEC_DELETE_SA:
      return SnDeleteSa(adapter, InformationBuffer, InformationBufferLength, BytesRead, BytesNeeded);
    case OID_TCP_TASK_IPSEC_ADD_UDPESP_SA:
      return SnAddUdpEspSa(adapter, InformationBuffer, InformationBufferLength, BytesRead, BytesNeeded);
    case OID_TCP_TASK_IPSEC_DELETE_UDPESP_SA:
      return SnDeleteUdpEspSa(adapter, InformationBuffer, InformationBufferLength, BytesRead, BytesNeeded);
    case OID_SENDPATH_IPSEC_ADD_SA_EXTENSION:
      if (InformationBuffer == NULL || InformationBufferLength < sizeof(SENDPATH_ADD_SA_EXTENSION)) {
        *BytesNeeded = (ULONG)sizeof(SENDPATH_ADD_SA_EXTENSION);
        return NDIS_STATUS_INVALID_LENGTH;
      }
      memcpy(&adapter->PendingExtension, InformationBuffer, sizeof adapter->PendingExtension);
      adapter->PendingExtensionValid = TRUE;
      *BytesRead = (ULONG)sizeof(SENDPATH_ADD_SA_EXTENSION);
      return NDIS_STATUS_SUCCESS;
    default:
      return NDIS_STATUS_INVALID_OID;
  }
}

static VOID SnSetIvCallback(NDIS_HANDLE MiniportAdapterContext, SENDPATH_IV_CALLBACK Callback, PVOID CallbackContext) {
  SN_ADAPTER *adapter = (SN_ADAPTER *)MiniportAdapterContext;
  adapter->IvCallback = Callback;
  adapter->IvCallbackContext = CallbackContext;
}

static const SENDPATH_CANDIDATE_ENTRY SnEntry = {
    SENDPATH_CANDIDATE_ABI_VERSION,
    (ULONG)sizeof(SENDPATH_CANDIDATE_ENTRY),
    "sendpath-sample-nic",
    "1.0 (" SAMPLE_NIC_VARIANT ")",
    SnInitialize,
    SnHalt,
    SnQueryInformation,
    SnSetInformation,
    SnMiniportSend,
    SnSetIvCallback,
};

SN_EXPORT const SENDPATH_CANDIDATE_ENTRY *SendpathCandidateEntry(void) { return &SnEntry; }
