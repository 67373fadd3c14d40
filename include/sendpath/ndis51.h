/*
 * ndis51.h - NDIS 5.1 IPsec task-offload definitions for sendpath.
 *
 * The real names and numeric values of the NDIS 5.1 (IPsec offload version 1) types that the
 * send path uses, so that a vendor's C send routine compiles against this header with few
 * changes. Sources (see docs/ndis51-ipsec-offload.md, section 9):
 *   - ndis.h    (mingw-w64 ddk, S18): NDIS_IPSEC_PACKET_INFO, NDIS_PER_PACKET_INFO, NDIS_TASK,
 *               NDIS_PACKET_EXTENSION, NDIS_TASK_IPSEC, NDIS_STATUS values;
 *   - ntddndis.h (mingw-w64, S17): OFFLOAD_* SA management types and the OIDs;
 *   - IPsec offload v2 (S21): the algorithm identifiers sendpath uses as extensions.
 *
 * Windows is LLP64: ULONG is 32 bits on every target, HANDLE is pointer-sized. The static
 * assertions at the end pin the layouts to the ones the reference computes for x86 and x64.
 *
 * Plain C (C99 + C11 _Static_assert); usable from C++.
 */
#ifndef SENDPATH_NDIS51_H
#define SENDPATH_NDIS51_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Basic Windows types (LLP64) ------------------------------------------------------------ */
typedef uint8_t UCHAR, *PUCHAR;
typedef uint16_t USHORT, *PUSHORT;
typedef int16_t SHORT;
typedef uint32_t ULONG, *PULONG;
typedef int32_t LONG;
typedef void *PVOID;
typedef void *HANDLE;
typedef void *NDIS_HANDLE, **PNDIS_HANDLE;
typedef uint8_t BOOLEAN;
typedef LONG NDIS_STATUS, *PNDIS_STATUS;
typedef ULONG NDIS_OID;

/* ---- NDIS_STATUS values (ndis.h l.344-516; NTSTATUS values from ntstatus.h) ---------------- */
#define NDIS_STATUS_SUCCESS ((NDIS_STATUS)0x00000000L)
#define NDIS_STATUS_PENDING ((NDIS_STATUS)0x00000103L)
#define NDIS_STATUS_NOT_ACCEPTED ((NDIS_STATUS)0x00010003L)
#define NDIS_STATUS_FAILURE ((NDIS_STATUS)0xC0000001L)
#define NDIS_STATUS_RESOURCES ((NDIS_STATUS)0xC000009AL)
#define NDIS_STATUS_NOT_SUPPORTED ((NDIS_STATUS)0xC00000BBL)
#define NDIS_STATUS_REQUEST_ABORTED ((NDIS_STATUS)0xC001000CL)
#define NDIS_STATUS_INVALID_PACKET ((NDIS_STATUS)0xC001000FL)
#define NDIS_STATUS_INVALID_LENGTH ((NDIS_STATUS)0xC0010014L)
#define NDIS_STATUS_INVALID_DATA ((NDIS_STATUS)0xC0010015L)
#define NDIS_STATUS_BUFFER_TOO_SHORT ((NDIS_STATUS)0xC0010016L)
#define NDIS_STATUS_INVALID_OID ((NDIS_STATUS)0xC0010017L)

/* ---- OIDs (ntddndis.h l.1380-1404) -------------------------------------------------------- */
#define OID_TCP_TASK_OFFLOAD 0xFC010201
#define OID_TCP_TASK_IPSEC_ADD_SA 0xFC010202
#define OID_TCP_TASK_IPSEC_DELETE_SA 0xFC010203
#define OID_TCP_SAN_SUPPORT 0xFC010204
#define OID_TCP_TASK_IPSEC_ADD_UDPESP_SA 0xFC010205
#define OID_TCP_TASK_IPSEC_DELETE_UDPESP_SA 0xFC010206

