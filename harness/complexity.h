// The complexity rank of a vector (issue 11): how many contract features it exercises at once,
// so that a run's failures can be shown simplest first and a vendor starts debugging from the
// most elementary vector that fails. The key's components and their order of significance are
// report::ComplexityRank (reports/run_result.h); this is the only place that computes them.
#pragma once

#include <reports/run_result.h>
#include <vectors/loader/vector_model.h>

namespace sendpath::harness {

// A pure function of the loaded vector:
//  - should: the vector's class is SHOULD; MUST failures come first.
//  - sa_structure: the most complex of the SA structures its steps use. A send names its SAs
//    (OffloadHandle, NextOffloadHandle: both set is transport over tunnel); add_sa and
//    fill_sa_table name one. A tunnel SA is a tunnel, two SecAssoc elements a bundle.
//  - ipv4_options: a sent frame's IPv4 header is longer than 20 bytes.
//  - buffer_splits: the cuts of every send's buffer chain.
//  - ethernet: the vector's encapsulation, or a set step's, is IEEE 802.3.
//  - add_sa_raw_fields: per SA the vector programs, each raw override (raw.num_sas, raw.operation
//    differing from the bundle, raw.key_len, flags_raw other than inbound/outbound) and each
//    algorithm with a stated key_length or a literal identifier.
//  - sa_extensions: ESN elements and integrity-first KeyMat of the SAs it programs.
//  - payload: some offloaded send (OffloadHandle names an SA) carries a non-empty innermost
//    payload (past the IPv4, AH, ESP header and IV and any tunnelled IPv4 header; before ESP
//    padding, trailer and ICV). Among vectors alike in everything above, the empty-payload ones
//    (and those with no offloaded send) are the simplest.
//  - steps, frame_bytes: the number of steps and the bytes of every frame sent.
report::ComplexityRank RankOf(const vectors::Vector& vector);

}  // namespace sendpath::harness
