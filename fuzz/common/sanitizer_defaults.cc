// Sanitizer defaults compiled into every fuzz binary, so that a run needs no environment.
//
// LeakSanitizer: the reference NIC and the reports library each load OpenSSL's legacy provider
// (for DES-CBC) into the default library context and neither unloads it; at exit OpenSSL 3.0
// then leaves the legacy provider's child library context unreachable. libcrypto is built
// without frame pointers, so the sanitizers' fast unwinder sees no caller above libcrypto for any
// OpenSSL allocation: the report can only be told apart by its module. Leaks of OpenSSL objects
// are therefore not reported by the fuzz binaries; every first-party OpenSSL object is owned by
// a unique_ptr with its EVP_*_free deleter, and the gtest suites run under LeakSanitizer too.
extern "C" const char* __lsan_default_suppressions() { return "leak:libcrypto.so\n"; }