/* ---- Per-packet information (ndis.h l.1082-1181) ------------------------------------------ */
typedef struct _NDIS_IPSEC_PACKET_INFO {
  union {
    struct {
      NDIS_HANDLE OffloadHandle;     /* outbound SA of the only IPsec payload, or the transport SA */
      NDIS_HANDLE NextOffloadHandle; /* tunnel SA when both payloads are present, else 0 */
    } Transmit;
    struct {
      ULONG SA_DELETE_REQ : 1;
      ULONG CRYPTO_DONE : 1;
      ULONG NEXT_CRYPTO_DONE : 1;
      ULONG CryptoStatus; /* a full ULONG */
    } Receive;
  };
} NDIS_IPSEC_PACKET_INFO, *PNDIS_IPSEC_PACKET_INFO;

#define MAX_HASHES 4
#define TRUNCATED_HASH_LEN 12

#define CRYPTO_SUCCESS 0
#define CRYPTO_GENERIC_ERROR 1
#define CRYPTO_TRANSPORT_AH_AUTH_FAILED 2
#define CRYPTO_TRANSPORT_ESP_AUTH_FAILED 3
#define CRYPTO_TUNNEL_AH_AUTH_FAILED 4
#define CRYPTO_TUNNEL_ESP_AUTH_FAILED 5
#define CRYPTO_INVALID_PACKET_SYNTAX 6
#define CRYPTO_INVALID_PROTOCOL 7

typedef enum _NDIS_PER_PACKET_INFO {
  TcpIpChecksumPacketInfo,        /* 0 */
  IpSecPacketInfo,                /* 1: the slot holds a PNDIS_IPSEC_PACKET_INFO */
  TcpLargeSendPacketInfo,         /* 2 */
  ClassificationHandlePacketInfo, /* 3 */
  NdisReserved,
  ScatterGatherListPacketInfo,
  Ieee8021QInfo,
  OriginalPacketInfo,
  PacketCancelId,
  OriginalNetBufferList,
  CachedNetBufferList,
  ShortPacketPaddingInfo,
  MaxPerPacketInfo
} NDIS_PER_PACKET_INFO, *PNDIS_PER_PACKET_INFO;

typedef struct _NDIS_PACKET_EXTENSION {
  PVOID NdisPacketInfo[MaxPerPacketInfo];
} NDIS_PACKET_EXTENSION, *PNDIS_PACKET_EXTENSION;

typedef enum _NDIS_TASK {
  TcpIpChecksumNdisTask, /* 0 */
  IpSecNdisTask,         /* 1: the send-path page names this as the InfoType; equal to IpSecPacketInfo */
  TcpLargeSendNdisTask,  /* 2 */
  MaxNdisTask
} NDIS_TASK, *PNDIS_TASK;

#define NDIS_TASK_OFFLOAD_VERSION 1

/* ---- OID_TCP_TASK_OFFLOAD buffers (ntddndis.h) -------------------------------------------- */
typedef enum _NDIS_ENCAPSULATION {
  UNSPECIFIED_Encapsulation,
  NULL_Encapsulation, /* the frame starts with the IPv4 header */
  IEEE_802_3_Encapsulation, /* Ethernet II: 14-byte header, EtherType 0x0800 */
  IEEE_802_5_Encapsulation,
  LLC_SNAP_ROUTED_Encapsulation,
  LLC_SNAP_BRIDGED_Encapsulation
} NDIS_ENCAPSULATION;

typedef struct _NDIS_ENCAPSULATION_FORMAT {
  NDIS_ENCAPSULATION Encapsulation;
  struct {
    ULONG FixedHeaderSize : 1;
    ULONG Reserved : 31;
  } Flags;
  ULONG EncapsulationHeaderSize;
} NDIS_ENCAPSULATION_FORMAT, *PNDIS_ENCAPSULATION_FORMAT;

typedef struct _NDIS_TASK_OFFLOAD_HEADER {
  ULONG Version; /* NDIS_TASK_OFFLOAD_VERSION */
  ULONG Size;    /* sizeof(NDIS_TASK_OFFLOAD_HEADER) */
  ULONG Reserved;
  ULONG OffsetFirstTask; /* 0 in a set: disable every offload */
  NDIS_ENCAPSULATION_FORMAT EncapsulationFormat;
} NDIS_TASK_OFFLOAD_HEADER, *PNDIS_TASK_OFFLOAD_HEADER;

