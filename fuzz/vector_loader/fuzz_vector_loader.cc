// libFuzzer target: arbitrary bytes as a `sendpath-vectors/1` file and as a `sendpath-sas/1`
// file. The loaders must answer with a value or a LoadError naming the place, never crash; a
// file that loads must also build its ADD_SA requests and write its SA objects back.
#include <vectors/loader/vector_loader.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <variant>

namespace {

[[noreturn]] void Finding(const char* oracle, const std::string& detail) {
  std::fprintf(stderr, "\n==sendpath-fuzz== SIGNATURE: vector_loader-%s\n==sendpath-fuzz== %s\n", oracle, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sendpath::vectors;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto vectors = ParseVectorFile(text, "fuzz-input.json");
  if (const auto* error = std::get_if<LoadError>(&vectors)) {
    if (error->file != "fuzz-input.json" || error->message.empty()) Finding("error-place", error->ToString());
  } else {
    for (const Vector& vector : std::get<VectorFile>(vectors).vectors) {
      for (const auto& [name, sa] : vector.sas) {
        const AddSaRequest request = BuildAddSaRequest(sa);
        if (request.buffer.size() < sizeof(OFFLOAD_IPSEC_ADD_SA)) Finding("add-sa-size", vector.id + " SA " + name);
      }
    }
  }

  auto sas = ParseSaFile(text, "fuzz-input.json");
  if (const auto* file = std::get_if<SaFile>(&sas)) {
    // A loaded SA file writes back to a document that loads to the same SAs.
    const std::string written = WriteSaFile(*file).dump();
    auto again = ParseSaFile(written, "rewritten.json");
    if (const auto* error = std::get_if<LoadError>(&again)) Finding("sa-file-roundtrip", error->ToString());
    const SaFile& reloaded = std::get<SaFile>(again);
    if (reloaded.sas.size() != file->sas.size()) Finding("sa-file-roundtrip", "SA count changed");
    for (const auto& [name, sa] : file->sas) {
      const auto found = reloaded.sas.find(name);
      if (found == reloaded.sas.end()) Finding("sa-file-roundtrip", "SA " + name + " lost");
      SaSpec expected = sa;
      expected.pointer = found->second.pointer;  // where it sits in the rewritten document
      if (!(expected == found->second)) Finding("sa-file-roundtrip", "SA " + name + " changed");
    }
  } else if (std::get<LoadError>(sas).message.empty()) {
    Finding("error-place", "empty message");
  }
  return 0;
}
