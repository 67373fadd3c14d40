/*
 * candidate_abi.h - the C ABI a candidate NIC implements as a shared library.
 *
 * A vendor builds a shared library that exports one function,
 *
 *     const SENDPATH_CANDIDATE_ENTRY *SendpathCandidateEntry(void);
 *
 * returning a static table of the miniport entry points sendpath drives. The harness loads the
 * library inside a child process (sendpath-candidate-host), so a crash or hang costs one vector,
 * never the run. The full description, with a worked example, is harness/CANDIDATES.md.
 *
 * The calls mirror what the TCP/IP transport does to an NDIS 5.1 miniport:
 *   - QueryInformation(OID_TCP_TASK_OFFLOAD): the NIC reports NDIS_TASK_IPSEC (and the sendpath
 *     extension entry);
 *   - SetInformation(OID_TCP_TASK_OFFLOAD): the transport enables a subset, once [S16c];
 *   - SetInformation(OID_TCP_TASK_IPSEC_ADD_SA): an OFFLOAD_IPSEC_ADD_SA with its KeyMat; the NIC
 *     fills in OffloadHandle, which the harness passes back in NDIS_IPSEC_PACKET_INFO and in
 *     OFFLOAD_IPSEC_DELETE_SA exactly as the transport does;
 *   - SetInformation(OID_TCP_TASK_IPSEC_DELETE_SA);
 *   - SetInformation(OID_TCP_TASK_IPSEC_ADD_UDPESP_SA / OID_TCP_TASK_IPSEC_DELETE_UDPESP_SA): the
 *     same for UDP-encapsulated ESP (RFC 3948) SAs: an OFFLOAD_IPSEC_ADD_UDPESP_SA with its KeyMat,
 *     the NIC filling in OffloadHandle and, for a new parser entry, EncapTypeEntryOffldHandle
 *     [S15a]; a NIC that reports no UDP-ESP flag answers NDIS_STATUS_NOT_SUPPORTED or
 *     NDIS_STATUS_INVALID_OID;
 *   - Send: an NDIS_PACKET (see ndis51_packet.h) whose per-packet info slot IpSecPacketInfo points
 *     to the NDIS_IPSEC_PACKET_INFO; the NIC writes the frame it would transmit to the wire buffer.
 *
 * Every call for one adapter comes from one thread, in order. Plain C11; usable from C++.
 */
#ifndef SENDPATH_CANDIDATE_ABI_H
#define SENDPATH_CANDIDATE_ABI_H

#include <sendpath/ndis51.h>
#include <sendpath/ndis51_packet.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this table. The host refuses a library whose AbiVersion differs or whose Size is
 * smaller than the version's table. */
#define SENDPATH_CANDIDATE_ABI_VERSION 1

/* The symbol the host looks up with dlsym. */
#define SENDPATH_CANDIDATE_ENTRY_SYMBOL "SendpathCandidateEntry"

/* NDIS_TASK_OFFLOAD.Task value of the sendpath extension entry in an OID_TCP_TASK_OFFLOAD
 * buffer: its TaskBuffer is a SENDPATH_TASK_IPSEC_EXTENSION. Not an NDIS_TASK enumerator, so
 * compare it as a ULONG. A NIC that knows nothing of the extension simply omits the entry (query)
 * and skips it (set). */
#define SENDPATH_NDIS_TASK_IPSEC_EXTENSION 0x00000100UL

/* Vendor-specific OID (high byte 0xFF): a SENDPATH_ADD_SA_EXTENSION for the very next
 * OID_TCP_TASK_IPSEC_ADD_SA. The harness sets it only when the SA needs it (integrity-first
 * KeyMat or an ESN SA); it applies to that one ADD_SA and is then forgotten. A NIC without the
 * extension answers NDIS_STATUS_INVALID_OID or NDIS_STATUS_NOT_SUPPORTED, and the harness records
 * that status as the ADD_SA's outcome. */
#define OID_SENDPATH_IPSEC_ADD_SA_EXTENSION 0xFF535001UL

/* IV injection (optional). When a NIC calls this instead of its own generator, the harness can
 * compare its output byte for byte; otherwise it decrypts and verifies. The NIC asks for each IV
 * it writes, in generation order: transport SA before tunnel SA, within a bundle ESP before AH
 * (AES-GMAC AH carries an IV). SecAssocIndex is the bundle element (SecAssoc[] index). Returns
 * TRUE with IvLength bytes written to Iv, or FALSE when no IV was provided for this send, in which
 * case the NIC uses its own generator. */