typedef struct _NDIS_TASK_OFFLOAD {
  ULONG Version;
  ULONG Size;
  NDIS_TASK Task;
  ULONG OffsetNextTask;
  ULONG TaskBufferLength;
  UCHAR TaskBuffer[1];
} NDIS_TASK_OFFLOAD, *PNDIS_TASK_OFFLOAD;

/* NDIS_TASK_IPSEC (ndis.h l.1256). Query: what the NIC can do. Set: what the transport enables.
 * In both roles 0 means "not supported" / "not enabled". */
typedef struct _NDIS_TASK_IPSEC {
  struct {
    ULONG AH_ESP_COMBINED;           /* [IP][AH][ESP][rest] in one packet */
    ULONG TRANSPORT_TUNNEL_COMBINED; /* transport and tunnel portions in one packet */
    ULONG V4_OPTIONS;                /* IPv4 headers with options */
    ULONG RESERVED;                  /* UDP-ESP parse-capability flags (IPSEC_*_UDPESP_ENCAPTYPE_*) */
  } Supported;
  struct {
    ULONG MD5 : 1;
    ULONG SHA_1 : 1;
    ULONG Transport : 1;
    ULONG Tunnel : 1;
    ULONG Send : 1;
    ULONG Receive : 1;
  } V4AH;
  struct {
    ULONG DES : 1;
    ULONG RESERVED : 1;
    ULONG TRIPLE_DES : 1;
    ULONG NULL_ESP : 1;
    ULONG Transport : 1;
    ULONG Tunnel : 1;
    ULONG Send : 1;
    ULONG Receive : 1;
  } V4ESP;
} NDIS_TASK_IPSEC, *PNDIS_TASK_IPSEC;

/* ---- SA management (ntddndis.h l.1444-1574) ----------------------------------------------- */
#define OFFLOAD_MAX_SAS 3
#define OFFLOAD_INBOUND_SA 0x0001
#define OFFLOAD_OUTBOUND_SA 0x0002

typedef ULONG IPAddr; /* network byte order, as in the IPv4 header */
typedef ULONG IPMask;
typedef ULONG SPI_TYPE; /* host byte order */

typedef enum _OFFLOAD_OPERATION_E {
  AUTHENTICATE = 1, /* AH */
  ENCRYPT           /* = 2: ESP */
} OFFLOAD_OPERATION_E;

typedef struct _OFFLOAD_ALGO_INFO {
  ULONG algoIdentifier;
  ULONG algoKeylen; /* bytes of KeyMat this algorithm takes */
  ULONG algoRounds;
} OFFLOAD_ALGO_INFO, *POFFLOAD_ALGO_INFO;

typedef enum _OFFLOAD_CONF_ALGO {
  OFFLOAD_IPSEC_CONF_NONE,     /* 0: null ESP */
  OFFLOAD_IPSEC_CONF_DES,      /* 1 */
  OFFLOAD_IPSEC_CONF_RESERVED, /* 2 */
  OFFLOAD_IPSEC_CONF_3_DES,    /* 3 */
  OFFLOAD_IPSEC_CONF_MAX       /* 4 */
} OFFLOAD_CONF_ALGO;

typedef enum _OFFLOAD_INTEGRITY_ALGO {
  OFFLOAD_IPSEC_INTEGRITY_NONE, /* 0 */
  OFFLOAD_IPSEC_INTEGRITY_MD5,  /* 1: HMAC-MD5-96 */
  OFFLOAD_IPSEC_INTEGRITY_SHA,  /* 2: HMAC-SHA1-96 */
  OFFLOAD_IPSEC_INTEGRITY_MAX   /* 3 */
} OFFLOAD_INTEGRITY_ALGO;

typedef struct _OFFLOAD_SECURITY_ASSOCIATION {
  OFFLOAD_OPERATION_E Operation;
  SPI_TYPE SPI;
  OFFLOAD_ALGO_INFO IntegrityAlgo;
  OFFLOAD_ALGO_INFO ConfAlgo;
  OFFLOAD_ALGO_INFO Reserved;
} OFFLOAD_SECURITY_ASSOCIATION, *POFFLOAD_SECURITY_ASSOCIATION;

