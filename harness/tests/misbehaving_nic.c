/*
 * A candidate library in plain C on the sendpath ABI: it forwards every call to another candidate
 * library (the reference, `delegate=PATH`) and misbehaves on request, so the tests can show that
 * a crashing or hanging library costs one vector and never the run. Options, comma-separated:
 *   delegate=PATH        the library doing the real work (required)
 *   crash_on_send=N      dereference NULL on the N-th send since the host started (1-based)
 *   hang_on_send=N       spin forever on the N-th send
 *   once=PATH            misbehave only while PATH does not exist (it is created first), so a
 *                        restarted host behaves
 * With SENDPATH_TEST_ABI_VERSION=N in the environment it reports AbiVersion N, to test the host's
 * version check.
 * Being C, it also proves that candidate_abi.h and ndis51_packet.h serve C vendor code.
 */
#include <sendpath/candidate_abi.h>

#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const SENDPATH_CANDIDATE_ENTRY *g_delegate;
static unsigned long g_sends, g_crash_on, g_hang_on;
static char g_once[4096];

/* True when this misbehaviour may happen (no `once` marker yet); creates the marker. */
static int MayMisbehave(void) {
  if (g_once[0] == '\0') return 1;
  FILE *marker = fopen(g_once, "r");
  if (marker != NULL) {
    fclose(marker);
    return 0;
  }
  marker = fopen(g_once, "w");
  if (marker != NULL) fclose(marker);
  return 1;
}

static int ReadOption(const char *options, const char *key, char *out, size_t size) {
  const size_t key_length = strlen(key);
  const char *at = options;
  while (at != NULL && *at != '\0') {
    const char *end = strchr(at, ',');
    const size_t length = end != NULL ? (size_t)(end - at) : strlen(at);
    if (length > key_length && strncmp(at, key, key_length) == 0 && at[key_length] == '=') {
      const size_t value_length = length - key_length - 1;
      if (value_length + 1 > size) return 0;
      memcpy(out, at + key_length + 1, value_length);
      out[value_length] = '\0';
      return 1;
    }
    at = end != NULL ? end + 1 : NULL;
  }
  return 0;
}

static NDIS_STATUS Create(const char *Options, NDIS_HANDLE *MiniportAdapterContext) {
  char value[4096];
  if (g_delegate == NULL) {
    if (!ReadOption(Options, "delegate", value, sizeof value)) return NDIS_STATUS_INVALID_DATA;
    void *library = dlopen(value, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) return NDIS_STATUS_FAILURE;
    SENDPATH_CANDIDATE_ENTRY_FUNCTION entry;
    void *symbol = dlsym(library, SENDPATH_CANDIDATE_ENTRY_SYMBOL);
    if (symbol == NULL) return NDIS_STATUS_FAILURE;
    memcpy(&entry, &symbol, sizeof entry);
    g_delegate = entry();
  }
  if (ReadOption(Options, "crash_on_send", value, sizeof value)) g_crash_on = strtoul(value, NULL, 10);
  if (ReadOption(Options, "hang_on_send", value, sizeof value)) g_hang_on = strtoul(value, NULL, 10);
  if (!ReadOption(Options, "once", g_once, sizeof g_once)) g_once[0] = '\0';
  return g_delegate->Create("", MiniportAdapterContext);
}

static VOID Destroy(NDIS_HANDLE context) { g_delegate->Destroy(context); }

static NDIS_STATUS QueryInformation(NDIS_HANDLE context, NDIS_OID oid, PVOID buffer, ULONG length, PULONG written,
                                    PULONG needed) {
  return g_delegate->QueryInformation(context, oid, buffer, length, written, needed);
}

static NDIS_STATUS SetInformation(NDIS_HANDLE context, NDIS_OID oid, PVOID buffer, ULONG length, PULONG read,
                                  PULONG needed) {
  return g_delegate->SetInformation(context, oid, buffer, length, read, needed);
}

static NDIS_STATUS Send(NDIS_HANDLE context, PNDIS_PACKET packet, PUCHAR wire, ULONG size, PULONG length) {
  ++g_sends;
  if (g_sends == g_crash_on && MayMisbehave()) {
    signal(SIGSEGV, SIG_DFL); /* die by the signal even in a host with a sanitizer's handler */
    volatile int *null_pointer = NULL;
    *null_pointer = 1;
  }
  if (g_sends == g_hang_on && MayMisbehave()) {
    for (;;) {
    }
  }
  return g_delegate->Send(context, packet, wire, size, length);
}

static VOID SetIvCallback(NDIS_HANDLE context, SENDPATH_IV_CALLBACK callback, PVOID callback_context) {
  g_delegate->SetIvCallback(context, callback, callback_context);
}

static SENDPATH_CANDIDATE_ENTRY g_entry = {
    SENDPATH_CANDIDATE_ABI_VERSION, sizeof(SENDPATH_CANDIDATE_ENTRY), "misbehaving-c-nic", "1",
    Create, Destroy, QueryInformation, SetInformation, Send, SetIvCallback,
};

__attribute__((visibility("default"))) const SENDPATH_CANDIDATE_ENTRY *SendpathCandidateEntry(void) {
  const char *version = getenv("SENDPATH_TEST_ABI_VERSION");
  if (version != NULL) g_entry.AbiVersion = (ULONG)strtoul(version, NULL, 10);
  return &g_entry;
}