typedef BOOLEAN (*SENDPATH_IV_CALLBACK)(PVOID CallbackContext, NDIS_HANDLE OffloadHandle,
                                        ULONG SecAssocIndex, PUCHAR Iv, ULONG IvLength);

typedef struct _SENDPATH_CANDIDATE_ENTRY {
  ULONG AbiVersion; /* SENDPATH_CANDIDATE_ABI_VERSION */
  ULONG Size;       /* sizeof(SENDPATH_CANDIDATE_ENTRY) */
  const char *Name;    /* e.g. "contoso-nic-sim" */
  const char *Version; /* the vendor's own version string */

  /* MiniportInitialize: a fresh NIC with no SAs and nothing enabled. Options is the
   * comma-separated key=value text of the harness's `lib:PATH,key=value,...` spec ("" if none).
   * Returns NDIS_STATUS_SUCCESS and the adapter context, or a failure (the candidate cannot be
   * run). */
  NDIS_STATUS (*Create)(const char *Options, NDIS_HANDLE *MiniportAdapterContext);

  /* MiniportHalt: releases everything Create made. */
  VOID (*Destroy)(NDIS_HANDLE MiniportAdapterContext);

  /* MiniportQueryInformation. The harness queries OID_TCP_TASK_OFFLOAD with a buffer that starts
   * with the transport's NDIS_TASK_OFFLOAD_HEADER (Version, Size, EncapsulationFormat); the NIC
   * writes that header back followed by NDIS_TASK_OFFLOAD entries chained by OffsetFirstTask /
   * OffsetNextTask (offsets from the start of the header / of the entry; 0 ends the list): one
   * with Task = IpSecNdisTask and an NDIS_TASK_IPSEC TaskBuffer, and optionally one with
   * Task = SENDPATH_NDIS_TASK_IPSEC_EXTENSION. */
  NDIS_STATUS (*QueryInformation)(NDIS_HANDLE MiniportAdapterContext, NDIS_OID Oid, PVOID InformationBuffer,
                                  ULONG InformationBufferLength, PULONG BytesWritten, PULONG BytesNeeded);

  /* MiniportSetInformation: OID_TCP_TASK_OFFLOAD (same layout as the query's answer, with what is
   * enabled), OID_TCP_TASK_IPSEC_ADD_SA (fill in OffloadHandle; never 0 on success),
   * OID_TCP_TASK_IPSEC_DELETE_SA, OID_TCP_TASK_IPSEC_ADD_UDPESP_SA (fill in OffloadHandle and,
   * when a parser entry is created, EncapTypeEntryOffldHandle), OID_TCP_TASK_IPSEC_DELETE_UDPESP_SA
   * and OID_SENDPATH_IPSEC_ADD_SA_EXTENSION (which also applies to the next ADD_UDPESP_SA). */
  NDIS_STATUS (*SetInformation)(NDIS_HANDLE MiniportAdapterContext, NDIS_OID Oid, PVOID InformationBuffer,
                                ULONG InformationBufferLength, PULONG BytesRead, PULONG BytesNeeded);

  /* MiniportSend with the transmit made visible: on NDIS_STATUS_SUCCESS the NIC has written the
   * frame it puts on the wire to Wire[0 .. *WireLength). WireSize is at least 65535 + 14 bytes.
   * On any other status nothing is transmitted: *WireLength must be 0, and the harness treats any
   * bytes reported as emitted as a leak. The packet and its buffers are read-only. */
  NDIS_STATUS (*Send)(NDIS_HANDLE MiniportAdapterContext, PNDIS_PACKET Packet, PUCHAR Wire, ULONG WireSize,
                      PULONG WireLength);

  /* Optional (NULL if the NIC always generates its own IVs): installs or (Callback == NULL)
   * removes the IV source. */
  VOID (*SetIvCallback)(NDIS_HANDLE MiniportAdapterContext, SENDPATH_IV_CALLBACK Callback, PVOID CallbackContext);
} SENDPATH_CANDIDATE_ENTRY;

typedef const SENDPATH_CANDIDATE_ENTRY *(*SENDPATH_CANDIDATE_ENTRY_FUNCTION)(void);

/* Declared for the library's own definition; give it default visibility. */
const SENDPATH_CANDIDATE_ENTRY *SendpathCandidateEntry(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SENDPATH_CANDIDATE_ABI_H */