typedef struct _OFFLOAD_IPSEC_ADD_SA {
  IPAddr SrcAddr; /* filter of the transport (end-to-end) connection; 0 = wildcard */
  IPMask SrcMask;
  IPAddr DestAddr;
  IPMask DestMask;
  ULONG Protocol; /* IP protocol number, 0 = any */
  USHORT SrcPort;
  USHORT DestPort;
  IPAddr SrcTunnelAddr;  /* non-zero only for an SA covering the tunnel portion */
  IPAddr DestTunnelAddr;
  USHORT Flags; /* OFFLOAD_INBOUND_SA or OFFLOAD_OUTBOUND_SA */
  SHORT NumSAs; /* 1 or 2 */
  OFFLOAD_SECURITY_ASSOCIATION SecAssoc[OFFLOAD_MAX_SAS]; /* processing order: ESP then AH */
  HANDLE OffloadHandle; /* OUT: filled in by the miniport */
  ULONG KeyLen;         /* bytes in KeyMat */
  UCHAR KeyMat[1];
} OFFLOAD_IPSEC_ADD_SA, *POFFLOAD_IPSEC_ADD_SA;

typedef struct _OFFLOAD_IPSEC_DELETE_SA {
  HANDLE OffloadHandle;
} OFFLOAD_IPSEC_DELETE_SA, *POFFLOAD_IPSEC_DELETE_SA;

/* Bytes an OID_TCP_TASK_IPSEC_ADD_SA buffer needs for KeyLen bytes of key material. */
#define OFFLOAD_IPSEC_ADD_SA_SIZE(KeyLen) (offsetof(OFFLOAD_IPSEC_ADD_SA, KeyMat) + (size_t)(KeyLen))

/* ---- UDP-ESP (NAT-T, RFC 3948) SA management (ntddndis.h l.1444-1574, S17; S14e, S15a-e) ----
 * OID_TCP_TASK_IPSEC_ADD_UDPESP_SA / OID_TCP_TASK_IPSEC_DELETE_UDPESP_SA. Only the OTHER
 * encapsulation type is supported; IKE is reserved. DstEncapPort is always 4500 and matters only
 * for an inbound SA [S15a]. Field names as in ntddndis.h (Dst..., not Dest...). */
typedef enum _UDP_ENCAP_TYPE {
  OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_IKE,  /* 0: reserved */
  OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_OTHER /* 1: UDP encapsulation on port 4500 */
} UDP_ENCAP_TYPE, *PUDP_ENCAP_TYPE;

typedef struct _OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_ENTRY {
  UDP_ENCAP_TYPE UdpEncapType;
  USHORT DstEncapPort; /* 4500; host byte order (the docs do not say; sendpath passes it so) */
} OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_ENTRY, *POFFLOAD_IPSEC_UDPESP_ENCAPTYPE_ENTRY;

typedef struct _OFFLOAD_IPSEC_ADD_UDPESP_SA {
  IPAddr SrcAddr; /* the same filter as OFFLOAD_IPSEC_ADD_SA; Protocol "should be 0x11 (UDP)" [S14e] */
  IPMask SrcMask;
  IPAddr DstAddr;
  IPMask DstMask;
  ULONG Protocol;
  USHORT SrcPort;
  USHORT DstPort;
  IPAddr SrcTunnelAddr; /* non-zero only for an SA covering the tunnel portion */
  IPAddr DstTunnelAddr;
  USHORT Flags; /* OFFLOAD_INBOUND_SA or OFFLOAD_OUTBOUND_SA */
  SHORT NumSAs;
  OFFLOAD_SECURITY_ASSOCIATION SecAssoc[OFFLOAD_MAX_SAS];
  HANDLE OffloadHandle; /* OUT */
  OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_ENTRY EncapTypeEntry;
  HANDLE EncapTypeEntryOffldHandle; /* IN/OUT: NULL asks the miniport for a parser entry (inbound) */
  ULONG KeyLen;
  UCHAR KeyMat[1];
} OFFLOAD_IPSEC_ADD_UDPESP_SA, *POFFLOAD_IPSEC_ADD_UDPESP_SA;

typedef struct _OFFLOAD_IPSEC_DELETE_UDPESP_SA {
  HANDLE OffloadHandle;
  HANDLE EncapTypeEntryOffldHandle; /* non-NULL: delete that parser entry too [S15d] */
} OFFLOAD_IPSEC_DELETE_UDPESP_SA, *POFFLOAD_IPSEC_DELETE_UDPESP_SA;

/* Bytes an OID_TCP_TASK_IPSEC_ADD_UDPESP_SA buffer needs for KeyLen bytes of key material. */
#define OFFLOAD_IPSEC_ADD_UDPESP_SA_SIZE(KeyLen) (offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, KeyMat) + (size_t)(KeyLen))

/* NDIS_TASK_IPSEC.Supported.RESERVED: the UDP-ESP subtypes a NIC can parse (ndis.h l.1285, S18;
 * S11b, S15e). The _IKE flags are reserved; a NIC that cannot parse UDP-ESP sets none. */
#define IPSEC_TPT_UDPESP_ENCAPTYPE_IKE 0x00000001
#define IPSEC_TUN_UDPESP_ENCAPTYPE_IKE 0x00000002
#define IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_IKE 0x00000004
#define IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_IKE 0x00000008
#define IPSEC_TPT_UDPESP_ENCAPTYPE_OTHER 0x00000010              /* UDP-encapsulated transport */
#define IPSEC_TUN_UDPESP_ENCAPTYPE_OTHER 0x00000020              /* UDP-encapsulated tunnel */
#define IPSEC_TPTOVERTUN_UDPESP_ENCAPTYPE_OTHER 0x00000040       /* transport over UDP-encapsulated tunnel */
#define IPSEC_TPT_UDPESP_OVER_PURE_TUN_ENCAPTYPE_OTHER 0x00000080 /* UDP-encapsulated transport over tunnel */

/* ---- IPsec offload v2 algorithm identifiers (ntddndis.h, NDIS 6.1; S21) -------------------
 * sendpath's extension algorithms use these values in OFFLOAD_ALGO_INFO.algoIdentifier. They do
 * not collide with the NDIS 5.1 enums above for the algorithms 5.1 lacks (AES, SHA-256, GMAC);
 * for DES, 3DES, null, MD5 and SHA-1 the 5.1 values are used. The same values are the capability
 * bits of SENDPATH_TASK_IPSEC_EXTENSION. */
#define IPSEC_OFFLOAD_V2_AUTHENTICATION_MD5 0x00000001
#define IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_1 0x00000002
#define IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_256 0x00000004     /* HMAC-SHA-256-128, RFC 4868 */
#define IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_128 0x00000008 /* AES-GMAC, RFC 4543 */
#define IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_192 0x00000010
#define IPSEC_OFFLOAD_V2_AUTHENTICATION_AES_GCM_256 0x00000020

#define IPSEC_OFFLOAD_V2_ENCRYPTION_NONE 0x00000001
#define IPSEC_OFFLOAD_V2_ENCRYPTION_DES_CBC 0x00000002
#define IPSEC_OFFLOAD_V2_ENCRYPTION_3_DES_CBC 0x00000004
#define IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_128 0x00000008 /* RFC 4106, 8-byte IV, 16-byte ICV */
#define IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_192 0x00000010
#define IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_256 0x00000020
#define IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_128 0x00000040 /* RFC 3602 */
#define IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_192 0x00000080
#define IPSEC_OFFLOAD_V2_ENCRYPTION_AES_CBC_256 0x00000100

#define IPSEC_OFFLOAD_V2_ESN_SA 0x00000001 /* IPSEC_OFFLOAD_V2_SECURITY_ASSOCIATION.Flags */

/* ---- sendpath extensions -------------------------------------------------------------------
 * Things the NDIS 5.1 structures cannot say but a conformance harness must: the v2 algorithm set,
 * extended sequence numbers (needed to reproduce the ESN cases of draft-mcgrew-gcm-test-01), the
 * KeyMat order (the 5.1 documentation contradicts itself), and permission for encryption-only
 * ESP (forbidden by the contract, needed to reproduce RFC 3602 cases 5-8). */
#define SENDPATH_EXTENSION_VERSION 1

#define SENDPATH_EXT_ESN 0x00000001                  /* extended sequence numbers (RFC 4303 2.2.1) */
#define SENDPATH_EXT_ENCRYPTION_ONLY_ESP 0x00000002  /* accept ESP SAs with no integrity */
#define SENDPATH_EXT_KEYMAT_INTEGRITY_FIRST 0x00000004 /* understands integrity-first KeyMat */

typedef struct _SENDPATH_TASK_IPSEC_EXTENSION {
  ULONG Version;                  /* SENDPATH_EXTENSION_VERSION */
  ULONG AuthenticationAlgorithms; /* IPSEC_OFFLOAD_V2_AUTHENTICATION_SHA_256 / _AES_GCM_* */
  ULONG EncryptionAlgorithms;     /* IPSEC_OFFLOAD_V2_ENCRYPTION_AES_GCM_* / _AES_CBC_* */
  ULONG Flags;                    /* SENDPATH_EXT_* */
} SENDPATH_TASK_IPSEC_EXTENSION, *PSENDPATH_TASK_IPSEC_EXTENSION;

/* KeyMat order. OFFLOAD_IPSEC_ADD_SA.KeyMat page (S14a): confidentiality key first, then the
 * integrity key. OFFLOAD_ALGO_INFO.algoKeylen page (S14c): integrity key first. For a two-element
 * bundle, SecAssoc[0]'s keys come before SecAssoc[1]'s. */
#define SENDPATH_KEYMAT_CONF_FIRST 0
#define SENDPATH_KEYMAT_INTEGRITY_FIRST 1

typedef struct _SENDPATH_ADD_SA_EXTENSION {
  ULONG Version;  /* SENDPATH_EXTENSION_VERSION */
  ULONG KeyOrder; /* SENDPATH_KEYMAT_* */
  ULONG SaFlags[OFFLOAD_MAX_SAS];                 /* IPSEC_OFFLOAD_V2_ESN_SA per SecAssoc */
  ULONG SequenceNumberHighOrder[OFFLOAD_MAX_SAS]; /* ESN high 32 bits per SecAssoc */
} SENDPATH_ADD_SA_EXTENSION, *PSENDPATH_ADD_SA_EXTENSION;

/* ---- Layout checks (sizes and offsets computed for x86 and x64 in the contract reference) -- */
#if defined(__cplusplus)
#define SENDPATH_STATIC_ASSERT(e, m) static_assert(e, m)
#else
#define SENDPATH_STATIC_ASSERT(e, m) _Static_assert(e, m)
#endif

SENDPATH_STATIC_ASSERT(sizeof(ULONG) == 4, "ULONG is 32 bits (LLP64)");
SENDPATH_STATIC_ASSERT(IpSecPacketInfo == 1 && IpSecNdisTask == 1, "IpSecPacketInfo == IpSecNdisTask == 1");
SENDPATH_STATIC_ASSERT(sizeof(NDIS_TASK_IPSEC) == 24, "NDIS_TASK_IPSEC is 24 bytes");
SENDPATH_STATIC_ASSERT(sizeof(OFFLOAD_ALGO_INFO) == 12, "OFFLOAD_ALGO_INFO is 12 bytes");
SENDPATH_STATIC_ASSERT(sizeof(OFFLOAD_SECURITY_ASSOCIATION) == 44, "OFFLOAD_SECURITY_ASSOCIATION is 44 bytes");
SENDPATH_STATIC_ASSERT(offsetof(OFFLOAD_IPSEC_ADD_SA, SecAssoc) == 36, "SecAssoc at 36");
SENDPATH_STATIC_ASSERT(offsetof(OFFLOAD_IPSEC_ADD_SA, OffloadHandle) == 168, "OffloadHandle at 168");
/* UDP-ESP layouts: sizes from the contract reference's table (section 5.4); the offsets are
 * derived from the ntddndis.h field list under natural alignment (not given by a source). */
SENDPATH_STATIC_ASSERT(sizeof(OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_ENTRY) == 8, "OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_ENTRY is 8 bytes");
SENDPATH_STATIC_ASSERT(offsetof(OFFLOAD_IPSEC_UDPESP_ENCAPTYPE_ENTRY, DstEncapPort) == 4, "DstEncapPort at 4");
SENDPATH_STATIC_ASSERT(offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, SecAssoc) == 36, "UDP-ESP SecAssoc at 36");
SENDPATH_STATIC_ASSERT(offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, OffloadHandle) == 168, "UDP-ESP OffloadHandle at 168");
#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
SENDPATH_STATIC_ASSERT(sizeof(NDIS_IPSEC_PACKET_INFO) == 16, "NDIS_IPSEC_PACKET_INFO is 16 bytes on x64");
SENDPATH_STATIC_ASSERT(offsetof(OFFLOAD_IPSEC_ADD_SA, KeyLen) == 176, "KeyLen at 176 on x64");
SENDPATH_STATIC_ASSERT(offsetof(OFFLOAD_IPSEC_ADD_SA, KeyMat) == 180, "KeyMat at 180 on x64");
SENDPATH_STATIC_ASSERT(sizeof(OFFLOAD_IPSEC_ADD_SA) == 184, "OFFLOAD_IPSEC_ADD_SA is 184 bytes on x64");
SENDPATH_STATIC_ASSERT(offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, EncapTypeEntry) == 176, "EncapTypeEntry at 176 on x64");
SENDPATH_STATIC_ASSERT(offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, EncapTypeEntryOffldHandle) == 184, "EncapTypeEntryOffldHandle at 184 on x64");
SENDPATH_STATIC_ASSERT(offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, KeyLen) == 192, "UDP-ESP KeyLen at 192 on x64");
SENDPATH_STATIC_ASSERT(offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, KeyMat) == 196, "UDP-ESP KeyMat at 196 on x64");
SENDPATH_STATIC_ASSERT(sizeof(OFFLOAD_IPSEC_ADD_UDPESP_SA) == 200, "OFFLOAD_IPSEC_ADD_UDPESP_SA is 200 bytes on x64");
SENDPATH_STATIC_ASSERT(sizeof(OFFLOAD_IPSEC_DELETE_UDPESP_SA) == 16, "OFFLOAD_IPSEC_DELETE_UDPESP_SA is 16 bytes on x64");
#else
SENDPATH_STATIC_ASSERT(sizeof(NDIS_IPSEC_PACKET_INFO) == 8, "NDIS_IPSEC_PACKET_INFO is 8 bytes on x86");
SENDPATH_STATIC_ASSERT(offsetof(OFFLOAD_IPSEC_ADD_SA, KeyLen) == 172, "KeyLen at 172 on x86");
SENDPATH_STATIC_ASSERT(offsetof(OFFLOAD_IPSEC_ADD_SA, KeyMat) == 176, "KeyMat at 176 on x86");
SENDPATH_STATIC_ASSERT(sizeof(OFFLOAD_IPSEC_ADD_SA) == 180, "OFFLOAD_IPSEC_ADD_SA is 180 bytes on x86");
SENDPATH_STATIC_ASSERT(offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, EncapTypeEntry) == 172, "EncapTypeEntry at 172 on x86");
SENDPATH_STATIC_ASSERT(offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, EncapTypeEntryOffldHandle) == 180, "EncapTypeEntryOffldHandle at 180 on x86");
SENDPATH_STATIC_ASSERT(offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, KeyLen) == 184, "UDP-ESP KeyLen at 184 on x86");
SENDPATH_STATIC_ASSERT(offsetof(OFFLOAD_IPSEC_ADD_UDPESP_SA, KeyMat) == 188, "UDP-ESP KeyMat at 188 on x86");
SENDPATH_STATIC_ASSERT(sizeof(OFFLOAD_IPSEC_ADD_UDPESP_SA) == 192, "OFFLOAD_IPSEC_ADD_UDPESP_SA is 192 bytes on x86");
SENDPATH_STATIC_ASSERT(sizeof(OFFLOAD_IPSEC_DELETE_UDPESP_SA) == 8, "OFFLOAD_IPSEC_DELETE_UDPESP_SA is 8 bytes on x86");
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SENDPATH_NDIS51_H */
